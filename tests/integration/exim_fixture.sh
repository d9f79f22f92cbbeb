#!/bin/bash
# exim_fixture.sh - two real Exim instances on 127.0.0.1 write the mainlogs
# that 'smtpdx log' must diagnose and the bounces that 'smtpdx bounce' must.
#
#   bash tests/integration/exim_fixture.sh BUILD_DIR [--capture DIR]
#
# Exim cannot be installed beside Postfix with apt (they conflict), so it
# runs unpacked: 'apt-get download exim4-daemon-light exim4-base' once
# into BUILD_DIR/exim-debs (reruns reuse the files), 'dpkg-deb -x' into a
# temporary directory on every run. It needs the Debian-exim system user
# (created when absent) and libidn12 (installed with apt-get when absent);
# root may hand it a private configuration with -C.
#
# Two daemons, each with its own configuration, spool and mainlog
# (log_file_path, no syslog), listening on 127.0.0.1 only:
#   sending    takes mail from swaks on the injection port and relays it,
#              by manualroute to 127.0.0.1, to the receiving port
#              (reject.test) or to a port where nothing listens
#              (remote.test); quota.test is a local Maildir with a 1 KB
#              quota, pipe.test a pipe to /bin/false; no other domain
#              has a route. Its bounces, and the receiver's, go back
#              to alice@sender.test, a Maildir of their own;
#   receiving  its RCPT ACL answers 550 5.1.1 "User unknown" for bob,
#              552 5.2.2 "Mailbox full" for full, 450 for busy, "relay not
#              permitted" for other domains; it refuses messages over
#              20 KB and accepts the rest and discards it (:blackhole:).
# What is provoked:
#   delivered  alice@ and dave@reject.test, one message ("=>" and "->");
#   bounced    bob (550 5.1.1) and full (552 5.2.2): "**" in the sending
#              log, "rejected RCPT" in the receiving one; big (30 KB,
#              552 after the pipelined data block; "rejected MAIL" in the
#              receiving log); ghost@nowhere.test ("Unrouteable address");
#              prog@pipe.test (a pipe to /bin/false); loop@reject.test,
#              sent with 30 Received fields: the receiver (limit 30)
#              fails it after accepting it and bounces it back with no
#              reason given;
#   deferred   busy (450 from the receiver), carol@remote.test
#              (connection refused) and quota@quota.test (mailbox is
#              full): "==";
#   warned     delay_warning = 1s: a forced queue run (-qf) a second
#              and a half on finds the three deferred again and warns
#              their sender (Action: delayed); on a busy machine the
#              first attempt may come late enough to warn too;
#   expired    the retry rule gives up 6 s after the first failure, so a
#              forced queue run (-qff) later fails all three: "retry
#              timeout exceeded";
#   rejected   swaks asks the receiver to relay: "relay not permitted".
# Then 'smtpdx log --format ndjson' reads both mainlogs and every case is
# checked with jq against what the log shows was caused, and 'smtpdx
# bounce' reads the 9 bounces Exim wrote (one per failed recipient) and
# its delay warnings (one or more per deferred recipient). At exit every process running the unpacked binary
# is stopped by its pid. With --capture DIR the two mainlogs and the
# Maildir of bounces and warnings are also copied there.
#
# No DNS anywhere: primary_hostname is set, host_lookup and rfc1413_hosts
# are empty, the routes are IP literals looked up "byname", no TLS/DANE.
# Exit 77 (skip) when not root or when swaks, jq, apt-get or dpkg-deb is
# absent, or when the packages cannot be had.
set -u
. "$(dirname "$0")/../lib/fixture.sh"

BUILD=${1:-build}
CAPTURE=
[ "${2:-}" = "--capture" ] && CAPTURE=${3:-}
SMTPDX=${SMTPDX:-$BUILD/smtpdx}

[ "$(id -u)" -eq 0 ] || skip "needs root to run Exim with a private configuration (-C)"
PATH=$PATH:/usr/sbin:/sbin
for t in swaks jq apt-get dpkg-deb dpkg-query; do
    command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (bash scripts/deps.sh --test)"
done
[ -x "$SMTPDX" ] || { echo "FAIL: no smtpdx binary at $SMTPDX"; exit 1; }
BUILD=$(cd "$BUILD" && pwd)

