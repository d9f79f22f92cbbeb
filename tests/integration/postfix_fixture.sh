#!/bin/bash
# postfix_fixture.sh - a real Postfix on 127.0.0.1 writes the log that
# 'smtpdx log' must diagnose.
#
#   bash tests/integration/postfix_fixture.sh BUILD_DIR [--capture FILE]
#
# Starts one private Postfix instance (config, queue and log in a temporary
# directory; Postfix's own maillog_file, no syslog) and a private postgrey,
# then provokes, with swaks against 127.0.0.1 only:
#   sent       injected mail relayed over SMTP to the receiving smtpd;
#   bounced    the receiving smtpd answers 550 5.1.1 (unknown user) and
#              552 5.2.2 (an access map: "Mailbox full"); a 30 KB message
#              goes over the SIZE it announces; virtual(8) has no
#              mailbox for ghost@sender.test;
#   deferred   the receiving smtpd answers 450 "mailbox unavailable" and
#              421 "Unexpected failure"; other domains go to a relay port
#              where nothing listens (connection refused);
#   expired    maximal_queue_lifetime = 0 returns every deferred message
#              after its first try;
#   warned     then, reloaded with a queue lifetime of an hour and
#              delay_warning_time = 1s, a message deferred twice (451
#              4.3.0) makes Postfix send its sender a delay warning;
#   softbounce last, with soft_bounce = yes, the unknown user of
#              virtual(8) stays queued ("status=SOFTBOUNCE"; the receiving
#              smtpd, the same instance, now answers 4xx instead of 5xx);
#   rejected   at the SMTP server: relay denied (550 5.7.1), unknown user
#              (550 5.1.1), greylisting (postgrey, 450 4.2.0), no disk
#              (queue_minfree: 452 4.3.1), too many connections (421), and
#              the 450/421/552 answers above given to swaks directly.
# Everything started is stopped by its own handle at exit (postfix -c DIR
# stop, postgrey's pid). Then 'smtpdx log --format ndjson' reads the log
# and each case is checked with jq: reason, cause, temporary, action; and
# 'smtpdx bounce' reads the delivery status notifications this Postfix
# returned to the sender's Maildir (one per failed message).
# With --capture FILE the log is also copied there (that is how the real
# lines in tests/data/log/postfix-real/ were made).
#
# Never touches the host resolver: no DNS in Postfix (bracketed next hops,
# smtp_dns_support_level = disabled, smtpd_peername_lookup = no).
# Exit 77 (skip) when not root or postfix, postgrey, swaks or jq is absent.
set -u
. "$(dirname "$0")/../lib/fixture.sh"

BUILD=${1:-build}
CAPTURE=
[ "${2:-}" = "--capture" ] && CAPTURE=${3:-}
SMTPDX=${SMTPDX:-$BUILD/smtpdx}

[ "$(id -u)" -eq 0 ] || skip "needs root to run a private Postfix instance"
for t in postfix postconf postgrey swaks jq; do
    command -v "$t" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
    command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (bash scripts/deps.sh --test)"
done
[ -x "$SMTPDX" ] || { echo "FAIL: no smtpdx binary at $SMTPDX"; exit 1; }

# ---- ports: a free block on 127.0.0.1 (others may run fixtures too)
BASE=$(free_block "0 1 2 3 4 5 19 8000" 2740 2760 2780 2840 2860 2880) ||
    skip "no free block of loopback ports for the fixture"
P_RECV=$BASE            # receiving smtpd: 250 / 550 5.1.1 / 552 / 450 / 421
P_GREY=$((BASE + 1))    # greylisting through postgrey
P_DISK=$((BASE + 2))    # queue_minfree: 452 4.3.1
P_CONN=$((BASE + 3))    # one connection per client: 421
P_INJ=$((BASE + 4))     # injection: accepts from loopback and queues
P_DEAD=$((BASE + 19))   # relay where nothing listens
P_PG=$((BASE + 8000))   # postgrey

