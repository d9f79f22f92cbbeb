#!/bin/bash
# flufl_bounces.sh - 'smtpdx bounce' on mail it was not written against:
# the real bounces (mostly 2000-2010, many mail systems smtpdx has no
# family for) that Debian's python3-flufl.bounce ships with its tests,
# read in place, scored against the addresses that package's own tests
# expect (tests/lib/flufl_score.py says how). Disagreements that are
# understood are listed, with why, in tests/data/flufl/known.txt; any
# other fails the test. CR-only and CR LF copies of the files must give
# the same answers as the files themselves.
#
# arg1: the build directory; env SMTPDX: the binary (default arg1/smtpdx).
set -u
build=$(cd "${1:-build}" 2>/dev/null && pwd) || build="${1:-build}"
SMTPDX="${SMTPDX:-$build/smtpdx}"
cd "$(dirname "$0")/../.." || exit 1
[ -x "$SMTPDX" ] || { echo "FAIL: no binary at $SMTPDX"; exit 1; }
helpers=$(dpkg -L python3-flufl.bounce 2>/dev/null |
          grep '/flufl/bounce/testing/helpers\.py$' | head -n 1)
if [ -z "$helpers" ] || [ ! -f "$helpers" ]; then
    echo "SKIP: python3-flufl.bounce is not installed (bash scripts/deps.sh --test)"
    exit 77
fi
dir=$(dirname "$(dirname "$helpers")")
[ -d "$dir/tests/data" ] || { echo "SKIP: $dir/tests/data is missing"; exit 77; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3
command -v jq >/dev/null || { echo "SKIP: jq is not installed"; exit 77; }

. tests/lib/check.sh
"$py" tests/lib/flufl_score.py "$SMTPDX" "$dir" tests/data/flufl/known.txt \
    > "$tmp/score" 2>&1
rc=$?
cat "$tmp/score"
is "$rc" 0 "every file agrees with flufl's expectations but the known ones"
# the scorer must have read the table: a hundred files and more
files=$(sed -n 's/^files \([0-9]*\):.*/\1/p' "$tmp/score")
check "the scorer read flufl's table ($files files)" test "${files:-0}" -ge 100
# and the floor on the share that agrees, known ones included
agree=$(sed -n 's/^files [0-9]*: \([0-9]*\) agree.*/\1/p' "$tmp/score")
check "at least 95% of the files agree ($agree of $files)" \
    test $((${agree:-0} * 100)) -ge $((${files:-1} * 95))

# the same mail with CR-only and CR LF line ends gives the same answers
mkdir -p "$tmp/cr" "$tmp/crlf"
for f in "$dir"/tests/data/*.txt; do
    tr '\n' '\r' < "$f" > "$tmp/cr/${f##*/}"
    sed 's/$/\r/' "$f" > "$tmp/crlf/${f##*/}"
done
answers() { # the file name, recipient, action and reason of each record
    "$SMTPDX" bounce --format ndjson "$@" 2>/dev/null |
        jq -r '"\(.origin | split("/") | last) \(.recipient) \(.action) \(.reason)"'
}
answers "$dir"/tests/data/*.txt > "$tmp/lf.ans"
answers "$tmp"/cr/*.txt > "$tmp/cr.ans"
answers "$tmp"/crlf/*.txt > "$tmp/crlf.ans"
check "LF answers found ($(wc -l < "$tmp/lf.ans") records)" test -s "$tmp/lf.ans"
check "CR-only copies give the LF answers" cmp -s "$tmp/lf.ans" "$tmp/cr.ans"
check "CR LF copies give the LF answers" cmp -s "$tmp/lf.ans" "$tmp/crlf.ans"

# the scorer itself: a binary that finds nothing must fail it
cat > "$tmp/none" <<'SH'
#!/bin/sh
exit 1
SH
chmod +x "$tmp/none"
if "$py" tests/lib/flufl_score.py "$tmp/none" "$dir" tests/data/flufl/known.txt \
    > "$tmp/none.out" 2>&1; then
    bad "the scorer passed a binary that reports nothing"
else
    ok
fi
finish flufl_bounces
