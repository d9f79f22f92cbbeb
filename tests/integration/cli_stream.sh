#!/bin/bash
# cli_stream.sh - standard input fed by a writer that pauses (tail -f, a
# filter handing over mail as it arrives, journalctl -f): what is known
# must be written out while the writer is still open, not held until the
# input ends or a buffer fills.
#
# The input and the output are named pipes held open by this script: it
# writes part of the input, then waits (up to 20 s, far beyond what the
# work takes) for the first record to come out before it writes more or
# closes. A run that held its output would make the wait run out. Checked
# for 'bounce' (an mbox, plain and gzip, on one thread and on three), for
# 'log' and for 'explain'; and each once more with standard input left
# non-blocking, as some programs leave the pipes they start us with. The
# records written in pieces must be those of the same input read at once.
#
# arg1: the build directory; env SMTPDX: the binary (default arg1/smtpdx).
set -u
build=$(cd "${1:-build}" 2>/dev/null && pwd) || build="${1:-build}"
SMTPDX="${SMTPDX:-$build/smtpdx}"
cd "$(dirname "$0")/../.." || exit 1
[ -x "$SMTPDX" ] || { echo "FAIL: no binary at $SMTPDX"; exit 1; }
command -v gzip >/dev/null || { echo "SKIP: gzip is not installed"; exit 77; }

. tests/lib/check.sh

# mbox MSG...: the messages as an mbox
mbox() {
    local f
    for f in "$@"; do
        echo "From MAILER-DAEMON Sat Nov 28 10:00:00 2026"
        sed 's/\r$//; s/^\(>*From \)/>\1/' "$f"
        echo
    done
}
a=tests/data/bounce/dsn-mixed-actions.eml
b=tests/data/bounce/exim-null-mx.eml
c=tests/data/bounce/courier-local-user-unknown.eml
mbox "$a" "$b" > "$tmp/ab.mbox"
mbox "$c" > "$tmp/c.mbox"
cat "$tmp/ab.mbox" "$tmp/c.mbox" > "$tmp/all.mbox"

# paused NAME FIRST REST CMD...: runs CMD with standard input and output
# on named pipes; writes the file FIRST, waits for one output line, then
# writes REST and closes. Leaves the first line in $tmp/NAME.first, the
# whole output in $tmp/NAME.out, the status in $tmp/NAME.rc.
paused() {
    local name=$1 first=$2 rest=$3
    shift 3
    rm -f "$tmp/in" "$tmp/out"
    mkfifo "$tmp/in" "$tmp/out"
    "$@" < "$tmp/in" > "$tmp/out" 2> "$tmp/$name.err" &
    local pid=$!
    exec 3> "$tmp/in"
    exec 4< "$tmp/out"
    cat "$first" >&3
    local line=""
    if IFS= read -r -t 20 line <&4; then
        ok
    else
        bad "$name: nothing came out while the writer paused"
    fi
    printf '%s\n' "$line" > "$tmp/$name.first"
    cat "$rest" >&3
    exec 3>&-
    cat <&4 > "$tmp/$name.rest"
    exec 4<&-
    wait "$pid"
    echo $? > "$tmp/$name.rc"
    if [ -n "$line" ]; then
        cat "$tmp/$name.first" "$tmp/$name.rest" > "$tmp/$name.out"
    else
        cat "$tmp/$name.rest" > "$tmp/$name.out"
    fi
}

"$SMTPDX" bounce --format ndjson - < "$tmp/all.mbox" > "$tmp/want.bounce" 2>/dev/null
[ "$(wc -l < "$tmp/want.bounce")" -ge 3 ] && ok ||
    bad "the whole mbox at once: fewer records than messages"

for j in 1 3; do
    # the first two messages, then a pause: the first one is complete
    # (the next one's "From " line ended it), the second may wait for what
    # comes after it
    paused "plain$j" "$tmp/ab.mbox" "$tmp/c.mbox" \
        "$SMTPDX" bounce -j "$j" --format ndjson -
    is "$(cat "$tmp/plain$j.rc")" 0 "bounce -j $j: exit status"
    is "$(head -1 "$tmp/want.bounce")" "$(cat "$tmp/plain$j.first")" \
        "bounce -j $j: the first record, written during the pause"
    check "bounce -j $j: every record, as read at once" \
        cmp "$tmp/want.bounce" "$tmp/plain$j.out"
