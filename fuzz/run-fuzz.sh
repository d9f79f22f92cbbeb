#!/usr/bin/env bash
# run-fuzz.sh - build the libFuzzer harnesses with clang and fuzz each one
# in turn for a bounded time.
#
#   fuzz/run-fuzz.sh [SECONDS] [HARNESS...]
#
# SECONDS per harness (default 60); HARNESS names (reply explain enhanced
# bounce mbox mime log kb html mimediff; default: every harness the build
# has). Harnesses run
# one after the other, each as one plain libFuzzer process (no -jobs or
# -fork: those start extra processes), so one core stays free. Environment:
#   FUZZ_BUILD    build folder (default: build-fuzz in the source root)
#   FUZZ_RUNS     stop a harness after this many executions instead (the
#                 time bound still applies, raise SECONDS for long runs)
#   FUZZ_RSS_MB   memory ceiling per harness (default 2048)
#   FUZZ_NO_BUILD=1  use the harnesses already built in FUZZ_BUILD (so that
#                 two runs can share one build and its learned corpora)
#   SMTPDX_SHARED the shared facts folder (default ../shared): its corpus
#                 and samples seed the message and log harnesses when present
#
# Seeds: fuzz/corpus/<h>/ (committed, small), the project's tests/data and
# kb/ where they fit, and ../shared at run time (never copied). What the
# fuzzer learns goes to FUZZ_BUILD/corpus/<h>/ and is kept between runs.
# Exit 0 when no harness found anything; 1 when one crashed, leaked, hung
# or ran out of memory: the input that did it is saved under fuzz/out/<h>/
# and named on stderr. A line per harness with executions, speed and
# coverage is printed and appended to FUZZ_BUILD/fuzz-results.tsv.
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
SECONDS_EACH=${1:-60}
shift || true
BUILD=${FUZZ_BUILD:-$ROOT/build-fuzz}
RSS=${FUZZ_RSS_MB:-2048}
SHARED=${SMTPDX_SHARED:-$ROOT/../shared}

case $SECONDS_EACH in
'' | *[!0-9]*) echo "usage: fuzz/run-fuzz.sh [SECONDS] [HARNESS...]" >&2; exit 2 ;;
esac
command -v clang >/dev/null || { echo "run-fuzz: clang is not installed" >&2; exit 2; }

if [ -n "${FUZZ_NO_BUILD:-}" ]; then
    [ -f "$BUILD/fuzz/Makefile" ] || { echo "run-fuzz: nothing built in $BUILD" >&2; exit 2; }
else
    echo "run-fuzz: building in $BUILD" >&2
    if ! CC=clang cmake -S "$ROOT" -B "$BUILD" -DSMTPDX_FUZZ=ON -DSMTPDX_SANITIZE=ON \
            -DSMTPDX_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD.cmake.log" 2>&1; then
        cat "$BUILD.cmake.log" >&2
        exit 2
    fi
    rm -f "$BUILD.cmake.log"
fi

available=()
for src in fuzz/fuzz_*.c; do
    h=${src#fuzz/fuzz_}
    h=${h%.c}
    grep -q "fuzz_${h}_replay" "$BUILD/fuzz/Makefile" 2>/dev/null && available+=("$h")
done
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=("${available[@]}")
targets=()
for h in "${harnesses[@]}"; do
    case " ${available[*]} " in
    *" $h "*) targets+=("fuzz_$h") ;;
    *) echo "run-fuzz: no harness '$h' in this tree (have: ${available[*]})" >&2; exit 2 ;;
    esac
done
# (the build-time tools free nothing on purpose: no leak check for them)
if [ -z "${FUZZ_NO_BUILD:-}" ] && ! ASAN_OPTIONS=detect_leaks=0 cmake --build "$BUILD" -j2 --target "${targets[@]}" \
        >"$BUILD/build.log" 2>&1; then
    tail -40 "$BUILD/build.log" >&2
    echo "run-fuzz: build failed (log: $BUILD/build.log)" >&2
    exit 2
