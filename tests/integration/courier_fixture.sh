#!/bin/bash
# courier_fixture.sh - a real Courier mail server on 127.0.0.1 writes the
# bounces and the delay warning that 'smtpdx bounce' must diagnose.
#
#   bash tests/integration/courier_fixture.sh BUILD_DIR [--capture DIR]
#
# Courier's notice is a multipart/report whose delivery-status part gives
# only the class of the failure ("Status: 5.0.0", "4.0.0"): the detail is
# in the remote reply of the Diagnostic-Code, and the text part repeats it
# as a transcript (" >>> RCPT TO:<bob@remote.test>", " <<< 550 5.1.1 ...").
# Its delay warning has no Diagnostic-Code at all, only that transcript.
# This test proves that smtpdx reads what Courier 1.0 really writes.
#
# The Debian packages (courier-mta, courier-base, courier-authlib,
# libcourier-unicode4, libgamin0, libltdl7, and any of libgdbm6, libidn12
# and libpcre3 the host lacks) are downloaded once per build directory and
# unpacked, never installed: Courier conflicts with the Postfix of the
# test machines. Its programs have their paths compiled in (/etc/courier,
# /usr/lib/courier, /var/lib/courier, /run/courier) and want a "courier"
# user, so they run in private mount and pid namespaces (unshare -m -p)
# where
#   /etc      is an overlay: the unpacked configuration, a passwd and a
#             group with the courier user added, and the test's own hosts,
#             nsswitch.conf and resolv.conf (names come from the hosts file
#             only; a DNS query could only go to 127.0.0.1, where nothing
#             answers);
#   /usr/lib  is an overlay that adds the unpacked programs and libraries;
#   /var/lib and /run are empty file systems (the queue, the socket of
#             authdaemond, which Courier asks whether a local user exists);
#   /dev/log  is a socket of the test: Courier logs to syslog only, and
#             tests/lib/syslog_sink.py writes its lines to a file as a
#             syslog daemon would, which 'smtpdx log' then reads.
# Nothing of the host changes, and when the namespace's first process ends
# the kernel ends every process Courier started.
#
# The remote side is tests/lib/smtp_peer.py on a loopback port, Courier's
# smarthost for every domain (esmtproutes ":[127.0.0.1],PORT", no MX
# lookup, MTA-STS turned off): it refuses bob (550 5.1.1), full (552
# 5.2.2), spam (554 5.7.1) and busy (451 4.3.0), refuses content after the
# message text (554 5.7.1), and keeps what it accepts, which is where the
# bounces to alice@origin.test come back. Cases, submitted with Courier's
# sendmail: one message to each of bob, full, spam and content; one
# message to bob, spam and full (one bounce, three records in that order);
# one to busy, with warntime 1 s (the delay warning) and queuetime 8 s
# (then the bounce that gives it up). Then one SMTP session with Courier's
# SMTP server (courieresmtpd, on its standard input as couriertcpd hands
# it a connection): RCPT for nosuch, then for a domain it does not relay
# to; both refusals are in its log. Two local addresses of
# mta.sender.test: nosuch, no user of that name ("550 User <nosuch>
# unknown" from courierd itself), and prog, an alias whose delivery
# program fails (exit 70: its words are all the notice says).
# With --capture DIR the bounces and Courier's log are also copied there.
# Exit 77 (skip) when not root, when unshare, python3, jq, apt-get,
# dpkg-deb or dpkg-query is absent, when the packages cannot be had, or
# when no private namespace or overlay can be mounted here.
set -u
. "$(dirname "$0")/../lib/fixture.sh"

BUILD=${1:-build}
CAPTURE=
[ "${2:-}" = "--capture" ] && CAPTURE=${3:-}
SMTPDX=${SMTPDX:-$BUILD/smtpdx}
SRC=$(cd "$(dirname "$0")/../.." && pwd)

[ "$(id -u)" -eq 0 ] || skip "needs root for private mount and pid namespaces"
need_tools unshare python3 jq apt-get dpkg-deb dpkg-query
smtpdx_paths

# ---- the packages: downloaded once per build directory
DEBS=$BUILD/courier-debs
PKGS="courier-mta courier-base courier-authlib libcourier-unicode4 libgamin0 libltdl7"
for p in libgdbm6 libidn12 libpcre3; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        PKGS="$PKGS $p"
done
# shellcheck disable=SC2086
fetch_debs "$DEBS" $PKGS