# ---- ports: a free block on 127.0.0.1 (other fixtures may be running)
BASE=$(free_block "0 1 19" 2940 2960 2980 3040 3060 3080) ||
    skip "no free block of loopback ports for the fixture"
P_RECV=$BASE            # receiving Exim
P_INJ=$((BASE + 1))     # sending Exim: injection
P_DEAD=$((BASE + 19))   # nothing listens: connection refused

T=$(mktemp -d /tmp/smtpdx-exim.XXXXXX)
chmod 755 "$T"   # Debian-exim re-executes the binary and writes the spools
EXIM=$T/root/usr/sbin/exim4
PIDS=()

# The daemons and what they started run the binary unpacked in $T
# (delivery processes detach from the daemon: only the path names them all)
cleanup() {
    stop_all "$EXIM" "${PIDS[@]}"
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

exim_fetch "$BUILD"
exim_unpack "$BUILD" "$T"

for side in tx rx; do
    mkdir -p "$T/$side/spool" "$T/$side/log"
    chown -R Debian-exim:Debian-exim "$T/$side"
done
# the Maildirs of the returned mail and of the small mailbox
mkdir -p "$T/bounces" "$T/tiny"
chown Debian-exim:Debian-exim "$T/bounces" "$T/tiny"
TXLOG=$T/tx/log/mainlog
RXLOG=$T/rx/log/mainlog

# what both instances share: private paths, loopback, no lookups, no TLS
common() {
    cat <<EOF
exim_path = $EXIM
spool_directory = $T/$1/spool
log_file_path = $T/$1/log/%slog
pid_file_path = $T/$1/exim.pid
local_interfaces = <; 127.0.0.1
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
keep_environment =
EOF
}

{ common tx; cat <<EOF
primary_hostname = mx.sender.test
qualify_domain = sender.test
daemon_smtp_ports = $P_INJ
# takes a message with 30 Received fields; the receiver (default 30)
# refuses it with the one this host adds
received_headers_max = 100
# a message still queued a second after it came warns its sender
delay_warning = 1s
acl_smtp_rcpt = acl_rcpt

begin acl
acl_rcpt:
  accept hosts = 127.0.0.1
  deny   message = relay not permitted

begin routers
# bounces come back to the sender's domain: kept in a Maildir
to_sender:
  driver = accept
  domains = sender.test
  transport = bounce_box
# a mailbox with a tiny quota on this host
to_quota:
  driver = accept
  domains = quota.test
  transport = tiny_box
# a local delivery program that fails
to_pipe:
  driver = accept
  domains = pipe.test
  transport = false_pipe
to_recv:
  driver = manualroute
  domains = reject.test
  route_list = * 127.0.0.1 byname
  transport = smtp_recv
  self = send
# other domains than these have no route: "Unrouteable address"
to_dead:
  driver = manualroute
  domains = remote.test
  route_list = * 127.0.0.1 byname
  transport = smtp_dead
  self = send

begin transports
bounce_box:
  driver = appendfile
  directory = $T/bounces
  maildir_format
  create_directory
  user = Debian-exim
tiny_box:
  driver = appendfile
  directory = $T/tiny
  maildir_format
  create_directory
  user = Debian-exim
  quota = 1K
false_pipe:
  driver = pipe
  command = /bin/false
  user = Debian-exim
smtp_recv:
  driver = smtp
  port = $P_RECV
  allow_localhost
  hosts_avoid_tls = *
  hosts_try_dane =
smtp_dead:
  driver = smtp
  port = $P_DEAD
  allow_localhost
  hosts_avoid_tls = *
  hosts_try_dane =
  connect_timeout = 5s

begin retry
# give up 6 s after the first failure, so that a later -qff expires
*  *  F,6s,1s
EOF
} > "$T/tx.conf"

{ common rx; cat <<EOF
primary_hostname = mx.reject.test
daemon_smtp_ports = $P_RECV
message_size_limit = 20K
acl_smtp_rcpt = acl_rcpt

begin acl
acl_rcpt:
  require message = relay not permitted
          domains = reject.test
  deny    local_parts = bob
          message = 550 5.1.1 <\$local_part@\$domain>: User unknown
  deny    local_parts = full
          message = 552 5.2.2 Mailbox full
  defer   local_parts = busy
          message = 450 4.2.0 Mailbox busy, try again later
  accept

begin routers
# its own bounces go back to the sending host
back:
  driver = manualroute
  domains = sender.test
  route_list = * 127.0.0.1 byname
  transport = smtp_back
  self = send
sink:
  driver = redirect
  data = :blackhole:

begin transports
smtp_back:
  driver = smtp
  port = $P_INJ
  allow_localhost
  hosts_avoid_tls = *
  hosts_try_dane =
EOF
} > "$T/rx.conf"
chmod 644 "$T/tx.conf" "$T/rx.conf"

for side in rx tx; do
    if ! "$EXIM" -C "$T/$side.conf" -bV > "$T/$side.check" 2>&1; then
        echo "FAIL: exim rejects the $side configuration:"; cat "$T/$side.check"; exit 1
    fi
    # -bdf: the daemon stays in the foreground, so its pid is known
    "$EXIM" -C "$T/$side.conf" -bdf < /dev/null > "$T/$side.err" 2>&1 &
    PIDS+=($!)
done
for _ in $(seq 100); do port_busy "$P_RECV" && port_busy "$P_INJ" && break; sleep 0.1; done
if ! port_busy "$P_RECV" || ! port_busy "$P_INJ"; then
    echo "FAIL: the exim daemons did not start"; cat "$T"/*.err "$T"/*/log/paniclog 2>/dev/null
    exit 1
fi

sw() { swaks --server 127.0.0.1 --helo client.test --timeout 10 "$@" >/dev/null 2>&1; }
inject() { sw --port "$P_INJ" --from alice@sender.test --to "$1" --header "Subject: fixture $1"; }

# wait_for LOG PATTERN [COUNT]: LOG shows PATTERN at least COUNT times
wait_for() {
    for _ in $(seq 150); do
        [ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "${3:-1}" ] && return 0
        sleep 0.2
    done
    echo "FAIL: $(basename "$(dirname "$(dirname "$1")")") log never showed '$2'"
    cat "$TXLOG" "$RXLOG"; exit 1
}

start=$SECONDS
inject alice@reject.test,dave@reject.test
inject bob@reject.test
inject full@reject.test
inject busy@reject.test
inject carol@remote.test
inject ghost@nowhere.test
# 30 KB: over the receiver's size limit, and over the local quota
BIG=$(head -c 30000 /dev/zero | tr '\0' x | fold -w 72)
sw --port "$P_INJ" --from alice@sender.test --to big@reject.test \
    --header "Subject: fixture big@reject.test" --body "$BIG"
sw --port "$P_INJ" --from alice@sender.test --to quota@quota.test \
    --header "Subject: fixture quota@quota.test" --body "$BIG"
inject prog@pipe.test
HOPS=()
for i in $(seq 30); do
    HOPS+=(--add-header "Received: from hop$i.loop.test by hop$((i + 1)).loop.test; Fri, 4 Dec 2026 00:00:$((i + 10)) +0000")
done
sw --port "$P_INJ" --from alice@sender.test --to loop@reject.test \
    --header "Subject: fixture loop@reject.test" "${HOPS[@]}"
sw --port "$P_RECV" --from a@client.test --to x@elsewhere.test

wait_for "$TXLOG" "=> alice@reject.test R=to_recv"
wait_for "$TXLOG" "-> dave@reject.test R=to_recv"
wait_for "$TXLOG" "\*\* bob@reject.test .*550 5.1.1"
wait_for "$TXLOG" "\*\* full@reject.test .*552 5.2.2"
wait_for "$TXLOG" "== busy@reject.test .*450"
wait_for "$TXLOG" "== carol@remote.test .*Connection refused"
wait_for "$RXLOG" "rejected RCPT <x@elsewhere.test>: relay not permitted"

# a forced queue run a second and a half later finds the three deferred
# again; older than delay_warning, each warns its sender
sleep 1.5
timeout 30 "$EXIM" -C "$T/tx.conf" -qf > /dev/null 2>&1
wait_for "$TXLOG" "=> alice <alice@sender.test> R=to_sender T=bounce_box" 9
# past the retry rule's 6 s a forced queue run gives up on all three;
# retry once more should the clock not have moved far enough yet
sleep 5
for _ in 1 2 3; do
    timeout 30 "$EXIM" -C "$T/tx.conf" -qff > /dev/null 2>&1
    [ "$(grep -c 'retry timeout exceeded' "$TXLOG")" -ge 3 ] && break
    sleep 2
done
wait_for "$TXLOG" "\*\* busy@reject.test: retry timeout exceeded"
wait_for "$TXLOG" "\*\* carol@remote.test: retry timeout exceeded"
wait_for "$TXLOG" "\*\* quota@quota.test: retry timeout exceeded"
# each of the 9 failures sent its bounce to alice's Maildir, after the
# 3 warnings
wait_for "$TXLOG" "=> alice <alice@sender.test> R=to_sender T=bounce_box" 12
echo "exim: cases provoked in $((SECONDS - start)) s"

if [ -n "$CAPTURE" ]; then
    mkdir -p "$CAPTURE" && cp "$TXLOG" "$CAPTURE/sending.mainlog" &&
        cp "$RXLOG" "$CAPTURE/receiving.mainlog" && cp -r "$T/bounces" "$CAPTURE/" &&
        echo "captured the mainlogs and the bounces in $CAPTURE"
fi

OUT=$T/records.ndjson
"$SMTPDX" log --only all --format ndjson "$TXLOG" "$RXLOG" > "$OUT" 2> "$T/smtpdx.err"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: smtpdx log exited $rc"; cat "$T/smtpdx.err"; exit 1; }

# check DESCRIPTION JQ-FILTER: at least one record passes the filter;
# $tx and $rx name the two logs (a record's origin is "file:line")
check() { jq_has "$OUT" "$1" "$2" --arg tx "$TXLOG:" --arg rx "$RXLOG:"; }
TX='(.origin|startswith($tx))'
RX='(.origin|startswith($rx))'

check "delivered over SMTP (=>)" \
  "$TX and .recipient==\"alice@reject.test\" and .action==\"delivered\" and .replycode==\"250\" and (.relay|startswith(\"127.0.0.1 [127.0.0.1]\")) and .addresser==\"alice@sender.test\""
check "delivered, second address of the same delivery (->)" \
  "$TX and .recipient==\"dave@reject.test\" and .action==\"delivered\""
n=$(jq -s --arg tx "$TXLOG:" "map(select($TX and .action==\"delivered\" and (.recipient==\"alice@reject.test\" or .recipient==\"dave@reject.test\")) | .queueid) | unique | length" "$OUT")
is "$n" 1 "alice and dave: one message, one queue id"
check "bounced: 550 5.1.1 user unknown (**)" \
  "$TX and .recipient==\"bob@reject.test\" and .action==\"failed\" and .reason==\"userunknown\" and .temporary==false and .replycode==\"550\" and .deliverystatus==\"5.1.1\" and .smtpcommand==\"RCPT\" and .addresser==\"alice@sender.test\" and .queueid!=null"
# a full mailbox is persistent but transient (RFC 3463 3.3): the kb calls
# it temporary even when the server gave up with 552
check "bounced: 552 5.2.2 mailbox full (**)" \
  "$TX and .recipient==\"full@reject.test\" and .action==\"failed\" and .reason==\"mailboxfull\" and .temporary==true and .replycode==\"552\" and .deliverystatus==\"5.2.2\""
check "deferred: 450 from the receiver (==)" \
  "$TX and .recipient==\"busy@reject.test\" and .action==\"delayed\" and .temporary==true and .replycode==\"450\" and .smtpcommand==\"RCPT\""
check "deferred: connection refused (==)" \
  "$TX and .recipient==\"carol@remote.test\" and .action==\"delayed\" and .reason==\"networkerror\" and .temporary==true and .addresser==\"alice@sender.test\""
for r in busy@reject.test carol@remote.test; do
    check "expired: $r, retry timeout exceeded" \
      "$TX and .recipient==\"$r\" and .action==\"failed\" and .reason==\"expired\" and .temporary==false"
done
check "receiver: relay not permitted" \
  "$RX and .recipient==\"x@elsewhere.test\" and .action==\"failed\" and .reason==\"norelaying\" and .temporary==false and .smtpcommand==\"RCPT\" and .addresser==\"a@client.test\" and .queueid==null"
check "receiver: rejected RCPT 550 5.1.1" \
  "$RX and .recipient==\"bob@reject.test\" and .reason==\"userunknown\" and .replycode==\"550\" and .queueid==null and (.relay|startswith(\"(mx.sender.test)\"))"
check "receiver: rejected RCPT 552 5.2.2" \
  "$RX and .recipient==\"full@reject.test\" and .reason==\"mailboxfull\" and .replycode==\"552\""
check "receiver: temporarily rejected RCPT 450" \
  "$RX and .recipient==\"busy@reject.test\" and .action==\"delayed\" and .temporary==true"
check "bounce delivered to the Maildir: recipient from the angle brackets, local name as alias" \
  "$TX and .recipient==\"alice@sender.test\" and .action==\"delivered\" and .alias==\"alice\""
check "no route to the domain: Unrouteable address (**)" \
  "$TX and .recipient==\"ghost@nowhere.test\" and .action==\"failed\" and .reason==\"hostunknown\" and .temporary==false"
check "size limit, told after the pipelined data block (**)" \
  "$TX and .recipient==\"big@reject.test\" and .action==\"failed\" and .reason==\"mesgtoobig\" and .replycode==\"552\" and .smtpcommand==\"DATA\""
check "local quota: deferred as mailbox full (==)" \
  "$TX and .recipient==\"quota@quota.test\" and .action==\"delayed\" and .reason==\"mailboxfull\" and .temporary==true"
check "receiver: message too big, refused at MAIL FROM" \
  "$RX and .recipient==\"\" and .addresser==\"alice@sender.test\" and .reason==\"mesgtoobig\" and .smtpcommand==\"MAIL\""
if jq -e -s 'map(select(.action!="delivered" and .reason=="undefined")) | length == 0' "$OUT" >/dev/null; then
    echo "ok   every failure is classified"
else
    echo "FAIL some failure is left undefined"; fails=$((fails + 1))
fi

# one record per line that says so, counted in the logs themselves
cnt() { grep -c -- "$1" "$2"; }
jqn() { jq -s --arg tx "$TXLOG:" --arg rx "$RXLOG:" "map(select($1)) | length" "$OUT"; }
is "$(jqn "$TX and .action==\"delayed\"")" "$(cnt '^[^ ]* [^ ]* [^ ]* == ' "$TXLOG")" "one delayed record per == line"
is "$(jqn "$TX and .action==\"failed\"")" "$(cnt '^[^ ]* [^ ]* [^ ]* \*\* ' "$TXLOG")" "one failed record per ** line"
is "$(jqn "$TX and .action==\"delivered\"")" "$(cnt '^[^ ]* [^ ]* [^ ]* [-=]> ' "$TXLOG")" "one delivered record per => and -> line"
is "$(jqn "$RX and .action!=\"delivered\"")" "$(cnt ' rejected \(RCPT\|MAIL\) \| \*\* ' "$RXLOG")" "one record per rejected RCPT or MAIL line and per ** line"
is "$(jqn "$TX and .reason==\"expired\"")" "$(cnt 'retry timeout exceeded' "$TXLOG")" "one expired record per retry timeout"