PF=$(mktemp -d /tmp/smtpdx-pf.XXXXXX)
chmod 755 "$PF"   # the postfix and postgrey users must reach their parts
LOG=$PF/postfix.log
PG_PID=
HOLD_OPEN=0

cleanup() {
    [ $HOLD_OPEN -eq 1 ] && exec 7>&- 2>/dev/null
    postfix_stop "$PF/etc" "$PF/spool"
    stop_pid "$PG_PID"
    rm -rf "$PF"
}
trap cleanup EXIT

mkdir -p "$PF/postgrey"
chown postgrey "$PF/postgrey" 2>/dev/null || chmod 777 "$PF/postgrey"

postfix_instance "$PF" "$LOG"
cat >> "$PF/etc/main.cf" <<EOF
mynetworks = 127.0.0.2/32
mydestination = reject.test
local_recipient_maps = inline:{ {alice=ok}, {full=ok}, {busy=ok}, {fail=ok} }
relay_domains_reject_code = 550
transport_maps = inline:{ {reject.test=smtp:[127.0.0.1]:$P_RECV} }
relayhost = [127.0.0.1]:$P_DEAD
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions =
EOF

cat > "$PF/etc/master.cf" <<EOF
# receiving side: its own name (the client's loop check wants one), what it
# accepts is discarded (so nothing loops back), access map answers per user
127.0.0.1:$P_RECV inet n - n - - smtpd
  -o myhostname=mx.reject.test
  -o content_filter=discard:accepted-by-test-peer
  -o message_size_limit=20000
  -o { smtpd_recipient_restrictions = check_recipient_access inline:{ {full@reject.test=552 5.2.2 Mailbox full}, {busy@reject.test=450 Requested mail action not taken: mailbox unavailable}, {fail@reject.test=421 Unexpected failure, please try later}, {slow@reject.test=451 4.3.0 Temporary lookup failure} } }
127.0.0.1:$P_GREY inet n - n - - smtpd
  -o myhostname=mx.grey.test
  -o { smtpd_recipient_restrictions = reject_unauth_destination, check_policy_service inet:127.0.0.1:$P_PG }
  -o smtpd_relay_restrictions=
127.0.0.1:$P_DISK inet n - n - - smtpd
  -o queue_minfree=999999999999999
127.0.0.1:$P_CONN inet n - n - - smtpd
  -o smtpd_client_connection_count_limit=1
  -o smtpd_client_event_limit_exceptions=
127.0.0.1:$P_INJ inet n - n - - smtpd
  -o mynetworks=127.0.0.0/8
  -o smtpd_relay_restrictions=permit_mynetworks,reject
  -o local_recipient_maps=
  -o smtpd_reject_unlisted_recipient=no
  -o message_size_limit=0
EOF
postfix_services >> "$PF/etc/master.cf"

# ---- postgrey, private database, loopback only
postgrey --inet=127.0.0.1:$P_PG --dbdir="$PF/postgrey" \
    --pidfile="$PF/postgrey.pid" --daemonize --delay=300 >/dev/null 2>&1 ||
    { echo "FAIL: postgrey did not start"; exit 1; }
for _ in $(seq 50); do [ -s "$PF/postgrey.pid" ] && break; sleep 0.1; done
PG_PID=$(cat "$PF/postgrey.pid" 2>/dev/null)

# ---- postfix (without a terminal it says nothing on failure: ask again
# under script(1) to show why)
if ! postfix -c "$PF/etc" check >/dev/null 2>&1 ||
   ! postfix -c "$PF/etc" start >/dev/null 2>&1; then
    echo "FAIL: postfix did not start:"
    script -qec "postfix -c $PF/etc start" /dev/null 2>&1 | head -20
    tail -20 "$LOG" 2>/dev/null
    exit 1
fi
for _ in $(seq 100); do port_busy "$P_INJ" && port_busy "$P_PG" && break; sleep 0.1; done

sw() { swaks --server 127.0.0.1 --helo client.test --timeout 10 "$@" >/dev/null 2>&1; }
inject() { sw --port "$P_INJ" --from alice@sender.test --to "$1" --header "Subject: fixture $1"; }

