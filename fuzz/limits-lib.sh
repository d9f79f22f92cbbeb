# limits-lib.sh - what tests/integration/limits_*.sh share (sourced).
#
# measure NAME MAX_SECONDS MAX_MB GENERATOR_ARGS -- SMTPDX_ARGS
#   pipes `gen-patho.py GENERATOR_ARGS` into `smtpdx SMTPDX_ARGS` (which
#   reads "-"), under /usr/bin/time -v; records wall time, peak memory and
#   exit status in $TMP/NAME.{out,err,time}; fails the test when the run
#   crashed, tripped a sanitizer, took longer than MAX_SECONDS, used more
#   than MAX_MB, or printed an NDJSON line that does not parse.
#   Sets M_SECS, M_MB, M_RC, M_RECORDS for further checks.
# Under ASan (detected from the binary) the bounds are multiplied by
# SAN_FACTOR, as the shadow memory and the slowdown are the sanitizer's.

GEN=$SRC/fuzz/gen-patho.py
FAILURES=0
SAN_FACTOR=1
if ldd "$SMTPDX" 2>/dev/null | grep -q 'libasan' || nm "$SMTPDX" 2>/dev/null | grep -q '__asan_init'; then
    SAN_FACTOR=4
    export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16:malloc_context_size=5}
fi
CHECKER=$BUILD/fuzz/smtpdx-fzcheck

lfail() {
    echo "FAIL: $*" >&2
    FAILURES=$((FAILURES + 1))
}

# A limit crossed the wrong way that is reported to its owner but does not
# fail the suite yet: printed for the log.
known() {
    echo "KNOWN ISSUE (reported, not failing): $*"
}

valid_ndjson() {
    if [ -x "$CHECKER" ]; then
        "$CHECKER" ndjson "$1"
    else
        python3 -c 'import json,sys
for n, l in enumerate(open(sys.argv[1], "rb"), 1):
    json.loads(l)' "$1"
    fi
}

measure() {
    local name=$1 max_s=$2 max_mb=$3
    shift 3
    local gen=()
    while [ "$1" != "--" ]; do gen+=("$1"); shift; done
    shift
    python3 "$GEN" "${gen[@]}" |
        /usr/bin/time -v -o "$TMP/$name.time" "$SMTPDX" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    M_RC=$(sed -n 's/.*terminated by signal \([0-9]*\).*/signal-\1/p' "$TMP/$name.time")
    [ -n "$M_RC" ] || M_RC=$(sed -n 's/^[[:space:]]*Exit status: //p' "$TMP/$name.time")
    M_MB=$(($(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$TMP/$name.time") / 1024))
    local wall
    wall=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time.*: //p' "$TMP/$name.time")
    M_SECS=$(echo "$wall" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.1f", s }')
    M_RECORDS=$(wc -l <"$TMP/$name.out")
    echo "limits: $name: ${M_SECS} s, ${M_MB} MB peak, exit ${M_RC}, ${M_RECORDS} records"
    max_s=$((max_s * SAN_FACTOR))
    max_mb=$((max_mb * SAN_FACTOR))
    case $M_RC in
    0 | 1 | 3) ;;
    *) lfail "$name: exit $M_RC: $(head -3 "$TMP/$name.err")" ;;
    esac
    grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TMP/$name.err" &&
        lfail "$name: sanitizer: $(grep -m1 -E 'ERROR|runtime error' "$TMP/$name.err")"
    awk -v a="$M_SECS" -v b="$max_s" 'BEGIN { exit !(a > b) }' &&
        lfail "$name: took ${M_SECS} s, bound ${max_s} s"
    [ "$M_MB" -le "$max_mb" ] || lfail "$name: used ${M_MB} MB, bound ${max_mb} MB"
    valid_ndjson "$TMP/$name.out" || lfail "$name: output is not valid NDJSON"
    return 0
}