fi
for t in "${targets[@]}"; do
    [ -x "$BUILD/fuzz/$t" ] && continue
    echo "run-fuzz: $BUILD/fuzz/$t is not built (run once without FUZZ_NO_BUILD, or build that target)" >&2
    exit 2
done

# Largest input per harness: room for real messages, small enough to stay fast.
max_len() {
    case $1 in
    enhanced) echo 64 ;;
    reply | explain) echo 4096 ;;
    log | mbox) echo 16384 ;;
    kb) echo 65536 ;;
    *) echo 131072 ;;
    esac
}

# Extra seed folders per harness, used only when present.
seeds() {
    case $1 in
    reply | explain | enhanced) echo "$ROOT/tests/data/reply $ROOT/tests/data/explain" ;;
    bounce | mime) echo "$ROOT/tests/data/bounce $ROOT/tests/data/mime $SHARED/corpus $SHARED/samples" ;;
    log) echo "$ROOT/tests/data/log $SHARED/samples" ;;
    mbox) echo "$SHARED/corpus/mailbox $SHARED/samples" ;;
    kb) echo "$ROOT/kb $ROOT/tests/data/kb-min" ;;
    html) echo "$ROOT/tests/data/html" ;;
    esac
}

# Stacks for every finding; leaks are findings too.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

status=0
for h in "${harnesses[@]}"; do
    work=$BUILD/corpus/$h
    out=$ROOT/fuzz/out/$h
    log=$BUILD/fuzz-$h.$$.log # two runs of one harness may share a build
    mkdir -p "$work" "$out"
    dirs=("$work" "$ROOT/fuzz/corpus/$h")
    for d in $(seeds "$h"); do
        [ -d "$d" ] && dirs+=("$d")
    done
    opts=(-max_total_time="$SECONDS_EACH" -max_len="$(max_len "$h")"
          -dict="$ROOT/fuzz/smtp_mime.dict" -rss_limit_mb="$RSS" -timeout=10
          -print_final_stats=1 -artifact_prefix="$out/")
    [ -n "${FUZZ_RUNS:-}" ] && opts+=(-runs="$FUZZ_RUNS")
    [ "$h" = kb ] && opts+=(-close_fd_mask=2) # the tool reports every error
    echo "run-fuzz: $h for ${SECONDS_EACH}s (seeds: ${dirs[*]:1})" >&2
    start=$(date +%s)
    # CPU seconds beside wall seconds: on a shared machine they differ.
    TIMEFORMAT='%U %S'
    { time "$BUILD/fuzz/fuzz_$h" "${opts[@]}" "${dirs[@]}" >"$log" 2>&1; } 2>"$log.cpu"
    rc=$?
    secs=$(($(date +%s) - start))
    cpu=$(awk '{ printf "%d", $1 + $2 }' "$log.cpu" 2>/dev/null)
    rm -f "$log.cpu"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    printf '%s\t%s\texecs=%s\tsecs=%s\tcpu_s=%s\texec/s=%s\tcov=%s\tft=%s\tcorpus=%s\trss_mb=%s\trc=%s\n' \
        "$(date -u +%FT%TZ)" "$h" "${execs:-?}" "$secs" "${cpu:-?}" "${speed:-?}" "${cov:-?}" \
        "${ft:-?}" "${corp:-?}" "${rss:-?}" "$rc" | tee -a "$BUILD/fuzz-results.tsv"
    if [ $rc -ne 0 ]; then
        status=1
        echo "run-fuzz: $h FOUND A PROBLEM (exit $rc); log: $log" >&2
        grep -E '^==[0-9]+==ERROR|^SUMMARY|check failed|Test unit written to' "$log" | head -10 >&2
        ls -1t "$out" 2>/dev/null | head -3 | sed "s|^|run-fuzz: saved input: $out/|" >&2
    fi
done
exit $status