# wait_for PATTERN COUNT: the log shows PATTERN at least COUNT times
wait_for() {
    for _ in $(seq 150); do
        [ "$(grep -c -- "$1" "$LOG" 2>/dev/null)" -ge "${2:-1}" ] && return 0
        sleep 0.2
    done
    echo "FAIL: the log never showed '$1'"; cat "$LOG"; exit 1
}

# queued mail: sent, bounced, deferred (and so expired)
inject alice@reject.test
inject bob@reject.test
inject full@reject.test
inject busy@reject.test
inject fail@reject.test
inject carol@remote.test
# a mailbox this host does not have (virtual(8) bounces it) and a message
# larger than the receiving server says it takes (SIZE in its EHLO reply)
inject ghost@sender.test
BIG=$(head -c 30000 /dev/zero | tr '\0' x | fold -w 72)
sw --port "$P_INJ" --from alice@sender.test --to big@reject.test \
    --header "Subject: fixture big@reject.test" --body "$BIG"
# rejects at the SMTP server
sw --port "$P_RECV" --from a@client.test --to x@elsewhere.test
sw --port "$P_RECV" --from a@client.test --to nosuch@reject.test
sw --port "$P_RECV" --from a@client.test --to busy@reject.test
sw --port "$P_RECV" --from a@client.test --to full@reject.test
sw --port "$P_GREY" --from "grey$$@client.test" --to alice@reject.test
sw --port "$P_DISK" --from a@client.test --to alice@reject.test
exec 7<>"/dev/tcp/127.0.0.1/$P_CONN" && HOLD_OPEN=1
read -r -t 5 _greeting <&7
sw --port "$P_CONN" --from a@client.test --to alice@reject.test
exec 7>&-; HOLD_OPEN=0

wait_for "to=<alice@reject.test>.*status=sent"
wait_for "to=<bob@reject.test>.*status=bounced"
wait_for "to=<full@reject.test>.*status="
wait_for "to=<busy@reject.test>.*status=deferred"
wait_for "to=<fail@reject.test>.*status=deferred"
wait_for "to=<carol@remote.test>.*status=deferred"
wait_for "to=<ghost@sender.test>.*status=bounced"
wait_for "to=<big@reject.test>.*status=bounced"
wait_for "status=expired" 3
wait_for "Connection concurrency limit exceeded"
wait_for "NOQUEUE: reject: .*Greylisted"
wait_for "NOQUEUE: reject: .*4.3.1"
sleep 0.5

if [ -n "$CAPTURE" ]; then
    cp "$LOG" "$CAPTURE" && echo "captured $(wc -l < "$CAPTURE") lines to $CAPTURE"
fi

OUT=$PF/records.ndjson
"$SMTPDX" log --only all --format ndjson "$LOG" > "$OUT"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: smtpdx log exited $rc"; cat "$LOG"; exit 1; }

# check DESCRIPTION JQ-FILTER: at least one record passes the filter
check() { jq_has "$OUT" "$@"; }

check "sent over SMTP" \
  '.recipient=="alice@reject.test" and .action=="delivered" and (.relay|startswith("127.0.0.1[127.0.0.1]"))'
check "bounced 550 5.1.1 user unknown" \
  '.recipient=="bob@reject.test" and .action=="failed" and .reason=="userunknown" and .temporary==false and .replycode=="550" and .deliverystatus=="5.1.1" and .smtpcommand=="RCPT" and .addresser=="alice@sender.test"'
check "552 5.2.2 mailbox full" \
  '.recipient=="full@reject.test" and .reason=="mailboxfull" and .deliverystatus=="5.2.2"'
check "deferred 450 mailbox unavailable" \
  '.recipient=="busy@reject.test" and .action=="delayed" and .replycode=="450" and .temporary==true'
check "deferred 421 unexpected failure" \
  '.recipient=="fail@reject.test" and .action=="delayed" and .replycode=="421" and .temporary==true'