# failures only by default; the filters on the same real logs
n=$("$SMTPDX" log --format ndjson "$TXLOG" "$RXLOG" | jq -s 'map(select(.action=="delivered")) | length')
is "$n" 0 "default output leaves out deliveries"
n=$("$SMTPDX" log --format ndjson --domain remote.test "$TXLOG" | jq -s 'length > 0 and all(.destination=="remote.test")')
is "$n" true "--domain keeps only that domain"
"$SMTPDX" log --format ndjson --reason userunknown "$TXLOG" "$RXLOG" |
    jq -e -s 'length == 2 and all(.reason=="userunknown")' >/dev/null
is $? 0 "--reason userunknown: the bounce and the receiver's reject"

# ---- the bounces Exim wrote (multipart/report: its text, an RFC 3464
# report with Status 5.0.0, the returned message), one per failure
BOUT=$T/bounces.ndjson
"$SMTPDX" bounce --format ndjson "$T/bounces" > "$BOUT" 2> "$T/bounce.err"
rc=$?
is $rc 0 "smtpdx bounce reads the Maildir of Exim's bounces"
# 9 bounces and a warning or more for each of the 3 deferred (on a busy
# machine the first delivery attempt may itself come a second late and
# warn, before the queue run warns again)
nmail=$(find "$T/bounces/new" "$T/bounces/cur" -type f | wc -l)
[ "$nmail" -ge 12 ] && [ "$nmail" -le 18 ]
is $? 0 "9 bounces and 3 to 9 warnings in the Maildir ($nmail)"
grep -q "$nmail messages read, $nmail bounces, $nmail records, 0 not a bounce, 0 unparseable" "$T/bounce.err"
is $? 0 "summary: one record per mail ($(tail -n 1 "$T/bounce.err"))"
bcheck() { jq_has "$BOUT" "$1" "$2"; }
# what every record shares: the returned message and the reporting host
jq -e -s 'map(select(.action == "failed")) | length == 9 and all(.addresser == "alice@sender.test"
    and (.lhost == "mx.sender.test" or .recipient == "loop@reject.test") and .smtpagent == "Exim"
    and .subject == "fixture " + .recipient
    and (.messageid | length) > 0 and (.token | length) == 40)' "$BOUT" >/dev/null
