#!/usr/bin/env bash
# fault_io.sh - reads and writes that fail, through the shipping command.
#
# Writes: stdout on /dev/full (every write fails with ENOSPC) and stdout
# closed (EBADF), for explain, bounce and log, in table and NDJSON form:
# the command must exit non-zero, say so on stderr, and not crash.
# Reads: an input that does not exist, a folder given to log, a file
# whose reads fail with EIO (/proc/self/mem at offset 0), and closed
# stdin: exit 3 with a message naming the input, while the other inputs
# on the same command line are still processed (their records printed).
set -u
SMTPDX=${SMTPDX:-$1/smtpdx}
SRC=$PWD
[ -x "$SMTPDX" ] || { echo "SKIP: no smtpdx binary at $SMTPDX"; exit 77; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

tail -c +2 "$SRC/fuzz/corpus/log/postfix-syslog.log" >"$TMP/good.log"
cp "$SRC/fuzz/corpus/bounce/dsn-postfix-multipart.eml" "$TMP/good.eml"
REPLY="550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown"

# A run died from a signal or a sanitizer?
crashed() {
    [ "$1" -ge 124 ] || grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TMP/err"
}

# ------------------------------------------------------------ writes
write_case() { # NAME REDIRECTION ARGS...
    local name=$1 how=$2
    shift 2
    case $how in
    full) "$SMTPDX" "$@" >/dev/full 2>"$TMP/err" ;;
    closed) "$SMTPDX" "$@" >&- 2>"$TMP/err" ;;
    esac
    local rc=$?
    if crashed $rc; then
        fail "$name ($how): crashed (exit $rc): $(head -3 "$TMP/err")"
    elif [ $rc -eq 0 ]; then
        fail "$name ($how): exit 0 although nothing could be written"
    elif ! [ -s "$TMP/err" ]; then
        fail "$name ($how): exit $rc without a message"
    elif [ "$how" = full ] && ! grep -q "No space left on device" "$TMP/err"; then
        fail "$name ($how): the system's reason is not given: $(head -1 "$TMP/err")"
    else
        echo "ok: $name ($how): exit $rc: $(head -1 "$TMP/err")"
    fi
}
for how in full closed; do
    for fmt in ndjson table json; do
        write_case "explain --format $fmt" $how explain --format $fmt "$REPLY"
        write_case "bounce --format $fmt" $how bounce --format $fmt "$TMP/good.eml"
        write_case "log --format $fmt" $how log --format $fmt "$TMP/good.log"
    done
done

# A large output, so the failure comes in the middle of the stream.
for i in $(seq 1 300); do cat "$TMP/good.log"; done >"$TMP/big.log"
write_case "log large" full log --format ndjson "$TMP/big.log"

# ------------------------------------------------------------ reads
read_case() { # NAME BAD_PATH CMD ARGS... (the good input among ARGS)
    local name=$1 bad=$2
    shift 2
    "$SMTPDX" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    local rc=$?
    if crashed $rc; then
        fail "$name: crashed (exit $rc): $(head -3 "$TMP/err")"
        return
    fi
    [ $rc -eq 3 ] || fail "$name: exit $rc, want 3"
    grep -qF -- "$bad" "$TMP/err" || fail "$name: the message does not name $bad: $(head -3 "$TMP/err")"
    [ -s "$TMP/out" ] || fail "$name: the readable input was not processed"
    [ $rc -eq 3 ] && echo "ok: $name: exit 3: $(grep -F -- "$bad" "$TMP/err" | head -1)"
}
read_case "bounce missing file" "$TMP/nonexistent.eml" \
    bounce --format ndjson "$TMP/nonexistent.eml" "$TMP/good.eml"
read_case "bounce missing file last" "$TMP/nonexistent.eml" \
    bounce --format ndjson "$TMP/good.eml" "$TMP/nonexistent.eml"
grep -q "nonexistent.eml: No such file or directory" "$TMP/err" ||
    fail "bounce missing file: the system's reason is not given: $(head -3 "$TMP/err")"
read_case "log missing file" "$TMP/nonexistent.log" \
    log --format ndjson "$TMP/nonexistent.log" "$TMP/good.log"
mkdir "$TMP/adir"
read_case "log folder" "$TMP/adir" log --format ndjson "$TMP/adir" "$TMP/good.log"
# A folder nested past the walk's limit is named, with the limit, not
# left out in silence; the good message beside it is read.
deep="$TMP/tree"
mkdir -p "$deep"
cp "$TMP/good.eml" "$deep/good.eml"
for i in $(seq 1 64); do deep="$deep/d"; done
mkdir -p "$deep"
cp "$TMP/good.eml" "$deep/lost.eml"
read_case "bounce folder too deep" "$TMP/tree/d/d" bounce --format ndjson "$TMP/tree"
grep -q "folder nested deeper than 64 levels: not read" "$TMP/err" ||
    fail "bounce folder too deep: the limit is not named: $(head -3 "$TMP/err")"
if head -c1 /proc/self/mem >/dev/null 2>&1; then
    echo "note: /proc/self/mem readable here; EIO case skipped"
else
    read_case "bounce EIO" /proc/self/mem bounce --format ndjson /proc/self/mem "$TMP/good.eml"
    read_case "log EIO" /proc/self/mem log --format ndjson /proc/self/mem "$TMP/good.log"
fi
if [ "$(id -u)" -ne 0 ]; then
    cp "$TMP/good.eml" "$TMP/locked.eml" && chmod 000 "$TMP/locked.eml"
    read_case "bounce unreadable" "$TMP/locked.eml" bounce --format ndjson "$TMP/locked.eml" "$TMP/good.eml"
fi

# stdin closed: a clean error, no crash
for cmd in "explain -" "bounce -" "log -"; do
    # shellcheck disable=SC2086
    "$SMTPDX" $cmd --format ndjson <&- >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if crashed $rc; then
        fail "$cmd with stdin closed: crashed (exit $rc)"
    elif [ $rc -eq 0 ] && [ -s "$TMP/out" ]; then
        fail "$cmd with stdin closed: exit 0 with output"
    else
        echo "ok: $cmd with stdin closed: exit $rc"
    fi
done

if [ $failures -ne 0 ]; then
    echo "fault_io: $failures failures" >&2
    exit 1
fi
echo "fault_io: all passed"