check "deferred: relay refuses connections" \
  '.recipient=="carol@remote.test" and .action=="delayed" and .reason=="networkerror" and .temporary==true and .addresser=="alice@sender.test"'
check "expired after the first try" \
  '.recipient=="carol@remote.test" and .reason=="expired" and .action=="failed" and .temporary==false'
check "bounced by virtual(8): unknown user" \
  '.recipient=="ghost@sender.test" and .action=="failed" and .reason=="userunknown" and .temporary==false'
check "bounced: larger than the server's SIZE" \
  '.recipient=="big@reject.test" and .action=="failed" and .reason=="mesgtoobig" and .temporary==false'
check "reject: relay denied (550 5.7.1)" \
  '.recipient=="x@elsewhere.test" and .reason=="norelaying" and .replycode=="550" and .temporary==false and .addresser=="a@client.test"'
check "reject: unknown user (550 5.1.1)" \
  '.recipient=="nosuch@reject.test" and .reason=="userunknown" and .temporary==false and .queueid==null'
check "reject: greylisting (postgrey)" \
  '.recipient=="alice@reject.test" and .cause=="greylisting" and .temporary==true and .who=="nobody" and .action=="delayed"'
check "reject: 452 4.3.1 no system storage" \
  '.replycode=="452" and .deliverystatus=="4.3.1" and .reason=="systemfull" and .temporary==true'
check "reject: 421 too many connections" \
  '.replycode=="421" and .reason=="toomanyconn" and .temporary==true and .smtpcommand=="CONN"'
check "reject: 450 mailbox unavailable to swaks" \
  '.recipient=="busy@reject.test" and .action=="delayed" and .smtpcommand=="RCPT" and (.queueid==null)'
if jq -e -s 'map(select(.action!="delivered" and .reason=="undefined")) | length == 0' "$OUT" >/dev/null; then
    echo "ok   every failure is classified"
else
    echo "FAIL some failure is left undefined"; fails=$((fails + 1))
fi

# the filters and the exit codes on the same real log
n=$("$SMTPDX" log --format ndjson --domain remote.test "$LOG" | jq -s 'map(select(.destination!="remote.test"))|length')
is "$n" 0 "--domain keeps only that domain"
"$SMTPDX" log --format ndjson --reason userunknown "$LOG" | jq -e -s 'length>0 and all(.reason=="userunknown")' >/dev/null
is $? 0 "--reason keeps only that reason"
"$SMTPDX" log --format ndjson --sender nobody@nowhere.test "$LOG" >/dev/null
is $? 1 "no record: exit 1"
"$SMTPDX" log --format table --color=never "$LOG" | grep -q "greylisting"
is $? 0 "the table names the greylisting group"

# the bounces this Postfix wrote back to alice (its own delivery status
# notifications, one per returned message): 'smtpdx bounce' on the Maildir
MD=$PF/vmail/alice
for _ in $(seq 100); do
    [ "$(find "$MD/new" "$MD/cur" -type f 2>/dev/null | wc -l)" -ge 7 ] && break
    sleep 0.2
done
BOUT=$PF/bounces.ndjson
"$SMTPDX" bounce --format ndjson "$MD" > "$BOUT"
is $? 0 "smtpdx bounce reads the Maildir of returned mail"
bcheck() { jq_has "$BOUT" "$@"; }
bcheck "DSN: 550 5.1.1 user unknown" \
  '.recipient=="bob@reject.test" and .reason=="userunknown" and .deliverystatus=="5.1.1" and .replycode=="550" and .smtpcommand=="RCPT" and .addresser=="alice@sender.test" and .subject=="fixture bob@reject.test" and .hardbounce==1'
bcheck "DSN: 552 5.2.2 mailbox full" \
  '.recipient=="full@reject.test" and .reason=="mailboxfull" and .deliverystatus=="5.2.2" and .replycode=="552" and .hardbounce==0'
# a message returned when its queue time ran out: the report gives the
# last error (Action failed, a 4.x.x Status), and that is the reason
bcheck "DSN: returned after a refused connection" \
  '.recipient=="carol@remote.test" and .action=="failed" and .reason=="networkerror" and .cause=="connection-failed" and .deliverystatus=="4.4.1" and .smtpcommand=="CONN" and .hardbounce==0'
