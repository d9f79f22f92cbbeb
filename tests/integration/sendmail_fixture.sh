#!/bin/bash
# sendmail_fixture.sh - a real Sendmail 8 on 127.0.0.1 writes the bounces
# and the delay warning that 'smtpdx bounce' must diagnose.
#
#   bash tests/integration/sendmail_fixture.sh BUILD_DIR
#
# Sendmail's bounce is a multipart/report: a text part with "The
# following addresses had permanent fatal errors" and a session
# transcript, then an RFC 3464 report. This test proves that smtpdx reads
# today's Debian Sendmail as it reads the old Sendmail mails of the corpus.
#
# The Debian packages (sendmail-bin, sendmail-cf, m4, libwrap0) are
# downloaded once per build directory and unpacked, never installed. The
# configuration is made with m4 from sendmail-cf. Sendmail runs in a
# private mount namespace (unshare -m) where /etc/hosts, /etc/nsswitch.conf
# and /etc/resolv.conf are the test's own (names come from the hosts file
# only, and a DNS query could only go to 127.0.0.1, where nothing answers),
# and where its files live on a tmpfs at /mnt (Sendmail refuses a queue or
# an alias file under a world-writable directory such as /tmp). Nothing of
# the host changes.
#
# The remote side is tests/lib/smtp_peer.py on a loopback port: it refuses
# bob (550 5.1.1), full (552 5.2.2), spam (554 5.7.1) and busy (451 4.3.0)
# and keeps what it accepts, which is where Sendmail returns the bounces
# to alice@origin.test; content it refuses after the message text (554
# 5.7.1). Cases: four messages to one refused recipient each; one message
# to bob, full and busy (one bounce, two records; busy stays queued); a
# local address that does not exist; a queue run with a warning time of
# one second, which sends the delay warning for busy, and one with a
# queue lifetime of one second, which gives busy up. Then Sendmail as a
# server on another loopback port: a client is refused two local users at
# RCPT time; its log, through a syslog of ours (syslog_start), must give
# both refusals with the sender that the log names only after them.
# Exit 77 (skip) when not root, when unshare, python3, jq, apt-get or
# dpkg-deb is absent, or when the packages cannot be had.
set -u
. "$(dirname "$0")/../lib/fixture.sh"

BUILD=${1:-build}
SMTPDX=${SMTPDX:-$BUILD/smtpdx}
SRC=$(cd "$(dirname "$0")/../.." && pwd)

[ "$(id -u)" -eq 0 ] || skip "needs root for a private mount namespace"
need_tools unshare python3 jq apt-get dpkg-deb
smtpdx_paths

# ---- the packages: downloaded once per build directory
DEBS=$BUILD/sendmail-debs
PKGS="sendmail-bin sendmail-cf m4 libwrap0"
# shellcheck disable=SC2086
fetch_debs "$DEBS" $PKGS

# ---- ports and files
BASE=$(free_block "0 1" 3340 3350 3360 3370 3380) ||
    skip "no free loopback port for the fixture"
P_PEER=$BASE
P_SM=$((BASE + 1))

