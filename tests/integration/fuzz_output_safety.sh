#!/usr/bin/env bash
# fuzz_output_safety.sh - what smtpdx prints for hostile input is safe to
# read: every machine format parses with an independent JSON parser
# (python3's, strict UTF-8) and table output holds no control character
# or terminal escape from the input.
#
# Inputs: the fuzz seed corpora (fuzz/corpus/*, which hold escape
# sequences, NUL bytes and invalid UTF-8 on purpose), every reply line of
# the fuzz corpora through explain, and ../shared/corpus and
# ../shared/samples when present (read in place).
set -u
SRC=$PWD
SMTPDX=${SMTPDX:-$1/smtpdx}
SHARED=${SMTPDX_SHARED:-$SRC/../shared}
[ -x "$SMTPDX" ] || { echo "SKIP: no smtpdx binary at $SMTPDX"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# check_json FILE MODE: MODE lines (NDJSON) or doc (one JSON text).
check_json() {
    python3 - "$1" "$2" <<'EOF' || return 1
import json, sys
path, mode = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
def load(b, where):
    try:
        json.loads(b.decode("utf-8", errors="strict"))
    except Exception as e:
        sys.stderr.write("%s: %s: %s: %r\n" % (path, where, e, b[:200]))
        sys.exit(1)
if mode == "doc":
    if data.strip():
        load(data, "document")
else:
    if data and not data.endswith(b"\n"):
        sys.stderr.write("%s: last record cut short\n" % path)
        sys.exit(1)
    for n, line in enumerate(data.split(b"\n")[:-1], 1):
        load(line, "line %d" % n)
EOF
}

# check_text FILE [csv]: no C0 control but LF and TAB, no DEL, no C1
# control; CSV may end its records with CRLF (RFC 4180 section 2).
check_text() {
    python3 - "$1" "${2:-}" <<'EOF'
import sys, re
path = sys.argv[1]
data = open(path, "rb").read()
if sys.argv[2] == "csv":
    data = data.replace(b"\r\n", b"\n")
text = data.decode("utf-8", errors="replace")
m = re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)
if m:
    i = m.start()
    sys.stderr.write("%s: control U+%04X at char %d: %r\n"
                     % (path, ord(m.group()), i, text[max(0, i - 40):i + 20]))
    sys.exit(1)
EOF
}

run_formats() { # NAME CMD ARGS...: every format of one command
    local name=$1
    shift
    local fmt
    for fmt in ndjson sisimai json csv table; do
        [ "$1" = log ] && [ "$fmt" = sisimai ] && continue
        [ "$1" = explain ] && { [ "$fmt" = sisimai ] || [ "$fmt" = csv ]; } && continue
        "$SMTPDX" "$@" --format "$fmt" --color=never >"$TMP/out" 2>"$TMP/err" </dev/null
        local rc=$?
        if [ $rc -gt 3 ] || grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TMP/err"; then
            fail "$name --format $fmt: exit $rc: $(head -3 "$TMP/err")"
            continue
        fi
        case $fmt in
        ndjson | sisimai) check_json "$TMP/out" lines || fail "$name --format $fmt: invalid JSON" ;;
        json) check_json "$TMP/out" doc || fail "$name --format json: invalid JSON" ;;
        table | csv) check_text "$TMP/out" $fmt || fail "$name --format $fmt: control characters reach the output" ;;
        esac
        # errors and summaries name untrusted paths and texts too
        check_text "$TMP/err" || fail "$name --format $fmt: control characters on stderr"
        echo "ok: $name --format $fmt ($(wc -l <"$TMP/out") lines)"
    done
}

run_formats "bounce fuzz corpus" bounce "$SRC/fuzz/corpus/bounce" "$SRC/fuzz/corpus/mime"
tail -q -c +2 "$SRC"/fuzz/corpus/log/* >"$TMP/seeds.log"
run_formats "log fuzz corpus" log "$TMP/seeds.log"
# every reply seed as one explain argument each (NUL bytes cut by the shell)
mapfile -t replies < <(for f in "$SRC"/fuzz/corpus/reply/* "$SRC"/fuzz/corpus/explain/*; do
    tr '\0\r\n' '   ' <"$f"; echo; done)
run_formats "explain fuzz corpus" explain "${replies[@]}"
# the same seeds on stdin, one per line, raw bytes included
cat "$SRC"/fuzz/corpus/reply/* "$SRC"/fuzz/corpus/explain/* >"$TMP/replies.txt"
for fmt in ndjson table; do
    "$SMTPDX" explain --format $fmt --color=never - <"$TMP/replies.txt" >"$TMP/out" 2>"$TMP/err"
    if [ $fmt = ndjson ]; then
        check_json "$TMP/out" lines || fail "explain - --format ndjson: invalid JSON"
    else
        check_text "$TMP/out" || fail "explain - --format table: control characters"
    fi
done

if [ -d "$SHARED/corpus" ]; then
    run_formats "bounce shared corpus" bounce "$SHARED/corpus"
else
    echo "note: $SHARED/corpus absent, shared corpus part skipped"
fi
for f in "$SHARED"/samples/*.txt "$SHARED"/samples/*.log; do
    [ -f "$f" ] && run_formats "log $(basename "$f")" log "$f"
done

if [ $failures -ne 0 ]; then
    echo "fuzz_output_safety: $failures failures" >&2
    exit 1
fi
echo "fuzz_output_safety: all passed"
