#!/bin/bash
# corpus_rename.sh - no rule keys on the shared corpus's own addresses:
# every bounce of ../shared/corpus/maildir/bsd is read again with its
# recipients renamed (tests/lib/corpus_rename.py says how), and smtpdx
# must follow the new names and keep its reasons, statuses and actions.
# Skipped where the shared corpus is absent.
#
# arg1: the build directory; env SMTPDX: the binary (default arg1/smtpdx).
set -u
build=$(cd "${1:-build}" 2>/dev/null && pwd) || build="${1:-build}"
SMTPDX="${SMTPDX:-$build/smtpdx}"
cd "$(dirname "$0")/../.." || exit 1
[ -x "$SMTPDX" ] || { echo "FAIL: no binary at $SMTPDX"; exit 1; }
shared=${SMTPDX_SHARED:-../shared}
if [ ! -d "$shared/corpus/maildir/bsd" ]; then
    echo "SKIP: $shared/corpus/maildir/bsd not found (the shared corpus is absent)"
    exit 77
fi
py=/usr/bin/python3
[ -x "$py" ] || py=python3

. tests/lib/check.sh
mkdir -p "$tmp/copies"
"$py" tests/lib/corpus_rename.py "$SMTPDX" "$shared/corpus" "$tmp/copies" \
    > "$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
is "$rc" 0 "renamed recipients are followed, reasons kept"

# the check itself: a binary that answers the original names whatever the
# message says must fail it
cat > "$tmp/stale" <<SH
#!/bin/sh
last=
for a; do last=\$a; done
case "\$last" in
*/copies2/*) exec "$SMTPDX" "\$@" | sed 's/zz-renamed-1@/someone-else@/' ;;
*) exec "$SMTPDX" "\$@" ;;
esac
SH
chmod +x "$tmp/stale"
mkdir -p "$tmp/copies2"
if "$py" tests/lib/corpus_rename.py "$tmp/stale" "$shared/corpus" \
    "$tmp/copies2" > "$tmp/stale.out" 2>&1; then
    bad "the check passed a binary that does not follow the renamed address"
else
    ok
fi
finish corpus_rename