# ---- ports and files
BASE=$(free_block "0" 3440 3450 3460 3470 3480) ||
    skip "no free loopback port for the fixture"
P_PEER=$BASE

T=$(mktemp -d /tmp/smtpdx-courier.XXXXXX)
chmod 755 "$T"
R=$T/root
PEER_PID=
NS_PID=
# the namespace's first process dies with unshare (--kill-child), and
# every process Courier started dies with it
cleanup() {
    [ -n "$NS_PID" ] && kill "$NS_PID" 2>/dev/null && wait "$NS_PID" 2>/dev/null
    [ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null && wait "$PEER_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

for p in $PKGS; do
    d=$(ls "$DEBS/${p}"_*.deb | sort -V | tail -n 1)
    dpkg-deb -x "$d" "$R" || { echo "FAIL: dpkg-deb -x $d"; exit 1; }
done
COURIERD=$R/usr/lib/courier/courier/courierd
[ -x "$COURIERD" ] && [ -x "$R/usr/sbin/sendmail" ] ||
    { echo "FAIL: no courierd or sendmail in the packages"; exit 1; }
missing=$(LD_LIBRARY_PATH=$R/usr/lib/x86_64-linux-gnu:$R/usr/lib ldd "$COURIERD" \
    "$R/usr/lib/courier/courier/submit" "$R/usr/lib/courier/courier/modules/esmtp/courieresmtp" |
    awk '/not found/ {print $1}' | sort -u)
[ -z "$missing" ] || skip "courier needs libraries the host lacks: $missing"

# ---- the configuration seen at /etc inside the namespace
mkdir -p "$T/etc" "$T/dev" "$T/sock" "$T/out"
cp -a "$R/etc/courier" "$T/etc/" && cp /etc/passwd /etc/group "$T/etc/" || exit 1
if ! getent passwd courier >/dev/null; then
    ID=$(free_id 64950)
    echo "courier:x:$ID:$ID::/var/lib/courier:/usr/sbin/nologin" >> "$T/etc/passwd"
    getent group courier >/dev/null || echo "courier:x:$ID:" >> "$T/etc/group"
fi
printf '127.0.0.1 localhost mta.sender.test\n' > "$T/etc/hosts"
printf 'hosts: files\npasswd: files\ngroup: files\n' > "$T/etc/nsswitch.conf"
printf 'nameserver 127.0.0.1\n' > "$T/etc/resolv.conf"
C=$T/etc/courier
echo mta.sender.test > "$C/me"
echo mta.sender.test > "$C/defaultdomain"
printf 'localhost\nmta.sender.test\n' > "$C/locals"
# every domain, origin.test of the returned mail included, to the peer
echo ":[127.0.0.1],$P_PEER" > "$C/esmtproutes"
# busy: tried every 2 to 4 s, warned about at the first try after 1 s,
# given up at the first after 8 s
echo 1s > "$C/warntime"
echo 8s > "$C/queuetime"
echo 2s > "$C/retryalpha"
echo 2 > "$C/retrybeta"
echo 2s > "$C/retrygamma"
echo 1 > "$C/retrymaxdelta"
# local users are looked up in the passwd file through authdaemond
cat > "$C/authdaemonrc" <<'EOF'
authmodulelist="authpam"
authmodulelistorig="authpam"
daemons=1
authdaemonvar=/run/courier/authdaemon
DEBUG_LOGIN=0
DEFAULTOPTIONS=""
LOGGEROPTS=""
EOF
printf '|echo archive: cannot write the message; exit 70\n' > "$C/aliasdir/.courier-prog"
chmod 644 "$C/aliasdir/.courier-prog"
# the mount point of the syslog socket
: > "$T/dev/log"

# ---- the SMTP peer, in the host's network like every fixture's
python3 "$SRC/tests/lib/smtp_peer.py" "$P_PEER" "$T/out" > "$T/peer.log" 2>&1 &
PEER_PID=$!
for _ in $(seq 50); do port_busy "$P_PEER" && break; sleep 0.1; done
port_busy "$P_PEER" || { echo "FAIL: the SMTP peer did not start"; cat "$T/peer.log"; exit 1; }

# ---- Courier, in the namespaces
WANT=9   # bob, full, spam, content, several, nosuch, prog, busy twice
cat > "$T/run.sh" <<EOF
set -e
mount --make-rprivate /
mount -t proc proc /proc
python3 $SRC/tests/lib/syslog_sink.py $T/sock/log $T/courier.log mta &
for _ in \$(seq 50); do [ -S $T/sock/log ] && break; sleep 0.1; done
mount -t overlay overlay -o lowerdir=$T/dev:/dev /dev
mount --bind $T/sock/log /dev/log
mount -t overlay overlay -o lowerdir=$T/etc:/etc /etc
mount -t overlay overlay -o lowerdir=$R/usr/lib:/usr/lib /usr/lib
mount -t tmpfs -o mode=755 tmpfs /var/lib
mount -t tmpfs -o mode=755 tmpfs /run
cp -a $R/var/lib/courier /var/lib/
mkdir /var/lib/courier/sts
chown -R courier:courier /var/lib/courier
chmod 750 /var/lib/courier /var/lib/courier/*
chmod 770 /var/lib/courier/tmp
mkdir -m 775 /run/courier
chgrp courier /run/courier
mkdir -m 750 /run/courier/authdaemon
chown courier:courier /run/courier/authdaemon
/usr/lib/courier/courier-authlib/authdaemond > $T/authdaemond.log 2>&1 &
for _ in \$(seq 50); do [ -S /run/courier/authdaemon/socket ] && break; sleep 0.1; done
# no MTA-STS: it would look the relay up in DNS before every connection
$R/usr/bin/testmxlookup --sts-cache-disable
# as courierctl.start does, with the process in the foreground
cd /usr
env -i /bin/sh -c 'set -a; . /etc/courier/courierd; exec /usr/lib/courier/courier/courierd' &
for _ in \$(seq 50); do [ -p /var/lib/courier/tmp/trigger ] && break; sleep 0.1; done
send() {
    local name=\$1 to
    shift
    to=\$(printf '%s, ' "\$@")
    printf 'From: Alice <alice@origin.test>\nTo: %s\nSubject: fixture %s\nMessage-ID: <cr-%s@origin.test>\n\nhello\n' \
        "\${to%, }" \$name \$name | $R/usr/sbin/sendmail -f alice@origin.test "\$@"
}
for r in bob full spam content; do send \$r \$r@remote.test; done
send several bob@remote.test spam@remote.test full@remote.test
send busy busy@remote.test
send nosuch nosuch@mta.sender.test
send prog prog@mta.sender.test
for _ in \$(seq 300); do
    [ "\$(find $T/out -name 'msg-*.eml' | wc -l)" -ge $WANT ] && break
    sleep 0.2
done
# Courier's SMTP server, one session on its standard input as couriertcpd
# would hand it over: a local user that does not exist, and a relay
# attempt to a domain that is not local
printf 'EHLO client.test\r\nMAIL FROM:<mallory@client.test>\r\nRCPT TO:<nosuch@mta.sender.test>\r\nRCPT TO:<someone@elsewhere.test>\r\nQUIT\r\n' |
    env -i /bin/sh -c 'set -a; . /etc/courier/esmtpd; BOFHCHECKDNS=0; TARPIT=0
        TCPREMOTEIP=127.0.0.1; TCPREMOTEHOST=localhost; TCPREMOTEPORT=40000
        TCPLOCALIP=127.0.0.1; TCPLOCALPORT=25
        exec /usr/lib/courier/courier/modules/esmtp/courieresmtpd' > $T/esmtpd.out 2>&1 || true
sleep 0.5
EOF
start=$SECONDS
timeout 90 unshare -m -p -f --kill-child bash "$T/run.sh" > "$T/run.log" 2>&1 &
NS_PID=$!
wait "$NS_PID"
rc=$?
NS_PID=
if [ $rc -ne 0 ]; then
    grep -qi "mount\|unshare\|overlay" "$T/run.log" &&
        skip "no private namespace or overlay here: $(head -n 1 "$T/run.log")"
    echo "FAIL: the Courier run failed:"; cat "$T/run.log" "$T/authdaemond.log" "$T/courier.log"; exit 1
fi
n=$(find "$T/out" -name 'msg-*.eml' | wc -l)
[ "$n" -ge $WANT ] || { echo "FAIL: $n mails came back, $WANT expected"; cat "$T/run.log" "$T/courier.log" "$T/peer.log"; exit 1; }
echo "courier: $n bounces in $((SECONDS - start)) s"

if [ -n "$CAPTURE" ]; then
    mkdir -p "$CAPTURE" && cp "$T"/out/msg-*.eml "$T/courier.log" "$CAPTURE/" &&
        echo "captured the bounces and the log in $CAPTURE"
fi

OUT=$T/records.ndjson
"$SMTPDX" bounce --format ndjson "$T/out" > "$OUT" 2> "$T/summary"
rc=$?
check() { jq_has "$OUT" "$@"; }
is $rc 0 "smtpdx bounce exits 0"
grep -q "$WANT messages read, $WANT bounces, 11 records, 0 not a bounce, 0 unparseable" "$T/summary"
is $? 0 "summary: $WANT bounces, 11 records ($(tail -n 1 "$T/summary"))"

# what every record shares: the sender, the reporting host, the returned
# message (its subject names the case)
jq -e -s 'length == 11 and all(.addresser == "alice@origin.test" and .lhost == "mta.sender.test"
    and .smtpagent == "RFC3464" and (.subject | startswith("fixture "))
    and .messageid == "cr-" + (.subject | ltrimstr("fixture ")) + "@origin.test"
    and (.token | length) == 40 and .reason != "undefined")' "$OUT" >/dev/null
is $? 0 "every record: sender, reporting host, returned message, a reason"
# the relay is an IP literal: Remote-MTA "dns; [127.0.0.1] [127.0.0.1]"
# and the transcript's host line "[127.0.0.1] [127.0.0.1]:"; the record
# gives the address alone, as for a relay written without brackets
check "bob: unknown at RCPT, the detail from the reply behind Status 5.0.0" \
  '.recipient=="bob@remote.test" and .subject=="fixture bob" and .action=="failed" and .reason=="userunknown" and .deliverystatus=="5.1.1" and .replycode=="550" and .smtpcommand=="RCPT" and .hardbounce==1 and .temporary==false and .rhost=="127.0.0.1" and (.diagnosticcode|startswith("550 5.1.1 <bob@remote.test>"))'
# a full mailbox is persistent but transient: not a hard bounce
check "full: over quota" \
  '.recipient=="full@remote.test" and .subject=="fixture full" and .action=="failed" and .reason=="mailboxfull" and .deliverystatus=="5.2.2" and .replycode=="552" and .smtpcommand=="RCPT" and .hardbounce==0'
check "spam: a block-list refusal" \
  '.recipient=="spam@remote.test" and .subject=="fixture spam" and .reason=="blocked" and .cause=="dnsbl-listed" and .deliverystatus=="5.7.1" and .replycode=="554" and .smtpcommand=="RCPT"'
# the command is in the text part alone (" >>> DATA")
check "content: refused after the message text" \
  '.recipient=="content@remote.test" and .subject=="fixture content" and .reason=="spamdetected" and .deliverystatus=="5.7.1" and .replycode=="554" and .smtpcommand=="DATA" and .hardbounce==0'

n=$(jq -s -c 'map(select(.subject=="fixture several")) | [(map(.origin) | unique | length), map(.recipient)]' "$OUT")
is "$n" '[1,["bob@remote.test","spam@remote.test","full@remote.test"]]' \
    "several: one bounce, one record per recipient, in the order given"
n=$(jq -s -c 'map(select(.subject=="fixture several")) | map([.reason, .replycode, .smtpcommand])' "$OUT")
is "$n" '[["userunknown","550","RCPT"],["blocked","554","RCPT"],["mailboxfull","552","RCPT"]]' \
    "several: each recipient's own reply"

# the warning's delivery-status part has no Diagnostic-Code: reply,
# command and host come from the transcript; the reply is the reason
check "busy: the delay warning, told by its transcript alone" \
  '.recipient=="busy@remote.test" and .action=="delayed" and .temporary==true and .reason=="systemerror" and .deliverystatus=="4.3.0" and .replycode=="451" and .smtpcommand=="RCPT" and .rhost=="127.0.0.1" and .hardbounce==0 and .diagnosticcode=="451 4.3.0 Temporary lookup failure, try again later"'
# given up when queuetime ran out: Status 5.0.0 with the 451 that kept
# coming; as in the Sendmail and Postfix fixtures, the last reply is the
# reason (Courier's notice says nothing of the time)
# The status stays the report's 5.0.0: the reply's own code is taken only
# when it has the report's class (Sendmail's 4.4.7 beside the same 451
# 4.3.0 gives 4.3.0), and here the class says the message was given up.
check "busy: given up, the last reply is the reason" \
  '.recipient=="busy@remote.test" and .action=="failed" and .reason=="systemerror" and .deliverystatus=="5.0.0" and .replycode=="451" and .smtpcommand=="RCPT" and .hardbounce==0 and (.diagnosticcode|startswith("451 4.3.0"))'
n=$(jq -s 'map(select(.recipient=="busy@remote.test")) | length' "$OUT")
is "$n" 2 "busy: the warning and the final bounce, nothing more"

# courierd's own refusal: "Diagnostic-Code: unknown; 550 User <nosuch>
# unknown", no remote host, no command, no enhanced code
check "nosuch: a local user unknown, no remote host" \
  '.recipient=="nosuch@mta.sender.test" and .subject=="fixture nosuch" and .action=="failed" and .reason=="userunknown" and .hardbounce==1 and .replycode=="550" and .smtpcommand=="" and .rhost=="" and .diagnosticcode=="550 User <nosuch> unknown"'
# no reply, no detail in the status, nothing that names a program: smtpdx
# cannot tell what failed, and says so
check "prog: a delivery program failed, its words are the diagnostic" \
  '.recipient=="prog@mta.sender.test" and .subject=="fixture prog" and .action=="failed" and .reason=="onhold" and .deliverystatus=="5.0.0" and .replycode=="" and .rhost=="" and .hardbounce==0 and .diagnosticcode=="archive: cannot write the message"'

# ---- Courier's log of the same run
LOUT=$T/log.ndjson
"$SMTPDX" log --format ndjson --utc --year 2026 "$T/courier.log" > "$LOUT"
is $? 0 "smtpdx log exits 0 on Courier's log"
lcheck() { jq_has "$LOUT" "$@"; }
lcheck "log: bob unknown, the remote answer kept until the outcome line" \
  '.recipient=="bob@remote.test" and .action=="failed" and .reason=="userunknown" and .replycode=="550" and .smtpagent=="Courier" and .addresser=="alice@origin.test" and (.queueid|length)==42'
lcheck "log: full over quota" \
  '.recipient=="full@remote.test" and .action=="failed" and .reason=="mailboxfull"'
lcheck "log: spam refused by a block list" \
  '.recipient=="spam@remote.test" and .action=="failed" and .cause=="dnsbl-listed"'
lcheck "log: content refused" \
  '.recipient=="content@remote.test" and .action=="failed" and .reason=="spamdetected"'
lcheck "log: courierd's own refusal of a local user" \
  '.recipient=="nosuch@mta.sender.test" and .action=="failed" and .reason=="userunknown"'
n=$(jq -s 'map(select(.recipient=="busy@remote.test" and .action=="delayed" and .temporary==true and .replycode=="451")) | length' "$LOUT")
[ "$n" -ge 2 ]
is $? 0 "log: busy deferred at each attempt ($n)"
# (busy's return when its queue time ran out shows in Courier's log only
# as the start of a DSN, the same line a failure's DSN starts with: not
# read as an expiry)
n=$(jq -s 'map(select(.action=="failed" and (.queueid // "") != "")) | length' "$LOUT")
is "$n" 9 "log: nine failures (bob, full and spam twice, content, nosuch, prog)"
lcheck "log: Courier's SMTP server refuses an unknown local user" \
  '.recipient=="nosuch@mta.sender.test" and .addresser=="mallory@client.test" and .reason=="userunknown" and .smtpcommand=="RCPT" and .replycode=="550" and .lhost=="127.0.0.1" and .rhost=="mta"'
lcheck "log: Courier's SMTP server refuses to relay (513)" \
  '.recipient=="someone@elsewhere.test" and .reason=="norelaying" and .replycode=="513" and .smtpcommand=="RCPT"'

[ $fails -eq 0 ] || { echo "--- courier"; tail -n 40 "$T/courier.log"; echo "--- records"; cat "$OUT"; echo "--- log records"; cat "$LOUT"; exit 1; }
echo "courier fixture: all cases diagnosed"
exit 0
