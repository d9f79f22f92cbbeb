#!/bin/bash
# journal_fixture.sh - 'smtpdx log' reads what journalctl prints, in each
# of its output formats, as it reads the syslog file of the same lines.
#
#   bash tests/integration/journal_fixture.sh BUILD_DIR
#
# Where no syslog daemon runs, a mail server's log lives only in the
# journal, and 'journalctl -u postfix@- -o ...' is how it comes out. Here
# the real systemd-journald runs on sockets of its own, in private mount
# and pid namespaces (unshare -m -p) where /run and /var/log/journal are
# empty file systems and an overlay on /dev adds a /dev/log that is
# journald's: nothing of the host is touched, and the kernel ends
# journald with the namespace. The lines of a real Postfix log
# (tests/data/log/postfix-real, written by the Postfix fixture) reach it
# through syslog, sent by util-linux logger with each line's program name
# and process id, as Postfix's syslog(3) calls would send them. journalctl
# then prints them as json, short, short-iso, short-precise and
# short-full; each output, journald's own lines included, must give the
# records that the original file gives (recipient, action, reason, cause,
# status, reply; not the times, which journald takes when a line arrives,
# nor the host names, which are this machine's in the journal: logger
# sends its own).
# Exit 77 (skip) when not root, when unshare, logger, journalctl or jq is
# absent, when systemd-journald is not there, or when no private
# namespace or overlay can be had.
set -u
. "$(dirname "$0")/../lib/fixture.sh"

BUILD=${1:-build}
SMTPDX=${SMTPDX:-$BUILD/smtpdx}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
JOURNALD=/lib/systemd/systemd-journald
CASE=$SRC/tests/data/log/postfix-real/input.log

[ "$(id -u)" -eq 0 ] || skip "needs root for private mount and pid namespaces"
need_tools unshare logger journalctl jq
[ -x "$JOURNALD" ] || skip "no $JOURNALD (the systemd package)"
smtpdx_paths

T=$(mktemp -d "${TMPDIR:-/tmp}/smtpdx-journal.XXXXXX")
NS_PID=
cleanup() {
    stop_pid "$NS_PID"
    rm -rf "$T"
}
trap cleanup EXIT

# what the original file gives
fields='{recipient, action, reason, cause, deliverystatus, diagnosticcode}'
"$SMTPDX" log --format ndjson "$CASE" 2> /dev/null | jq -c "$fields" > "$T/want"
WANT=$(wc -l < "$T/want")
[ "$WANT" -gt 0 ] || { echo "FAIL: the case gives no records"; exit 1; }
LINES=$(wc -l < "$CASE")

# "Mmm dd hh:mm:ss host prog[pid]: text" -> prog, pid, text, one per line
# (a tab apart), for logger
sed -n 's/^[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* [^ ]* \([^[ ]*\)\[\([0-9]*\)\]: \(.*\)$/\1\t\2\t\3/p' \
    "$CASE" > "$T/lines"
is "$(wc -l < "$T/lines")" "$LINES" "every line of the case has a syslog header"

mkdir -p "$T/dev" "$T/out"
: > "$T/dev/log"
cat > "$T/run.sh" <<EOF
set -e
mount --make-rprivate /
mount -t proc proc /proc
mount -t tmpfs -o mode=755 tmpfs /run
[ -d /var/log/journal ] && mount -t tmpfs -o mode=755 tmpfs /var/log/journal
mkdir -p /run/systemd/journal /run/log/journal
$JOURNALD > $T/journald.log 2>&1 &
for _ in \$(seq 50); do [ -S /run/systemd/journal/dev-log ] && break; sleep 0.1; done
mount -t overlay overlay -o lowerdir=$T/dev:/dev /dev
mount --bind /run/systemd/journal/dev-log /dev/log
while IFS=\$'\t' read -r prog pid text; do
    logger -t "\$prog" --id="\$pid" -- "\$text"
done < $T/lines
# journald files what it received in order; wait for the last line
for _ in \$(seq 100); do
    n=\$(journalctl -D /run/log/journal -o json --no-pager | grep -c '"SYSLOG_IDENTIFIER":"postfix/' || true)
    [ "\$n" -ge $LINES ] && break
    sleep 0.1
done
for f in json short short-iso short-precise short-full; do
    journalctl -D /run/log/journal -o \$f --no-pager > $T/out/\$f
done
EOF
timeout 120 unshare -m -p -f --kill-child bash "$T/run.sh" > "$T/run.log" 2>&1 &
NS_PID=$!
wait "$NS_PID"
rc=$?
NS_PID=
if [ $rc -ne 0 ]; then
    grep -qi "mount\|unshare\|overlay" "$T/run.log" &&
        skip "no private namespace or overlay here: $(head -n 1 "$T/run.log")"
    echo "FAIL: the journald run failed:"; cat "$T/run.log" "$T/journald.log"; exit 1
fi
n=$(grep -c '"SYSLOG_IDENTIFIER":"postfix/' "$T/out/json")
is "$n" "$LINES" "journald filed every line"

for f in json short short-iso short-precise short-full; do
    "$SMTPDX" log --format ndjson "$T/out/$f" 2> "$T/$f.err" |
        jq -c "$fields" > "$T/$f.got"
    if cmp -s "$T/want" "$T/$f.got"; then
        echo "ok   journalctl -o $f: the same $WANT records as the syslog file"
    else
        echo "FAIL journalctl -o $f: records differ from the syslog file's"
        diff "$T/want" "$T/$f.got" | head -10
        head -3 "$T/out/$f"
        fails=$((fails + 1))
    fi
done
# the time and the host are journald's (in the json the year is known);
# a refusal by the server that logged it names that server as rhost
"$SMTPDX" log --format ndjson "$T/out/json" > "$T/json.ndjson" 2> /dev/null
jq_has "$T/json.ndjson" "json: records carry journald's time" \
    '.timestamp >= $t' --argjson t "$(( $(date +%s) - 600 ))"
jq_has "$T/json.ndjson" "json: a refusal names journald's host" \
    '.action == "failed" and .rhost == $h' --arg h "$(hostname)"

[ $fails -eq 0 ] || exit 1
echo "journal: all checks passed"