done

# gzip data: the first member holds the first two messages, the second
# the last; the pause falls between the members
gzip -c "$tmp/ab.mbox" > "$tmp/ab.gz"
gzip -c "$tmp/c.mbox" > "$tmp/c.gz"
paused gz "$tmp/ab.gz" "$tmp/c.gz" "$SMTPDX" bounce -j 2 --format ndjson -
is "$(cat "$tmp/gz.rc")" 0 "bounce, gzip input: exit status"
is "$(head -1 "$tmp/want.bounce")" "$(cat "$tmp/gz.first")" \
    "bounce, gzip input: the first record, written during the pause"
check "bounce, gzip input: every record, as read at once" \
    cmp "$tmp/want.bounce" "$tmp/gz.out"

# log: the first half of a real Postfix log, a pause, the rest
L=tests/data/log/postfix-real/input.log
n=$(wc -l < "$L")
head -n $((n / 2)) "$L" > "$tmp/l1"
tail -n +$((n / 2 + 1)) "$L" > "$tmp/l2"
"$SMTPDX" log --format ndjson - < "$L" > "$tmp/want.log" 2>/dev/null
[ -s "$tmp/want.log" ] || bad "log: the sample gives no record"
paused log "$tmp/l1" "$tmp/l2" "$SMTPDX" log --format ndjson -
is "$(cat "$tmp/log.rc")" 0 "log: exit status"
is "$(head -1 "$tmp/want.log")" "$(cat "$tmp/log.first")" \
    "log: the first record, written during the pause"
check "log: every record, as read at once" cmp "$tmp/want.log" "$tmp/log.out"

# interrupt PID REST: Ctrl-C (SIGINT) to PID, which reads fd 3's pipe
# and writes fd 4's; what it writes after that goes to REST, its exit
# status to REST.rc, and both pipes are closed. A run that ignored the
# signal would wait for ever: a watchdog ends it after 20 s.
interrupt() {
    kill -INT "$1"
    (
        for _ in $(seq 200); do
            kill -0 "$1" 2>/dev/null || exit 0
            sleep 0.1
        done
        kill -TERM "$1"
    ) > /dev/null 2>&1 &
    local dog=$!
    cat <&4 > "$2"
    wait "$1"
    echo $? > "$2.rc"
    wait "$dog"
    exec 3>&- 4<&-
}

# log as a table: when the pipe falls silent, what came so far is shown
# and a notice says that failures now come one by one; Ctrl-C (SIGINT)
# then ends the run with the summary of all, exit status 0
rm -f "$tmp/in" "$tmp/out"
mkfifo "$tmp/in" "$tmp/out"
"$SMTPDX" log --format table - < "$tmp/in" > "$tmp/out" 2> "$tmp/tab.err" &
pid=$!
exec 3> "$tmp/in"
exec 4< "$tmp/out"
cat "$tmp/l1" >&3
seen=0
while IFS= read -r -t 20 line <&4; do
    case $line in "-- the input paused"*) seen=1; break ;; esac
done
is "$seen" 1 "log --format table: a notice when the pipe falls silent"
cat "$tmp/l2" >&3
sleep 0.5 # (the lines of the second half are read; no check rests on it)
interrupt "$pid" "$tmp/tab.rest"
is "$(cat "$tmp/tab.rest.rc")" 0 "log --format table: Ctrl-C ends a live pipe with status 0"
grep -q "^Totals" "$tmp/tab.rest"
is "$?" 0 "log --format table: the summary of all after Ctrl-C"