is $? 0 "bounce records: failed, sender, reporting host and the returned message's subject"
bcheck "bounce: 550 5.1.1 at RCPT" \
  '.recipient=="bob@reject.test" and .reason=="userunknown" and .deliverystatus=="5.1.1" and .replycode=="550" and .smtpcommand=="RCPT" and .rhost=="127.0.0.1" and .hardbounce==1'
bcheck "bounce: 552 5.2.2 mailbox full" \
  '.recipient=="full@reject.test" and .reason=="mailboxfull" and .deliverystatus=="5.2.2" and .replycode=="552" and .hardbounce==0'
bcheck "bounce: message size, after the pipelined data block" \
  '.recipient=="big@reject.test" and .reason=="mesgtoobig" and .replycode=="552" and .smtpcommand=="DATA" and .hardbounce==0'
bcheck "bounce: Unrouteable address" \
  '.recipient=="ghost@nowhere.test" and .reason=="hostunknown" and .hardbounce==1 and .rhost==""'
bcheck "bounce: local quota, then retry timeout exceeded" \
  '.recipient=="quota@quota.test" and .reason=="mailboxfull" and (.diagnosticcode|test("mailbox is full"))'
bcheck "bounce: 450 until the retry time ran out" \
  '.recipient=="busy@reject.test" and .reason=="expired" and .replycode=="450" and .temporary==false'