bcheck "DSN: returned after 450 mailbox unavailable" \
  '.recipient=="busy@reject.test" and .action=="failed" and .replycode=="450" and .hardbounce==0'
bcheck "DSN: unknown user of a virtual mailbox domain (X-Postfix)" \
  '.recipient=="ghost@sender.test" and .reason=="userunknown" and .deliverystatus=="5.1.1" and .hardbounce==1 and .rhost==""'
bcheck "DSN: larger than the server's SIZE, never sent" \
  '.recipient=="big@reject.test" and .reason=="mesgtoobig" and .hardbounce==0 and .subject=="fixture big@reject.test" and (.diagnosticcode|test("exceeds size limit"))'
n=$(jq -s 'map(.recipient) | unique | length' "$BOUT")
is "$n" 7 "one record per returned recipient (bob, full, busy, fail, carol, ghost, big)"

# ---- a delay warning: messages now stay queued for an hour, and their
# sender is told after a second that one is still waiting
postconf -c "$PF/etc" -e maximal_queue_lifetime=1h bounce_queue_lifetime=1h \
    delay_warning_time=1s queue_run_delay=1s minimal_backoff_time=1s \
    maximal_backoff_time=2s
postfix -c "$PF/etc" reload >/dev/null 2>&1
inject slow@reject.test
wait_for "sender delay notification"
WARN=
for _ in $(seq 100); do
    WARN=$(grep -l -r "^Action: delayed" "$MD/new" "$MD/cur" 2>/dev/null | head -1)
    [ -n "$WARN" ] && break
    sleep 0.2
done
[ -n "$WARN" ] || { echo "FAIL: no delay warning reached alice's Maildir"; fails=$((fails + 1)); }
if [ -n "$WARN" ]; then
    [ -n "$CAPTURE" ] && cp "$WARN" "$CAPTURE.delay-warning.eml"
    WOUT=$PF/warning.ndjson
    "$SMTPDX" bounce --format ndjson "$WARN" > "$WOUT"
    is $? 0 "smtpdx bounce reads Postfix's delay warning"
    jq_has "$WOUT" "DSN: delay warning after 451 4.3.0" \
      '.recipient=="slow@reject.test" and .action=="delayed" and .temporary==true and .hardbounce==0 and .reason=="systemerror" and .deliverystatus=="4.3.0" and .replycode=="451" and .retry.advice=="retry" and .addresser=="alice@sender.test" and .subject=="fixture slow@reject.test" and .retry_until - .timestamp >= 3500 and .retry_until - .timestamp <= 3700'
    n=$(jq -s length "$WOUT")
    is "$n" 1 "the warning names one recipient"
fi
"$SMTPDX" log --only all --format ndjson "$LOG" > "$OUT"
check "log: deferred twice, still queued (451 4.3.0)" \
  '.recipient=="slow@reject.test" and .action=="delayed" and .reason=="systemerror" and .temporary==true'

# ---- soft_bounce: what would bounce stays queued, logged as SOFTBOUNCE
# with its dsn turned into 4.x.x: a deferral, with the refusal's diagnosis
postconf -c "$PF/etc" -e soft_bounce=yes
postfix -c "$PF/etc" reload >/dev/null 2>&1
inject ghost@sender.test
wait_for "status=SOFTBOUNCE"
"$SMTPDX" log --only all --format ndjson "$LOG" > "$OUT"
check "log: soft_bounce keeps virtual(8)'s unknown user queued (SOFTBOUNCE)" \
  '.recipient=="ghost@sender.test" and .action=="delayed" and .reason=="userunknown" and (.deliverystatus|startswith("4."))'

[ $fails -eq 0 ] || { echo "--- log"; cat "$LOG"; echo "--- records"; cat "$OUT"; echo "--- bounce records"; cat "$BOUT"; exit 1; }
echo "postfix fixture: all cases diagnosed"
exit 0