# bounce as a table, and its --summary: when the pipe falls silent, the
# summary of the records so far (those of the first message: the second
# is not ended until the next "From " line comes) and a notice; Ctrl-C
# then ends the input as its end would, so the last message still gives
# its records, and the summary of all closes the run, exit status 0
n1=$(mbox "$a" | "$SMTPDX" bounce --format ndjson - 2>/dev/null | wc -l)
nall=$(wc -l < "$tmp/want.bounce")
last=$(tail -1 "$tmp/want.bounce" | jq -r .recipient)
for mode in "--format table" "--summary"; do
    for j in 1 3; do
        name="bounce $mode -j $j"
        rm -f "$tmp/in" "$tmp/out"
        mkfifo "$tmp/in" "$tmp/out"
        # shellcheck disable=SC2086 # $mode is two words or one
        "$SMTPDX" bounce $mode -j "$j" - < "$tmp/in" > "$tmp/out" 2>/dev/null &
        pid=$!
        exec 3> "$tmp/in"
        exec 4< "$tmp/out"
        cat "$tmp/ab.mbox" >&3
        seen=0
        : > "$tmp/btab.first"
        while IFS= read -r -t 20 line <&4; do
            case $line in "-- the input paused"*) seen=1; break ;; esac
            printf '%s\n' "$line" >> "$tmp/btab.first"
        done
        is "$seen" 1 "$name: a notice when the pipe falls silent"
        grep -q "^$n1 records:" "$tmp/btab.first"
        is "$?" 0 "$name: the summary so far ($n1 records) before the notice"
        cat "$tmp/c.mbox" >&3
        sleep 0.5 # (the last message is read; no check rests on it)
        interrupt "$pid" "$tmp/btab.rest"
        is "$(cat "$tmp/btab.rest.rc")" 0 "$name: Ctrl-C ends a live pipe with status 0"
        grep -q "^$nall records:" "$tmp/btab.rest"
        is "$?" 0 "$name: the summary of all ($nall records) after Ctrl-C"
        if [ "$mode" = "--format table" ]; then
            grep -qxF "$last" "$tmp/btab.rest"
            is "$?" 0 "$name: the last message's record, ended by Ctrl-C"
        fi
    done
done

# explain: replies one per line, the second a multi-line one; the pause
# comes after the first
printf '550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown\n' > "$tmp/e1"
printf '452-4.2.2 The email account that you tried to reach is over quota.\n452 4.2.2 Please direct the recipient to the help centre.\n' > "$tmp/e2"
cat "$tmp/e1" "$tmp/e2" | "$SMTPDX" explain --format ndjson - > "$tmp/want.explain" 2>/dev/null
is "$(wc -l < "$tmp/want.explain")" 2 "explain: two replies read at once, two answers"
paused explain "$tmp/e1" "$tmp/e2" "$SMTPDX" explain --format ndjson -
is "$(cat "$tmp/explain.rc")" 0 "explain: exit status"
is "$(head -1 "$tmp/want.explain")" "$(cat "$tmp/explain.first")" \
    "explain: the first answer, written during the pause"
check "explain: every answer, as read at once" \
    cmp "$tmp/want.explain" "$tmp/explain.out"

# standard input left non-blocking by the program that started smtpdx
# (some runtimes do that to the pipes they make): a read that finds the
# pipe empty must wait for the writer, not end the input or fail
if command -v python3 >/dev/null; then
    nonblocking() { # FILE CMD...: output lines, status, last error line
        python3 - "$@" <<'PY'
import fcntl, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | os.O_NONBLOCK)
out = open(os.environ["NB_OUT"], "wb")
p = subprocess.Popen(sys.argv[2:], stdin=r, stdout=out, stderr=subprocess.DEVNULL)
os.close(r)
data = open(sys.argv[1], "rb").read()
try:
    for part in (data[: len(data) // 2], data[len(data) // 2 :]):
        time.sleep(0.2)
        os.write(w, part)
except BrokenPipeError:
    pass
os.close(w)
print(p.wait())
PY
    }
    NB_OUT=$tmp/nb.bounce; export NB_OUT
    is "$(nonblocking "$tmp/all.mbox" "$SMTPDX" bounce -j 2 --format ndjson -)" 0 \
        "bounce, non-blocking standard input: exit status"
    check "bounce, non-blocking standard input: every record" \
        cmp "$tmp/want.bounce" "$tmp/nb.bounce"
    NB_OUT=$tmp/nb.log
    is "$(nonblocking "$L" "$SMTPDX" log --format ndjson -)" 0 \
        "log, non-blocking standard input: exit status"
    check "log, non-blocking standard input: every record" \
        cmp "$tmp/want.log" "$tmp/nb.log"
    NB_OUT=$tmp/nb.explain
    cat "$tmp/e1" "$tmp/e2" > "$tmp/e12"
    is "$(nonblocking "$tmp/e12" "$SMTPDX" explain --format ndjson -)" 0 \
        "explain, non-blocking standard input: exit status"
    check "explain, non-blocking standard input: every answer" \
        cmp "$tmp/want.explain" "$tmp/nb.explain"
else
    echo "python3 absent: the non-blocking standard input cases skipped"
fi

finish cli_stream