bcheck "bounce: a local delivery program failed" \
  '.recipient=="prog@pipe.test" and .reason=="mailererror" and .hardbounce==0'
# the receiving Exim says no word of why: the returned message's hops do
bcheck "bounce from the receiver: too many Received fields, told by the hop count" \
  '.recipient=="loop@reject.test" and .reason=="networkerror" and .cause=="mail-loop" and .lhost=="mx.reject.test" and .matched.kind=="returned" and .confidence=="low"'
bcheck "bounce: connection refused until the retry time ran out" \
  '.recipient=="carol@remote.test" and .reason=="expired" and .temporary==false'
# the warnings: still queued, so temporary and nothing to do yet; the
# report's Action decides where the reply says nothing more telling
jq -e -s 'map(select(.action == "delayed")) | (map(.recipient) | unique) ==
    ["busy@reject.test", "carol@remote.test", "quota@quota.test"] and all(.hardbounce == 0
    and .temporary == true and .addresser == "alice@sender.test" and .smtpagent == "Exim"
    and .subject == "fixture " + .recipient and .lhost == "mx.sender.test")' "$BOUT" >/dev/null
is $? 0 "warnings: for the three deferred only, temporary, with the returned message's subject"
bcheck "warning: 450 busy, still queued" \
  '.recipient=="busy@reject.test" and .action=="delayed" and .reason=="expired" and .cause=="delivery-delayed" and .replycode=="450" and .retry.advice=="retry" and .matched.kind=="report" and .conflict==false'
bcheck "warning: connection refused, still queued" \
  '.recipient=="carol@remote.test" and .action=="delayed" and .reason=="expired" and .cause=="delivery-delayed" and .who=="nobody"'
bcheck "warning: local mailbox full, still queued" \
  '.recipient=="quota@quota.test" and .action=="delayed" and .reason=="mailboxfull" and .temporary==true'

[ $fails -eq 0 ] || { echo "--- sending"; cat "$TXLOG"; echo "--- receiving"; cat "$RXLOG"; echo "--- records"; cat "$OUT" "$BOUT"; exit 1; }
echo "exim fixture: all cases diagnosed"
exit 0
