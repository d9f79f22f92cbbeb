#!/bin/bash
# cli_help.sh - the help text and the man page come from one source and
# must agree: the committed man/smtpdx.1 is exactly what `smtpdx help
# --man` prints (regenerate with scripts/gen-man.sh), every option and
# command the help shows is in the man page, and the page renders without
# groff warnings.
#
# arg1: the build directory; env SMTPDX: the binary.
set -u
build=$(cd "${1:-build}" 2>/dev/null && pwd) || build="${1:-build}"
SMTPDX="${SMTPDX:-$build/smtpdx}"
cd "$(dirname "$0")/../.." || exit 1
[ -x "$SMTPDX" ] || { echo "FAIL: no binary at $SMTPDX"; exit 1; }

. tests/lib/check.sh

"$SMTPDX" help --man > "$tmp/smtpdx.1"
if cmp -s "$tmp/smtpdx.1" man/smtpdx.1; then
    ok
else
    bad "man/smtpdx.1 differs from 'smtpdx help --man'; run: bash scripts/gen-man.sh"
    diff -u man/smtpdx.1 "$tmp/smtpdx.1" | head -n 40
fi

# What the man page says, as plain text (troff escapes undone).
sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\&//g' man/smtpdx.1 > "$tmp/man.txt"

commands=$("$SMTPDX" --help | awk '/^Commands:/{on=1; next} on && /^$/{on=0} on && /^  [a-z]/{print $1}')
[ -n "$commands" ] && ok || bad "no Commands section in smtpdx --help"
for cmd in $commands; do
    grep -q "^\.SS \"smtpdx $cmd\"" man/smtpdx.1 && ok || bad "man page lacks command $cmd"
    "$SMTPDX" help "$cmd" > "$tmp/h.$cmd" || { bad "smtpdx help $cmd failed"; continue; }
    # every option the help lists: "  --format FMT   text" or "  -f, --follow"
    while IFS= read -r opt; do
        grep -qF -- "$opt" "$tmp/man.txt" && ok || bad "man page lacks '$opt' of $cmd"
    done < <(awk '/^Options:/{on=1; next} on && /^[A-Z]/{on=0}
                  on && /^  -/{sub(/^  /, ""); sub(/  .*/, ""); print}' "$tmp/h.$cmd")
    # every example command line
    while IFS= read -r ex; do
        grep -qF -- "$ex" "$tmp/man.txt" && ok || bad "man page lacks example '$ex'"
    done < <(grep -E '^  \$ ' "$tmp/h.$cmd" | sed 's/^  \$ //' | cut -c1-40)
done
for code in 0 1 2 3; do
    grep -A1 '^\.TP' man/smtpdx.1 | grep -qx "\.B $code" && ok || bad "man page lacks exit code $code"
    "$SMTPDX" --help | grep -qE "^  $code  " && ok || bad "--help lacks exit code $code"
done

if command -v groff >/dev/null; then
    warnings=$(groff -man -Tutf8 -ww -z man/smtpdx.1 2>&1)
    [ -z "$warnings" ] && ok || bad "groff warnings: $warnings"
else
    echo "note: groff missing, rendering not checked"
fi

finish cli_help
