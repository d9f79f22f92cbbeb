#!/bin/bash
# log_fixtures.sh - data-driven checks of 'smtpdx log': one folder per case
# under tests/data/log/, holding
#   input.log       the log lines (real ones where a real MTA wrote them)
#   expected.ndjson one JSON object per expected record, in order; each
#                   record must have every key/value of its object (a
#                   subset), and there must be as many records as objects
#   args            optional extra options, one line ("--only all")
#   stats           optional: expected totals "sent deferred bounced
#                   expired rejected unknown" compared with the table
# Adding a case is adding a folder; no code. Options always given:
# --format ndjson --utc --year 2026, so the result does not depend on the
# machine's zone or clock.
set -u
BUILD=${1:-build}
SMTPDX=${SMTPDX:-$BUILD/smtpdx}
DATA=tests/data/log
command -v jq >/dev/null || { echo "SKIP: jq is not installed"; exit 77; }
[ -x "$SMTPDX" ] || { echo "FAIL: no smtpdx at $SMTPDX"; exit 1; }

fails=0 cases=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for dir in "$DATA"/*/; do
    name=$(basename "$dir")
    [ -f "$dir/input.log" ] && [ -f "$dir/expected.ndjson" ] || continue
    cases=$((cases + 1))
    args=()
    [ -f "$dir/args" ] && read -r -a args < "$dir/args"
    "$SMTPDX" log --format ndjson --utc --year 2026 "${args[@]}" \
        "$dir/input.log" > "$tmp/got.ndjson" 2> "$tmp/err"
    rc=$?
    if [ $rc -gt 1 ]; then
        echo "FAIL $name: exit $rc"; cat "$tmp/err"; fails=$((fails + 1)); continue
    fi
    if ! out=$(jq -n -r --slurpfile got "$tmp/got.ndjson" \
                  --slurpfile exp "$dir/expected.ndjson" '
        if ($got | length) != ($exp | length) then
            "count: got \($got | length) records, expected \($exp | length)"
        else
            [range(0; $exp | length) as $i
             | $exp[$i] | to_entries[]
             | select($got[$i][.key] != .value)
             | "record \($i + 1): \(.key) is \($got[$i][.key] | tojson), expected \(.value | tojson)"]
            | join("\n")
        end'); then
        echo "FAIL $name: jq failed"; fails=$((fails + 1)); continue
    fi
    if [ -n "$out" ]; then
        echo "FAIL $name"; echo "$out" | sed 's/^/     /' | head -20
        fails=$((fails + 1))
        continue
    fi
    if [ -f "$dir/stats" ]; then
        read -r es ed eb ee er eu < "$dir/stats"
        line=$("$SMTPDX" log --format table --color=never --utc --year 2026 \
                   "${args[@]}" "$dir/input.log" | grep -E '^  (received|lines)')
        got=$(echo "$line" | tr -s ' ' '\n' | awk '
            prev=="sent"{s=$0} prev=="deferred"{d=$0} prev=="bounced"{b=$0}
            prev=="expired"{e=$0} prev=="rejected"{r=$0} prev=="unknown"{u=$0}
            {prev=$0} END{gsub(/\)/,"",u); print s, d, b, e, r, u}')
        if [ "$got" != "$es $ed $eb $ee $er $eu" ]; then
            echo "FAIL $name: totals '$got', expected '$es $ed $eb $ee $er $eu'"
            fails=$((fails + 1)); continue
        fi
    fi
    echo "ok   $name ($(wc -l < "$dir/expected.ndjson") records)"
done
[ $cases -gt 0 ] || { echo "FAIL: no cases under $DATA"; exit 1; }
[ $fails -eq 0 ] || { echo "$fails of $cases cases failed"; exit 1; }
echo "all $cases log cases pass"