T=$(mktemp -d /tmp/smtpdx-sendmail.XXXXXX)
chmod 755 "$T"
PEER_PID=
cleanup() {
    [ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null && wait "$PEER_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

sendmail_unpack "$DEBS" "$T"
LIBDIR=$SM_LIBDIR

mkdir -p "$T/out"
python3 "$SRC/tests/lib/smtp_peer.py" "$P_PEER" "$T/out" > "$T/peer.log" 2>&1 &
PEER_PID=$!
for _ in $(seq 50); do port_busy "$P_PEER" && break; sleep 0.1; done
port_busy "$P_PEER" || { echo "FAIL: the SMTP peer did not start"; cat "$T/peer.log"; exit 1; }

# ---- the configuration: everything goes to the peer
sendmail_cf "$T" mta.sender.test <<EOF
define(\`confHOSTS_FILE', \`/mnt/sm/hosts')dnl
define(\`SMART_HOST', \`[127.0.0.1]')dnl
define(\`RELAY_MAILER_ARGS', \`TCP \$h $P_PEER')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $P_PEER')dnl
define(\`SMTP_MAILER_ARGS', \`TCP \$h $P_PEER')dnl
EOF
# each name on a line of its own: the first line's names are Sendmail's
# own (class w, delivered locally), the others are remote
printf '127.0.0.1 mta.sender.test %s localhost\n127.0.0.1 remote.test\n127.0.0.1 origin.test\n' \
    "$(hostname)" > "$T/hosts"
printf 'hosts files\naliases files\n' > "$T/service.switch"
printf 'hosts: files\npasswd: files\ngroup: files\n' > "$T/nsswitch.conf"
printf 'nameserver 127.0.0.1\n' > "$T/resolv.conf"

cat > "$T/run.sh" <<EOF
set -e
mount --make-rprivate /
mount --bind $T/hosts /etc/hosts
mount --bind $T/nsswitch.conf /etc/nsswitch.conf
mount --bind $T/resolv.conf /etc/resolv.conf
mount -t tmpfs -o mode=755 tmpfs /mnt
mkdir -m 755 /mnt/sm
mkdir -m 700 /mnt/sm/q
cp $T/test.cf $T/hosts $T/service.switch /mnt/sm/
: > /mnt/sm/aliases
: > /mnt/sm/statistics
export LD_LIBRARY_PATH=$LIBDIR
S="$SM -C /mnt/sm/test.cf -O QueueDirectory=/mnt/sm/q"
\$S -bi > /dev/null
for r in bob full spam content; do
    printf 'From: Alice <alice@origin.test>\nTo: %s@remote.test\nSubject: fixture %s\nMessage-ID: <sm-%s@origin.test>\n\nhello\n' \$r \$r \$r |
        timeout 60 \$S -odi -f alice@origin.test \$r@remote.test || true
done
printf 'From: alice@origin.test\nTo: bob@remote.test, full@remote.test, busy@remote.test\nSubject: fixture three\nMessage-ID: <sm-three@origin.test>\n\nhello\n' |
    timeout 60 \$S -odi -f alice@origin.test bob@remote.test full@remote.test busy@remote.test || true
# a local address that does not exist, errors mailed back (-oem)
printf 'From: alice@origin.test\nTo: nosuch@mta.sender.test\nSubject: fixture nosuch\nMessage-ID: <sm-nosuch@origin.test>\n\nhello\n' |
    timeout 60 \$S -odi -oem -f alice@origin.test nosuch@mta.sender.test || true
# Sendmail as a server: a client is refused two local users that do not
# exist at RCPT time, then quits; its log goes to a syslog of ours
SRC=$SRC
. $SRC/tests/lib/fixture.sh
syslog_start $T mta
# the server and the syslog end with this script, however it ends
stop_server() {
    kill \$(head -n 1 /mnt/sm/sendmail.pid 2>/dev/null) 2>/dev/null
    sleep 0.5
    syslog_stop
}
trap 'stop_server || true' EXIT
\$S -bd -O DaemonPortOptions=Port=$P_SM,Addr=127.0.0.1,Name=MTA
for _ in \$(seq 50); do port_busy $P_SM && break; sleep 0.1; done
python3 - <<'PY' > $T/session.log 2>&1 || true
import smtplib
s = smtplib.SMTP("127.0.0.1", $P_SM, timeout=30)
s.ehlo("client.origin.test")
s.mail("mallory@origin.test")
print(s.rcpt("ghost@mta.sender.test"))
print(s.rcpt("phantom@mta.sender.test"))
s.quit()
PY
sleep 2
timeout 60 \$S -O Timeout.queuewarn=1s -q || true
# then the queue's lifetime runs out for busy
sleep 2
timeout 60 \$S -O Timeout.queuereturn=1s -q || true
EOF
if ! unshare -m bash "$T/run.sh" > "$T/run.log" 2>&1; then
    grep -qi "mount\|unshare" "$T/run.log" &&
        skip "no private mount namespace here: $(head -n 1 "$T/run.log")"
    echo "FAIL: the Sendmail run failed:"; cat "$T/run.log"; exit 1
fi

for _ in $(seq 50); do
    [ "$(find "$T/out" -name 'msg-*.eml' | wc -l)" -ge 8 ] && break
    sleep 0.1
done
n=$(find "$T/out" -name 'msg-*.eml' | wc -l)
[ "$n" -ge 8 ] || { echo "FAIL: $n mails came back, 8 expected"; cat "$T/run.log" "$T/peer.log"; exit 1; }

OUT=$T/records.ndjson
"$SMTPDX" bounce --format ndjson "$T/out" > "$OUT" 2> "$T/summary"
rc=$?
check() { jq_has "$OUT" "$@"; }
is $rc 0 "smtpdx bounce exits 0"
grep -q "8 bounces" "$T/summary"
is $? 0 "the summary counts eight bounces ($(tail -n 1 "$T/summary"))"

check "bob: unknown, at RCPT, from the remote host" \
  '.recipient=="bob@remote.test" and .subject=="fixture bob" and .reason=="userunknown" and .deliverystatus=="5.1.1" and .replycode=="550" and .smtpcommand=="RCPT" and .rhost=="remote.test" and .smtpagent=="Sendmail" and .hardbounce==1 and .addresser=="alice@origin.test" and .messageid=="sm-bob@origin.test"'
check "full: over quota" \
  '.recipient=="full@remote.test" and .subject=="fixture full" and .reason=="mailboxfull" and .deliverystatus=="5.2.2" and .replycode=="552"'
check "spam: a block-list refusal" \
  '.recipient=="spam@remote.test" and .reason=="blocked" and .cause=="dnsbl-listed" and .deliverystatus=="5.7.1" and .replycode=="554" and .who=="sender-admin"'
n=$(jq -s 'map(select(.subject=="fixture three" and .action=="failed" and .recipient!="busy@remote.test")) | length' "$OUT")
is "$n" 2 "one bounce for bob and full gives two records (busy is still queued)"
check "busy: the delay warning is temporary" \
  '.recipient=="busy@remote.test" and .action=="delayed" and .temporary==true and .deliverystatus=="4.3.0" and .replycode=="451" and .hardbounce==0'
# given up (Status 4.4.7, "Message could not be delivered for 1 second"):
# as in the Postfix fixture, the last reply that kept failing is the reason
check "busy: given up when the queue time ran out, the last reply is the reason" \
  '.recipient=="busy@remote.test" and .action=="failed" and .reason=="systemerror" and .deliverystatus=="4.3.0" and .replycode=="451" and .hardbounce==0'
n=$(jq -s 'map(select(.recipient=="busy@remote.test")) | length' "$OUT")
is "$n" 2 "busy: the warning and the final bounce, nothing more"
check "content: refused after the message text" \
  '.recipient=="content@remote.test" and .subject=="fixture content" and .reason=="spamdetected" and .smtpcommand=="DATA" and .replycode=="554" and .deliverystatus=="5.7.1"'
check "nosuch: a local user unknown, no remote host" \
  '.recipient=="nosuch@mta.sender.test" and .subject=="fixture nosuch" and .reason=="userunknown" and .hardbounce==1 and .rhost==""'


# the server's log: Sendmail writes the refusals first and the session's
# sender last ("from=<mallory@origin.test>, ..., nrcpts=0"); the records
# of the refusals must still name that sender
LOUT=$T/log.ndjson
"$SMTPDX" log --format ndjson "$T/maillog" > "$LOUT" 2> "$T/log.err"
is $? 0 "smtpdx log reads the server's log"
for r in ghost phantom; do
    jq_has "$LOUT" "log: $r refused at RCPT, the sender named by the later from= line" \
      ".recipient==\"$r@mta.sender.test\" and .action==\"failed\" and .reason==\"userunknown\" and .smtpcommand==\"RCPT\" and .addresser==\"mallory@origin.test\" and .smtpagent==\"Sendmail\""
done

[ $fails -eq 0 ] || { echo "--- run"; tail -n 30 "$T/run.log"; echo "--- records"; cat "$OUT";
    echo "--- session"; cat "$T/session.log"; echo "--- log"; cat "$T/maillog" "$LOUT"; exit 1; }
echo "sendmail fixture: all cases diagnosed"
exit 0
