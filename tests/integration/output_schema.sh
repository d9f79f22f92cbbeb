#!/bin/bash
# output_schema.sh - what smtpdx writes for machines keeps the contract of
# docs/output.schema.json: every record of 'smtpdx bounce' (ndjson, json,
# sisimai) and of 'smtpdx log', and every explanation of 'smtpdx explain',
# over the project's own cases and fuzz seeds (and the shared corpus when
# it is there).
# The schema is strict (no member it does not name, the types and the
# enumerations of names), so the test also shows that it refuses an object
# with a member too many, a wrong type or an unknown reason, and that its
# list of reasons is the binary's.
#
# arg1: the build directory; env SMTPDX: the binary (default arg1/smtpdx).
set -u
build=$(cd "${1:-build}" 2>/dev/null && pwd) || build="${1:-build}"
SMTPDX="${SMTPDX:-$build/smtpdx}"
cd "$(dirname "$0")/../.." || exit 1
[ -x "$SMTPDX" ] || { echo "FAIL: no binary at $SMTPDX"; exit 1; }
command -v jq >/dev/null || { echo "SKIP: jq is not installed"; exit 77; }
# Debian's python3-jsonschema (scripts/deps.sh --test) first
py=
for p in /usr/bin/python3 python3; do
    if "$p" -c 'from jsonschema import Draft202012Validator' 2>/dev/null; then
        py=$p
        break
    fi
done
[ -n "$py" ] || { echo "SKIP: python3's jsonschema module is missing (python3-jsonschema)"; exit 77; }

. tests/lib/check.sh
schema=docs/output.schema.json
valid() { # valid NAME DEF [--array] < FILE (not in a pipe: it counts)
    local name=$1; shift
    if "$py" tests/lib/schema_check.py "$schema" "$@" > "$tmp/$name.check"; then ok
    else bad "$name: $(cat "$tmp/$name.check")"; fi
}

inputs=(tests/data/bounce)
shared=${SMTPDX_SHARED:-../shared}
if [ -d "$shared/corpus" ]; then
    inputs+=("$shared/corpus")
else
    echo "note: $shared/corpus is absent: the project's own cases only"
fi
"$SMTPDX" bounce --ndjson "${inputs[@]}" > "$tmp/bounce.ndjson" 2>/dev/null
valid bounce-ndjson record < "$tmp/bounce.ndjson"
"$SMTPDX" bounce --json tests/data/bounce > "$tmp/bounce.json" 2>/dev/null
valid bounce-json record --array < "$tmp/bounce.json"
"$SMTPDX" bounce --format sisimai "${inputs[@]}" > "$tmp/sisimai.ndjson" 2>/dev/null
valid bounce-sisimai sisimai < "$tmp/sisimai.ndjson"
# a record that met a limit carries "truncated": a 20,000-byte reply
{
    printf 'From: MAILER-DAEMON@mx.example.com\nTo: a@example.com\n'
    printf 'Subject: Undelivered Mail\nMIME-Version: 1.0\n'
    printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
    printf -- '--B\nContent-Type: message/delivery-status\n\n'
    printf 'Final-Recipient: rfc822; u@example.net\nAction: failed\nStatus: 5.1.1\n'
    printf 'Diagnostic-Code: smtp; 550 5.1.1 %s\n\n--B--\n' "$(head -c 20000 /dev/zero | tr '\0' x)"
} > "$tmp/cut.eml"
"$SMTPDX" bounce --ndjson "$tmp/cut.eml" > "$tmp/cut.ndjson" 2>/dev/null
[ "$(jq -c '.truncated' "$tmp/cut.ndjson")" = '["diagnostic"]' ] && ok ||
    bad "a 20,000-byte reply: truncated is $(jq -c '.truncated' "$tmp/cut.ndjson")"
valid truncated record < "$tmp/cut.ndjson"
logs=(tests/data/log/*/input.log)
"$SMTPDX" log --ndjson --only all "${logs[@]}" > "$tmp/log.ndjson" 2>/dev/null
valid log-ndjson record < "$tmp/log.ndjson"
[ "$(jq -c 'select(.queueid != null)' "$tmp/log.ndjson" | wc -l)" -gt 0 ] && ok ||
    bad "no log record with a queue id: the log members went unchecked"
# explanations: the replies of the reply and explain cases, a line each
cut -f1 tests/data/reply/cases.tsv tests/data/explain/cases.tsv | grep -v '^#' |
    "$SMTPDX" explain --ndjson - > "$tmp/explain.ndjson" 2>/dev/null
valid explain explanation < "$tmp/explain.ndjson"

# hostile input: the fuzz seeds (escapes, NUL bytes, damaged fields)
"$SMTPDX" bounce --ndjson fuzz/corpus/bounce fuzz/corpus/mime fuzz/corpus/mbox \
    > "$tmp/fuzz-bounce.ndjson" 2>/dev/null
valid fuzz-bounce record < "$tmp/fuzz-bounce.ndjson"
tail -q -c +2 fuzz/corpus/log/* > "$tmp/seeds.log"
"$SMTPDX" log --ndjson --only all "$tmp/seeds.log" > "$tmp/fuzz-log.ndjson" 2>/dev/null
valid fuzz-log record < "$tmp/fuzz-log.ndjson"
for f in fuzz/corpus/reply/* fuzz/corpus/explain/*; do tr '\0\r\n' '   ' < "$f"; echo; done |
    "$SMTPDX" explain --ndjson - > "$tmp/fuzz-explain.ndjson" 2>/dev/null
valid fuzz-explain explanation < "$tmp/fuzz-explain.ndjson"

# the schema refuses what it must
head -n1 "$tmp/bounce.ndjson" > "$tmp/one"
refused() { # refused WHAT JQ-EDIT DEF
    jq -c "$2" "$tmp/one" > "$tmp/edited"
    if "$py" tests/lib/schema_check.py "$schema" "$3" < "$tmp/edited" > /dev/null; then
        bad "the schema takes a record with $1"
    else ok; fi
}
refused "a member too many" '. + {bogus: 1}' record
refused "hardbounce as a string" '.hardbounce = "1"' record
refused "an unknown reason" '.reason = "misdelivered"' record
refused "no recipient" 'del(.recipient)' record
refused "a malformed status" '.deliverystatus = "5.1"' record
refused "smtpdx's own members in Sisimai's form" '.' sisimai

# its reasons are the binary's (the list --reason prints for a bad name)
"$SMTPDX" bounce --reason no-such-reason - < /dev/null 2>&1 |
    sed -n 's/.*a comma-separated list of: \(.*\))$/\1/p' | tr ' ' '\n' | sort > "$tmp/reasons.bin"
jq -r '."$defs".record.properties.reason.enum[]' "$schema" | sort > "$tmp/reasons.schema"
[ -s "$tmp/reasons.bin" ] && cmp -s "$tmp/reasons.bin" "$tmp/reasons.schema" && ok ||
    bad "the schema's reasons differ from the binary's: $(diff "$tmp/reasons.bin" "$tmp/reasons.schema" | tr '\n' ' ')"

finish output_schema
