#!/usr/bin/env bash
# fault_alloc.sh - the smtpdx command with its n-th allocation failing,
# for every n, over an explain, a bounce (mbox, Maildir, and an mbox on
# two worker threads) and a log run;
# and the in-process unit test tests/unit/test_fault_alloc.c in the same
# build.
#
# Needs a build with -DSMTPDX_FAULT_INJECTION=ON and ASan/LSan: the build
# folder given (arg 1) when it is one, else one made in $1/fault (or
# $SMTPDX_FAULT_BUILD) with gcc. Each faulted run must:
#   - not crash and not trip a sanitizer (no leak, no bad access),
#   - exit cleanly: either non-zero with a message on stderr, or exactly
#     like the clean run (same status, same output: nothing was lost),
#   - print only whole NDJSON records: every line valid JSON, each one a
#     line of the clean run, in the same order (no partial record).
# Each n runs twice: with every later allocation failing too, and alone
# (SMTPDX_FAIL_ONLY=1), where a failure swallowed by its caller shows up
# as a run that goes on with different output.
# A run that ends without reaching its planted fault ends the loop.
# SMTPDX_FAULT_MAX (default 4000) caps the runs per scenario; past it
# the remaining n are sampled evenly and the test says so.
set -u
SRC=$PWD
BUILD=${1:?usage: fault_alloc.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
MAX=${SMTPDX_FAULT_MAX:-4000}

fail() { echo "FAIL: $*" >&2; exit 1; }

if grep -q '^SMTPDX_FAULT_INJECTION:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null &&
   grep -q '^SMTPDX_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt"; then
    FB=$BUILD
else
    FB=${SMTPDX_FAULT_BUILD:-$BUILD/fault}
    mkdir -p "$FB"
    echo "fault_alloc: building a fault-injection build in $FB"
    (
        flock 9
        cmake -S "$SRC" -B "$FB" -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Debug \
            -DSMTPDX_FAULT_INJECTION=ON -DSMTPDX_SANITIZE=ON -DSMTPDX_FUZZ=ON \
            >"$FB/configure.log" 2>&1 &&
        # the build-time tools free nothing on purpose: no leak check there
        ASAN_OPTIONS=detect_leaks=0 \
        cmake --build "$FB" -j2 --target smtpdx-fault smtpdx-fzcheck test_fault_alloc \
            >"$FB/build.log" 2>&1
    ) 9>"$FB.lock" || { tail -30 "$FB/build.log" "$FB/configure.log" 2>/dev/null; fail "fault build failed"; }
fi
FAULT=$FB/fuzz/smtpdx-fault
CHECK=$FB/fuzz/smtpdx-fzcheck
[ -x "$FAULT" ] || fail "$FAULT missing (fuzz/ not in this build?)"

export ASAN_OPTIONS=detect_leaks=1:exitcode=86:abort_on_error=0
export LSAN_OPTIONS=exitcode=87
export UBSAN_OPTIONS=halt_on_error=1:exitcode=88:print_stacktrace=1

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# ------------------------------------------------ the in-process test
if [ -x "$FB/tests/test_fault_alloc" ]; then
    echo "fault_alloc: in-process: every allocation of the library calls"
    "$FB/tests/test_fault_alloc" >"$TMP/unit.out" 2>&1
    rc=$?
    cat "$TMP/unit.out"
    [ $rc -eq 0 ] || fail "test_fault_alloc exit $rc"
fi

# ------------------------------------------------------------ inputs
# A small mbox of the bounce seeds and a log of every dialect's seed
# (their first byte is the fuzz harness's option byte: dropped).
for f in "$SRC"/fuzz/corpus/bounce/dsn-postfix-multipart.eml \
         "$SRC"/fuzz/corpus/bounce/exim-plain.eml "$SRC"/fuzz/corpus/bounce/arf.eml; do
    printf 'From MAILER-DAEMON Mon Mar  2 10:00:00 2026\n'
    cat "$f"
    printf '\n'
done >"$TMP/small.mbox"
# The same three messages as a Maildir, for the folder walk's allocations;
# one long name makes the walk's path buffer grow.
mkdir -p "$TMP/md/cur" "$TMP/md/new" "$TMP/md/tmp"
long=$(printf 'x%.0s' $(seq 1 120))
cp "$SRC"/fuzz/corpus/bounce/dsn-postfix-multipart.eml "$TMP/md/cur/1.host:2,S"
cp "$SRC"/fuzz/corpus/bounce/exim-plain.eml "$TMP/md/cur/2.$long.host:2,S"
cp "$SRC"/fuzz/corpus/bounce/arf.eml "$TMP/md/new/3.host"
for f in "$SRC"/fuzz/corpus/log/postfix-syslog.log "$SRC"/fuzz/corpus/log/exim-mainlog.log \
         "$SRC"/fuzz/corpus/log/sendmail.log; do
    tail -c +2 "$f"
done >"$TMP/mixed.log"

# ------------------------------------------------------------ the loop
# scenario NAME ARGS...: clean run, then every n. With THREADS=1 the run
# parses on worker threads (bounce -j), so the n-th allocation is not the
# same one from run to run: every check holds all the same (a failure
# anywhere must end the run cleanly, its output a prefix of the clean
# run's), but a run may make more allocations than the clean one did.
scenario() {
    local name=$1
    shift
    local ref=$TMP/$name.ref rep=$TMP/rep
    rm -f "$rep"
    SMTPDX_FAIL_REPORT=$rep "$FAULT" "$@" >"$ref" 2>"$TMP/$name.referr"
    local rc0=$?
    [ -s "$rep" ] || fail "$name: clean run left no report (exit $rc0): $(head -5 "$TMP/$name.referr")"
    local total
    total=$(sed -n 's/.*allocs=\([0-9]*\).*/\1/p' "$rep")
    [ "$rc0" -le 3 ] || fail "$name: clean run exit $rc0: $(head -5 "$TMP/$name.referr")"
    "$CHECK" ndjson "$ref" || fail "$name: clean output is not NDJSON"
    [ -s "$ref" ] || fail "$name: clean run printed nothing"
    echo "fault_alloc: $name: clean run exit $rc0, $total allocations, $(wc -l <"$ref") records"

    local step=1 runs=0 absorbed=0 only n how
    [ "$total" -gt "$MAX" ] && step=$(( (total + MAX - 1) / MAX ))
    [ $step -gt 1 ] && echo "fault_alloc: $name: $total allocations > $MAX: every ${step}th"
    for only in 0 1; do
        how=""
        [ $only -eq 1 ] && how=" (alone)"
        n=1
        while :; do
            rm -f "$rep"
            SMTPDX_FAIL_ONLY=$only SMTPDX_FAIL_ALLOC=$n SMTPDX_FAIL_REPORT=$rep \
                "$FAULT" "$@" >"$TMP/out" 2>"$TMP/err"
            local rc=$?
            runs=$((runs + 1))
            if [ $rc -ge 86 ] || grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TMP/err"; then
                cat "$TMP/err" >&2
                fail "$name: allocation $n$how: sanitizer finding (exit $rc)"
            fi
            [ -s "$rep" ] || { cat "$TMP/err" >&2; fail "$name: allocation $n$how: no clean exit (exit $rc)"; }
            "$CHECK" ndjson "$TMP/out" || fail "$name: allocation $n$how: output has a partial or invalid record"
            # every output line is a clean-run line, in order, from the start
            local lines
            lines=$(wc -l <"$TMP/out")
            head -n "$lines" "$ref" | cmp -s - "$TMP/out" ||
                fail "$name: allocation $n$how: output differs from the clean run's first $lines records"
            if grep -q 'hit=0' "$rep"; then
                [ $rc -eq $rc0 ] && cmp -s "$ref" "$TMP/out" ||
                    fail "$name: allocation $n$how not reached, yet the run differs (exit $rc)"
                break
            fi
            if [ $rc -eq $rc0 ] && cmp -s "$ref" "$TMP/out"; then
                absorbed=$((absorbed + 1))
            else
                [ $rc -ne 0 ] || fail "$name: allocation $n$how failed, exit 0 but records were lost"
                [ -s "$TMP/err" ] || fail "$name: allocation $n$how: exit $rc without a message"
            fi
            if [ $n -gt "$total" ]; then
                # threads only: this run made more allocations than the
                # clean one; its checks passed, the loop ends here
                [ "${THREADS:-0}" = 1 ] || fail "$name: allocation $n$how reached past the clean run's $total"
                break
            fi
            n=$((n + step))
            [ $n -gt $((total + 1)) ] && n=$((total + 1))
        done
    done
    echo "fault_alloc: $name: $runs faulted runs passed ($absorbed absorbed without loss)"
}

scenario explain explain --format ndjson \
    "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown" \
    "450 4.7.1 Greylisted, see http://postgrey.example/ (in reply to RCPT TO command)" \
    "452 4.3.1 Insufficient system resources"
scenario bounce bounce --format ndjson "$TMP/small.mbox"
scenario maildir bounce --format ndjson "$TMP/md"
# the same mbox parsed by two worker threads: a failure in a worker ends
# the run as cleanly as one in the reading thread
THREADS=1 scenario bounce-jobs bounce --jobs 2 --format ndjson "$TMP/small.mbox"
scenario log log --format ndjson "$TMP/mixed.log"
echo "fault_alloc: all passed"
