#!/bin/bash
# dns_fixture.sh - a real Postfix and a real Exim that find their next
# hops in a real DNS server (dnsmasq), all on 127.0.0.1 of a network
# namespace of their own: the bounces and log lines a DNS failure makes,
# read by 'smtpdx bounce' and 'smtpdx log'.
#
#   bash tests/integration/dns_fixture.sh BUILD_DIR [--capture DIR]
#
# The script runs itself again under unshare(1) with a new network and a
# new mount namespace: the only interface is a loopback of its own, and
# /etc/resolv.conf is replaced, in that namespace only, by one that names
# 127.0.0.1 (and /etc/hosts by an empty file, so that every name and
# address is the DNS server's). No query can leave the namespace, and none
# reaches the machine's resolver. dnsmasq answers from its command line
# only (no upstream server, no hosts file):
#   nx.test        no such domain (NXDOMAIN)
#   nullmx.test    "MX 0 ." (RFC 7505: the domain takes no mail)
#   noaddr.test    an MX whose host has no address
#   aonly.test     no MX, an address (127.0.0.2): implicit MX, RFC 5321
#                  5.1; the smtpd there refuses the one recipient 550 5.1.1
#   elsewhere.example  outside what dnsmasq knows: it has no upstream to
#                  ask and refuses, so Postfix reads "try again" (deferred,
#                  then returned when the queue lifetime, 0 here, runs out)
#   listed.test    an address (127.0.0.3) whose smtpd looks the client up
#                  in the block list bl.test, where 127.0.0.1 is listed
#   noptr.test     an address (127.0.0.4) whose smtpd wants the client's
#                  reverse name; 127.0.0.1 has none here (450)
#   spf.test       an address (127.0.0.5) whose smtpd checks the sender's
#                  SPF record with policyd-spf; sender.test publishes
#                  "v=spf1 -all", so mail from it fails (550 5.7.23)
#   tls.test       an address (127.0.0.6) whose smtpd requires STARTTLS,
#                  which the sending Postfix does not use (530 5.7.0)
#   notls.test     an address (127.0.0.7) whose smtpd offers no STARTTLS,
#                  where the sending Postfix's policy requires TLS
#                  (deferred, then returned)
#   strict.test    an address (127.0.0.8) whose smtpd wants the sender's
#                  domain to resolve (550); Exim sends there as
#                  carol@txtonly.test, a domain with only a TXT record
#   dmarc.test     an address (127.0.0.9) whose smtpd has OpenDMARC (a
#                  milter) judge each message: sender.test publishes
#                  "p=reject", and its mail fails SPF and carries no DKIM
#                  signature, so the milter refuses it after DATA (550)
# Postfix returns its reports to alice@sender.test (a virtual mailbox);
# 'smtpdx bounce' reads that Maildir and 'smtpdx log' the Postfix log, and
# jq checks each case: reason, cause, temporary, status, remote host. Then
# Exim (unpacked as in exim_fixture.sh, a dnslookup router, messages
# submitted on the command line) is sent to nine of the addresses, and
# its reports and mainlog are checked the same way. Then Sendmail (unpacked
# as in sendmail_fixture.sh, its own "hosts dns" service switch) is sent to
# six of them and its reports, returned to alice@origin.test (whose MX is
# this loopback, where tests/lib/smtp_peer.py keeps what it receives),
# are checked too; and OpenSMTPD (unpacked as in opensmtpd_fixture.sh) is
# sent to six, its reports and its log checked.
# With --capture DIR the log and the returned reports are copied there.
# Exit 77 (skip) when not root, or unshare, ip, dnsmasq, postfix, swaks,
# jq, policyd-spf, opendmarc or openssl is absent.
set -u
. "$(dirname "$0")/../lib/fixture.sh"

BUILD=${1:-build}
CAPTURE=
[ "${2:-}" = "--capture" ] && CAPTURE=${3:-}
SMTPDX=${SMTPDX:-$BUILD/smtpdx}
SRC=$(cd "$(dirname "$0")/../.." && pwd)

if [ -z "${SMTPDX_DNS_NS:-}" ]; then
    [ "$(id -u)" -eq 0 ] || skip "needs root for a network namespace"
    need_tools unshare ip dnsmasq postfix postconf swaks jq policyd-spf opendmarc openssl
    smtpdx_paths
    unshare -n -m true 2>/dev/null || skip "unshare -n -m is not permitted here"
    [ -z "$CAPTURE" ] || { mkdir -p "$CAPTURE" && CAPTURE=$(cd "$CAPTURE" && pwd); }
    # Exim's packages come from outside: fetched here, before the network
    # is gone; without them only the Exim part is skipped
    EXIM_READY=0
    if exim_why=$( (exim_fetch "$BUILD") 2>&1 ); then
        EXIM_READY=1
    else
        echo "note: the Exim part will be skipped: $(echo "$exim_why" | tail -n 1)"
    fi
    # so are Sendmail's (unpacked as in sendmail_fixture.sh)
    SM_READY=0
    if ! command -v python3 >/dev/null; then
        echo "note: the Sendmail part will be skipped: python3 is missing"
    elif sm_why=$( (fetch_debs "$BUILD/sendmail-debs" sendmail-bin sendmail-cf m4 libwrap0) 2>&1 ); then
        SM_READY=1
    else
        echo "note: the Sendmail part will be skipped: $(echo "$sm_why" | tail -n 1)"
    fi
    # and OpenSMTPD's, with the libraries it links (as in
    # opensmtpd_fixture.sh)
    OS_READY=0
    if os_why=$( (opensmtpd_fetch "$BUILD") 2>&1 ); then
        OS_READY=1
    else
        echo "note: the OpenSMTPD part will be skipped: $(echo "$os_why" | tail -n 1)"
    fi
    SMTPDX_DNS_NS=1 SMTPDX=$SMTPDX EXIM_READY=$EXIM_READY SM_READY=$SM_READY OS_READY=$OS_READY exec unshare -n -m \
        --propagation private bash "$0" "$BUILD" ${CAPTURE:+--capture "$CAPTURE"}
fi

# ---- inside the namespaces
PATH=$PATH:/usr/sbin:/sbin
ip link set lo up || { echo "FAIL: no loopback in the new namespace"; exit 1; }
routes=$(ip -o route show table all | grep -v ' lo ' | grep -vc '^local\|^broadcast\|^multicast' || true)
is "$routes" 0 "the namespace has no route but its loopback"

D=$(mktemp -d /tmp/smtpdx-dns.XXXXXX)
chmod 755 "$D"
LOG=$D/postfix.log
DNS_PID=
DMARC_PID=

cleanup() {
    postfix_stop "$D/etc" "$D/spool"
    stop_pid "$DMARC_PID"
    stop_pid "$DNS_PID"
    rm -rf "$D"
}
trap cleanup EXIT

# the resolver of every program in this mount namespace: our server only
printf 'nameserver 127.0.0.1\noptions attempts:1 timeout:2\n' > "$D/resolv.conf"
mount --bind "$D/resolv.conf" /etc/resolv.conf ||
    { echo "FAIL: cannot replace /etc/resolv.conf in the namespace"; exit 1; }
# and no hosts file: 127.0.0.1 is to have no name but what DNS gives
printf '# empty: names come from the test DNS server\n' > "$D/hosts"
mount --bind "$D/hosts" /etc/hosts ||
    { echo "FAIL: cannot replace /etc/hosts in the namespace"; exit 1; }

# ---- dnsmasq: answers for .test from its arguments, refuses the rest
dnsmasq --listen-address=127.0.0.1 --bind-interfaces --port=53 \
    --no-resolv --no-hosts --no-poll --user=nobody --group=nogroup \
    --pid-file="$D/dnsmasq.pid" --log-queries --log-facility="$D/dns.log" \
    --local=/test/ \
    --dns-rr=nullmx.test,15,000000 \
    --mx-host=noaddr.test,mail.noaddr.test,10 \
    --host-record=aonly.test,127.0.0.2 \
    --host-record=listed.test,127.0.0.3 \
    --host-record=1.0.0.127.bl.test,127.0.0.2 \
    --host-record=noptr.test,127.0.0.4 \
    --host-record=spf.test,127.0.0.5 \
    --host-record=tls.test,127.0.0.6 \
    --host-record=notls.test,127.0.0.7 \
    --host-record=strict.test,127.0.0.8 \
    --host-record=dmarc.test,127.0.0.9 \
    --txt-record=_dmarc.sender.test,"v=DMARC1; p=reject" \
    --mx-host=origin.test,mx.origin.test,10 \
    --address=/mx.origin.test/127.0.0.1 \
    --txt-record=txtonly.test,"no mail here" \
    --txt-record=sender.test,"v=spf1 -all" ||
    { echo "FAIL: dnsmasq did not start"; exit 1; }
for _ in $(seq 50); do [ -s "$D/dnsmasq.pid" ] && break; sleep 0.1; done
DNS_PID=$(cat "$D/dnsmasq.pid" 2>/dev/null)
is "$(getent hosts aonly.test | awk 'NR == 1 {print $1}')" 127.0.0.2 \
    "the resolver in the namespace asks dnsmasq"

# ---- postfix: looks next hops up in DNS; a receiving smtpd on port 25
postfix_instance "$D" "$LOG"
cat >> "$D/etc/main.cf" <<EOF
mynetworks = 127.0.0.0/8
mydestination =
smtp_dns_support_level = enabled
smtp_host_lookup = dns
smtp_connect_timeout = 5s
spf_time_limit = 3600
smtp_tls_policy_maps = inline:{ {notls.test=encrypt} }
EOF
# the key and certificate of the server that requires STARTTLS
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$D/tls-key.pem" -out "$D/tls-cert.pem" -days 2 \
    -subj /CN=mx.tls.test > "$D/openssl.log" 2>&1 ||
    { echo "FAIL: openssl could not make a certificate"; cat "$D/openssl.log"; exit 1; }
chmod 644 "$D/tls-key.pem" "$D/tls-cert.pem"
SPF_BIN=$(command -v policyd-spf)
SPF_USER=policyd-spf
getent passwd "$SPF_USER" >/dev/null || SPF_USER=nobody
cat > "$D/policyd-spf.conf" <<EOF
debugLevel = 1
TestOnly = 1
HELO_reject = Fail
Mail_From_reject = Fail
PermError_reject = False
TempError_Defer = False
skip_addresses = 192.0.2.0/24
EOF
chmod 644 "$D/policyd-spf.conf"
# OpenDMARC in the foreground on a loopback port. Its own SPF check (of
# 1.4.2) passes "v=spf1 -all", so it reads the verdict of policyd-spf,
# which here only writes it into the message (Received-SPF) and refuses
# nothing. By default it trusts mail from 127.0.0.1, which is every client
# here: its list of such hosts names none of them.
sed -e 's/^HELO_reject = .*/HELO_reject = False/' \
    -e 's/^Mail_From_reject = .*/Mail_From_reject = False/' \
    "$D/policyd-spf.conf" > "$D/policyd-spf-header.conf"
chmod 644 "$D/policyd-spf-header.conf"
echo 192.0.2.1 > "$D/dmarc-ignore"
cat > "$D/opendmarc.conf" <<EOF
Socket inet:8893@127.0.0.1
AuthservID mx.dmarc.test
RejectFailures true
IgnoreHosts $D/dmarc-ignore
IgnoreAuthenticatedClients false
FailureReports false
Syslog false
PidFile $D/opendmarc.pid
EOF
opendmarc -f -c "$D/opendmarc.conf" > "$D/opendmarc.log" 2>&1 &
DMARC_PID=$!
for _ in $(seq 50); do port_busy 8893 && break; sleep 0.1; done
port_busy 8893 || { echo "FAIL: opendmarc did not start:"; cat "$D/opendmarc.log"; exit 1; }
cat > "$D/etc/master.cf" <<EOF
# the implicit MX of aonly.test: it knows one recipient, and not this one
127.0.0.2:25 inet n - n - - smtpd
  -o myhostname=mx.aonly.test
  -o content_filter=discard:accepted-by-test-peer
  -o { smtpd_recipient_restrictions = check_recipient_access inline:{ {nosuch@aonly.test=550 5.1.1 User unknown} } }
  -o smtpd_relay_restrictions=permit_mynetworks,reject
# a host that refuses clients listed in bl.test, one that wants a reverse name
127.0.0.3:25 inet n - n - - smtpd
  -o myhostname=mx.listed.test
  -o content_filter=discard:accepted-by-test-peer
  -o smtpd_client_restrictions=reject_rbl_client,bl.test
  -o smtpd_relay_restrictions=permit_mynetworks,reject
127.0.0.4:25 inet n - n - - smtpd
  -o myhostname=mx.noptr.test
  -o content_filter=discard:accepted-by-test-peer
  -o smtpd_peername_lookup=yes
  -o smtpd_client_restrictions=reject_unknown_reverse_client_hostname
  -o smtpd_relay_restrictions=permit_mynetworks,reject
# a host that checks the sender's SPF record (policyd-spf, its own
# settings: the loopback is not exempt here)
127.0.0.5:25 inet n - n - - smtpd
  -o myhostname=mx.spf.test
  -o content_filter=discard:accepted-by-test-peer
  -o { smtpd_recipient_restrictions = check_policy_service unix:private/spf }
  -o smtpd_relay_restrictions=permit_mynetworks,reject
127.0.0.6:25 inet n - n - - smtpd
  -o myhostname=mx.tls.test
  -o content_filter=discard:accepted-by-test-peer
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_chain_files=$D/tls-key.pem,$D/tls-cert.pem
  -o smtpd_relay_restrictions=permit_mynetworks,reject
127.0.0.7:25 inet n - n - - smtpd
  -o myhostname=mx.notls.test
  -o content_filter=discard:accepted-by-test-peer
  -o smtpd_relay_restrictions=permit_mynetworks,reject
127.0.0.8:25 inet n - n - - smtpd
  -o myhostname=mx.strict.test
  -o content_filter=discard:accepted-by-test-peer
  -o smtpd_sender_restrictions=reject_unknown_sender_domain
  -o unknown_address_reject_code=550
  -o smtpd_relay_restrictions=permit_mynetworks,reject
# a host whose milter applies the sender domain's DMARC policy; if the
# milter cannot be reached the mail is deferred, never let through
127.0.0.9:25 inet n - n - - smtpd
  -o myhostname=mx.dmarc.test
  -o content_filter=discard:accepted-by-test-peer
  -o { smtpd_recipient_restrictions = check_policy_service unix:private/spfheader }
  -o smtpd_milters=inet:127.0.0.1:8893
  -o milter_default_action=tempfail
  -o smtpd_relay_restrictions=permit_mynetworks,reject
spf       unix  -       n       n       -       0       spawn
  user=$SPF_USER argv=$SPF_BIN $D/policyd-spf.conf
spfheader unix  -       n       n       -       0       spawn
  user=$SPF_USER argv=$SPF_BIN $D/policyd-spf-header.conf
# injection: queues what loopback hands it
127.0.0.1:2525 inet n - n - - smtpd
  -o smtpd_relay_restrictions=permit_mynetworks,reject
EOF
postfix_services >> "$D/etc/master.cf"
if ! postfix -c "$D/etc" check >/dev/null 2>&1 ||
   ! postfix -c "$D/etc" start >/dev/null 2>&1; then
    echo "FAIL: postfix did not start:"
    script -qec "postfix -c $D/etc start" /dev/null 2>&1 | head -20
    tail -20 "$LOG" 2>/dev/null
    exit 1
fi
for _ in $(seq 100); do port_busy 2525 && break; sleep 0.1; done

# reports WHO DIR N OUT: 'smtpdx bounce' reads the reports WHO wrote in
# DIR into OUT, exits 0 and gives N records (one per report)
reports() {
    "$SMTPDX" bounce --format ndjson "$2" > "$4"
    is $? 0 "smtpdx bounce reads the reports $1 wrote"
    is "$(jq -s length "$4")" "$3" "$1: one record per report"
}

inject() {
    swaks --server 127.0.0.1 --port 2525 --helo client.test --timeout 10 \
        --from alice@sender.test --to "$1" --header "Subject: dns $1" \
        >/dev/null 2>&1 || echo "note: swaks could not hand over $1"
}
inject user@nx.test
inject user@nullmx.test
inject user@noaddr.test
inject nosuch@aonly.test
inject user@elsewhere.example
inject user@listed.test
inject user@noptr.test
inject user@spf.test
inject user@tls.test
inject user@notls.test
inject user@dmarc.test

wait_for() {
    for _ in $(seq 150); do
        [ "$(grep -c -- "$1" "$LOG" 2>/dev/null)" -ge "${2:-1}" ] && return 0
        sleep 0.2
    done
    echo "FAIL: the log never showed '$1'"; cat "$LOG"; exit 1
}
wait_for "to=<user@nx.test>.*status=bounced"
wait_for "to=<user@nullmx.test>.*status=bounced"
wait_for "to=<user@noaddr.test>.*status=bounced"
wait_for "to=<nosuch@aonly.test>.*status=bounced"
wait_for "to=<user@elsewhere.example>.*status=deferred"
wait_for "to=<user@listed.test>.*status=bounced"
wait_for "to=<user@noptr.test>.*status=deferred"
wait_for "to=<user@spf.test>.*status=bounced"
wait_for "to=<user@tls.test>.*status=bounced"
wait_for "to=<user@notls.test>.*status=deferred"
wait_for "to=<user@dmarc.test>.*status=bounced"
wait_for "status=expired" 3

MD=$D/vmail/alice
for _ in $(seq 100); do
    [ "$(find "$MD/new" "$MD/cur" -type f 2>/dev/null | wc -l)" -ge 11 ] && break
    sleep 0.2
done
sleep 0.3
if [ -n "$CAPTURE" ]; then
    cp "$LOG" "$CAPTURE/postfix.log" && cp -r "$MD" "$CAPTURE/maildir" &&
        echo "captured the log and the reports in $CAPTURE"
fi

# ---- the returned reports
BOUT=$D/bounces.ndjson
reports Postfix "$MD" 11 "$BOUT"
bcheck() { jq_has "$BOUT" "$@"; }
bcheck "NXDOMAIN: host unknown, permanent" \
  '.recipient=="user@nx.test" and .reason=="hostunknown" and .temporary==false and .hardbounce==1 and (.diagnosticcode|test("nx.test"))'
bcheck "null MX: the domain takes no mail" \
  '.recipient=="user@nullmx.test" and .reason=="notaccept" and .temporary==false and .hardbounce==1'
bcheck "MX host without an address: host unknown, the domain's admin acts" \
  '.recipient=="user@noaddr.test" and .reason=="hostunknown" and .cause=="mx-host-unknown" and .who=="recipient-admin" and .temporary==false and (.diagnosticcode|test("mail.noaddr.test"))'
bcheck "NXDOMAIN of the domain itself stays an unknown domain" \
  '.recipient=="user@nx.test" and .cause=="domain-unknown" and .who=="sender"'
bcheck "implicit MX: 550 5.1.1 from the host DNS gave" \
  '.recipient=="nosuch@aonly.test" and .reason=="userunknown" and .deliverystatus=="5.1.1" and .replycode=="550" and .smtpcommand=="RCPT" and (.rhost|startswith("aonly.test")) and .hardbounce==1'
bcheck "refused lookup: try again, returned when the queue time ran out" \
  '.recipient=="user@elsewhere.example" and .action=="failed" and .reason=="networkerror" and .temporary==true and .hardbounce==0'
bcheck "block list: 554 5.7.1 from the listed client's peer" \
  '.recipient=="user@listed.test" and .reason=="blocked" and .cause=="dnsbl-listed" and .deliverystatus=="5.7.1" and .replycode=="554" and .who=="sender-admin" and (.rhost|startswith("listed.test"))'
bcheck "no reverse name: 450, returned when the queue time ran out" \
  '.recipient=="user@noptr.test" and .reason=="requireptr" and .cause=="ptr-missing" and .replycode=="450" and .temporary==true and .hardbounce==0 and (.rhost|startswith("noptr.test"))'
bcheck "SPF fail: 550 5.7.23 from a receiver that checks it" \
  '.recipient=="user@spf.test" and .reason=="authfailure" and .cause=="spf-fail" and .replycode=="550" and .who=="sender-admin" and .temporary==false'
bcheck "STARTTLS required by the receiver: 530 5.7.0" \
  '.recipient=="user@tls.test" and .reason=="failedstarttls" and .cause=="tls-required" and .replycode=="530" and .who=="sender-admin"'
bcheck "DMARC: the receiver's milter applies p=reject after DATA" \
  '.recipient=="user@dmarc.test" and .reason=="authfailure" and .cause=="dmarc-reject" and .who=="sender-admin" and .smtpcommand=="DATA" and .replycode=="550" and .temporary==false and (.diagnosticcode|test("DMARC"))'
bcheck "TLS required by the sender's policy, not offered: returned" \
  '.recipient=="user@notls.test" and .reason=="failedstarttls" and .cause=="tls-required" and .action=="failed" and (.diagnosticcode|test("not offered"))'

# ---- the log of the same deliveries
LOUT=$D/log.ndjson
"$SMTPDX" log --only all --format ndjson "$LOG" > "$LOUT"
is $? 0 "smtpdx log reads the Postfix log"
lcheck() { jq_has "$LOUT" "$@"; }
lcheck "log: MX host without an address, the domain's admin acts" \
  '.recipient=="user@noaddr.test" and .reason=="hostunknown" and .cause=="mx-host-unknown" and .who=="recipient-admin"'
lcheck "log: NXDOMAIN bounced as host unknown" \
  '.recipient=="user@nx.test" and .action=="failed" and .reason=="hostunknown" and .temporary==false'
lcheck "log: null MX bounced as not accepting mail" \
  '.recipient=="user@nullmx.test" and .action=="failed" and .reason=="notaccept"'
lcheck "log: refused lookup deferred, temporary" \
  '.recipient=="user@elsewhere.example" and .action=="delayed" and .reason=="networkerror" and .temporary==true'
lcheck "log: the block list refusal, sender's admin acts" \
  '.recipient=="user@listed.test" and .action=="failed" and .cause=="dnsbl-listed" and .who=="sender-admin"'
lcheck "log: the reverse-name deferral" \
  '.recipient=="user@noptr.test" and .action=="delayed" and .reason=="requireptr" and .temporary==true'
lcheck "log: the SPF failure" \
  '.recipient=="user@spf.test" and .action=="failed" and .cause=="spf-fail"'
lcheck "log: STARTTLS required by the receiver" \
  '.recipient=="user@tls.test" and .action=="failed" and .reason=="failedstarttls"'
lcheck "log: the DMARC refusal" \
  '.recipient=="user@dmarc.test" and .action=="failed" and .cause=="dmarc-reject" and .who=="sender-admin"'
lcheck "log: TLS not offered, deferred" \
  '.recipient=="user@notls.test" and .action=="delayed" and .reason=="failedstarttls" and .temporary==true'
lcheck "log: the implicit MX refused the user" \
  '.recipient=="nosuch@aonly.test" and .reason=="userunknown" and (.relay|startswith("aonly.test"))'

# ---- Exim on the same names: it routes by DNS itself (dnslookup router)
# and words the same failures its own way. Unpacked, not installed (see
# exim_fixture.sh); the Postfix smtpd above is aonly.test's host.
exim_part() {
E=$D/exim
mkdir -p "$E/spool" "$E/log" "$E/bounces"
exim_unpack "$BUILD" "$E"
chown -R Debian-exim:Debian-exim "$E/spool" "$E/log" "$E/bounces"
ELOG=$E/log/mainlog
cat > "$E/exim.conf" <<EOF
exim_path = $EXIM
spool_directory = $E/spool
log_file_path = $E/log/%slog : syslog
pid_file_path = $E/exim.pid
primary_hostname = mx.sender.test
qualify_domain = sender.test
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
keep_environment =
dns_retrans = 1s
dns_retry = 1

begin routers
to_sender:
  driver = accept
  domains = sender.test : txtonly.test
  transport = bounce_box
by_dns:
  driver = dnslookup
  transport = remote_smtp
  no_more

begin transports
bounce_box:
  driver = appendfile
  directory = $E/bounces
  maildir_format
  create_directory
  user = Debian-exim
remote_smtp:
  driver = smtp
  hosts_avoid_tls = *
  hosts_try_dane =
  connect_timeout = 5s

begin retry
# give up 3 s after the first failure, so that a later -qff returns it
*  *  F,3s,1s
EOF
chmod 644 "$E/exim.conf"
if ! "$EXIM" -C "$E/exim.conf" -bV > "$E/check" 2>&1; then
    echo "FAIL: exim rejects its configuration:"; cat "$E/check"; exit 1
fi
# -odi: each message is routed and delivered before the command returns
esend() {
    local from=${2:-alice@sender.test}
    printf 'From: %s\nTo: %s\nSubject: exim dns %s\n\nA test message.\n' "$from" "$1" "$1" |
        "$EXIM" -C "$E/exim.conf" -odi -f "$from" "$1" > /dev/null 2>&1
}
# Exim logs to its mainlog and to syslog (a collector of ours, as for
# Sendmail below): there each line keeps Exim's own stamp after the
# syslog header (syslog_timestamp is true by default)
syslog_start "$E" mx || { echo "FAIL: no private /dev/log for Exim"; exit 1; }
for r in user@nx.test user@nullmx.test user@noaddr.test nosuch@aonly.test \
         user@elsewhere.example user@listed.test user@spf.test user@tls.test; do
    esend "$r"
done
esend user@strict.test carol@txtonly.test
# the deferred one gives up at the first queue run 3 s after its first
# failure (the retry rule); the clock of that rule counts in whole seconds
for _ in $(seq 12); do
    [ "$(find "$E/bounces/new" -type f 2>/dev/null | wc -l)" -ge 9 ] && break
    sleep 1
    "$EXIM" -C "$E/exim.conf" -qff > /dev/null 2>&1
done
syslog_stop
if [ -n "$CAPTURE" ]; then
    cp "$ELOG" "$CAPTURE/exim.mainlog" && cp -r "$E/bounces" "$CAPTURE/exim-maildir"
    cp "$E/maillog" "$CAPTURE/exim.syslog"
fi

EOUT=$D/exim-bounces.ndjson
reports Exim "$E/bounces" 9 "$EOUT"
echeck() { jq_has "$EOUT" "$@"; }
echeck "Exim, NXDOMAIN: host unknown, permanent" \
  '.recipient=="user@nx.test" and .reason=="hostunknown" and .temporary==false'
echeck "Exim, null MX: the domain takes no mail" \
  '.recipient=="user@nullmx.test" and .reason=="notaccept" and .temporary==false'
echeck "Exim, MX host without an address: host unknown, the domain's admin acts" \
  '.recipient=="user@noaddr.test" and .reason=="hostunknown" and .cause=="mx-host-unknown" and .who=="recipient-admin" and .temporary==false'
echeck "Exim, implicit MX: 550 5.1.1 from the host DNS gave" \
  '.recipient=="nosuch@aonly.test" and .reason=="userunknown" and .deliverystatus=="5.1.1" and .smtpcommand=="RCPT" and (.rhost|startswith("aonly.test"))'
echeck "Exim, lookup never answered: returned when the retry time ran out" \
  '.recipient=="user@elsewhere.example" and .reason!="undefined" and .hardbounce==0'
echeck "Exim, block list: 554 5.7.1, the sender's admin acts" \
  '.recipient=="user@listed.test" and .reason=="blocked" and .cause=="dnsbl-listed" and .replycode=="554" and .who=="sender-admin" and (.rhost|startswith("listed.test"))'
echeck "Exim, SPF fail: 550 5.7.23" \
  '.recipient=="user@spf.test" and .reason=="authfailure" and .cause=="spf-fail" and .deliverystatus=="5.7.23"'
echeck "Exim, STARTTLS required by the receiver: 530 5.7.0" \
  '.recipient=="user@tls.test" and .reason=="failedstarttls" and .replycode=="530"'
echeck "Exim, the sender's domain does not resolve: rejected, about the sender" \
  '.recipient=="user@strict.test" and .addresser=="carol@txtonly.test" and .reason=="rejected" and .cause=="sender-domain-unknown" and .replycode=="550" and .who=="sender-admin"'
ELOUT=$D/exim-log.ndjson
"$SMTPDX" log --only all --format ndjson "$ELOG" > "$ELOUT"
is $? 0 "smtpdx log reads the Exim mainlog"
jq_has "$ELOUT" "Exim log: NXDOMAIN failed as host unknown" \
  '.recipient=="user@nx.test" and .action=="failed" and .reason=="hostunknown"'
jq_has "$ELOUT" "Exim log: refused lookup deferred, temporary" \
  '.recipient=="user@elsewhere.example" and .action=="delayed" and .temporary==true'
# what syslog got of the same run reads as the mainlog does
EFIELDS='{recipient, action, reason, cause, deliverystatus, diagnosticcode}'
n=$(grep -c ' exim\[[0-9]*\]: ' "$E/maillog")
[ "$n" -gt 0 ]
is $? 0 "Exim wrote to syslog too ($n lines)"
"$SMTPDX" log --only all --format ndjson "$E/maillog" 2> /dev/null |
    jq -c "$EFIELDS" > "$D/exim-syslog.got"
jq -c "$EFIELDS" "$ELOUT" > "$D/exim-mainlog.got"
cmp -s "$D/exim-mainlog.got" "$D/exim-syslog.got"
is $? 0 "Exim log: the syslog copy gives the mainlog's $(wc -l < "$ELOUT") records"
}
if [ "${EXIM_READY:-0}" = 1 ]; then
    exim_part
else
    echo "skip the Exim part: its packages could not be had"
fi

# ---- Sendmail on the same names: it too routes by DNS itself (its own
# service switch: "hosts dns") and mails its reports back to
# alice@origin.test, whose MX (mx.origin.test) is this loopback: there
# the SMTP peer of the other fixtures (tests/lib/smtp_peer.py) keeps them.
# Its files live on a tmpfs at /mnt of this mount namespace (Sendmail
# refuses a queue under a world-writable folder such as /tmp). It logs
# only through syslog: while it runs, an overlay on /dev of this namespace
# adds a /dev/log where a small syslog daemon of ours writes to a file
# (syslog_start in tests/lib/fixture.sh), which 'smtpdx log' then reads.
sendmail_part() {
S=$D/sendmail
mkdir -p "$S/out"
chmod 755 "$S"
sendmail_unpack "$BUILD/sendmail-debs" "$S"
local sm=$SM libdir=$SM_LIBDIR
python3 "$SRC/tests/lib/smtp_peer.py" 25 "$S/out" > "$S/peer.log" 2>&1 &
SM_PEER=$!
for _ in $(seq 50); do port_busy 25 && break; sleep 0.1; done
port_busy 25 || { echo "FAIL: the SMTP peer did not start"; cat "$S/peer.log"; exit 1; }
sendmail_cf "$S" mta.origin.test <<EOF
define(\`confTO_CONNECT', \`5s')dnl
EOF
printf 'hosts dns\naliases files\n' > "$S/service.switch"
mount -t tmpfs -o mode=755 tmpfs /mnt || { echo "FAIL: no tmpfs at /mnt"; exit 1; }
mkdir -m 755 /mnt/sm
mkdir -m 700 /mnt/sm/q
cp "$S/test.cf" "$S/service.switch" /mnt/sm/
: > /mnt/sm/aliases
: > /mnt/sm/statistics
local run="$sm -C /mnt/sm/test.cf -O QueueDirectory=/mnt/sm/q" r
# Sendmail logs only through syslog: a private /dev/log collects it
syslog_start "$S" mta || { echo "FAIL: no private /dev/log for Sendmail"; exit 1; }
LD_LIBRARY_PATH=$libdir $run -bi > /dev/null 2>&1
for r in user@nx.test user@noaddr.test nosuch@aonly.test user@listed.test user@nullmx.test \
         user@elsewhere.example; do
    printf 'From: alice@origin.test\nTo: %s\nSubject: sendmail dns %s\n\nA test message.\n' "$r" "$r" |
        LD_LIBRARY_PATH=$libdir timeout 60 $run -odi -oem -f alice@origin.test "$r" >> "$S/send.log" 2>&1 || true
done
# the one whose lookup was refused stays queued: give it up
sleep 2
LD_LIBRARY_PATH=$libdir timeout 60 $run -O Timeout.queuereturn=1s -q >> "$S/send.log" 2>&1 || true
for _ in $(seq 50); do
    [ "$(find "$S/out" -name 'msg-*.eml' | wc -l)" -ge 6 ] && break
    sleep 0.1
done
LD_LIBRARY_PATH=$libdir $run -bp >> "$S/send.log" 2>&1
kill "$SM_PEER" 2>/dev/null && wait "$SM_PEER" 2>/dev/null
syslog_stop
umount /mnt
[ -n "$CAPTURE" ] && cp -r "$S/out" "$CAPTURE/sendmail-bounces" && cp "$S/maillog" "$CAPTURE/sendmail.maillog"

SOUT=$D/sendmail-bounces.ndjson
reports Sendmail "$S/out" 6 "$SOUT"
scheck() { jq_has "$SOUT" "$@"; }
scheck "Sendmail, NXDOMAIN: host unknown, permanent" \
  '.recipient=="user@nx.test" and .reason=="hostunknown" and .cause=="domain-unknown" and .deliverystatus=="5.1.2" and .temporary==false and .hardbounce==1 and .smtpagent=="Sendmail"'
scheck "Sendmail, null MX: the domain takes no mail (556 5.1.10)" \
  '.recipient=="user@nullmx.test" and .reason=="notaccept" and .cause=="null-mx" and .deliverystatus=="5.1.10" and .temporary==false and .hardbounce==1'
scheck "Sendmail, MX host without an address: host unknown, the domain's admin acts" \
  '.recipient=="user@noaddr.test" and .reason=="hostunknown" and .cause=="mx-host-unknown" and .who=="recipient-admin" and .temporary==false and (.diagnosticcode|test("mail.noaddr.test"))'
# (Sendmail pipelines MAIL, RCPT and DATA and writes only ">>> DATA"
# above the refusal of RCPT: the command is read as DATA, as Sisimai
# reads it, and not checked here)
scheck "Sendmail, implicit MX: 550 5.1.1 from the host DNS gave" \
  '.recipient=="nosuch@aonly.test" and .reason=="userunknown" and .deliverystatus=="5.1.1" and .replycode=="550" and .rhost=="aonly.test" and .hardbounce==1'
scheck "Sendmail, block list: 554 5.7.1, the sender's admin acts" \
  '.recipient=="user@listed.test" and .reason=="blocked" and .cause=="dnsbl-listed" and .replycode=="554" and .who=="sender-admin" and .rhost=="listed.test"'
scheck "Sendmail, refused lookup: a DNS failure, returned when the queue time ran out" \
  '.recipient=="user@elsewhere.example" and .action=="failed" and .reason=="networkerror" and .cause=="dns-failure" and .hardbounce==0'
# and the log Sendmail wrote through syslog
SLOG=$D/sendmail-log.ndjson
"$SMTPDX" log --format ndjson "$S/maillog" > "$SLOG"
is $? 0 "smtpdx log reads Sendmail's log"
slcheck() { jq_has "$SLOG" "$@"; }
slcheck "Sendmail log: NXDOMAIN, host unknown" \
  '.recipient=="user@nx.test" and .action=="failed" and .reason=="hostunknown" and .cause=="domain-unknown" and .smtpagent=="Sendmail"'
slcheck "Sendmail log: MX host without an address, the domain's admin acts" \
  '.recipient=="user@noaddr.test" and .reason=="hostunknown" and .cause=="mx-host-unknown" and .who=="recipient-admin"'
slcheck "Sendmail log: null MX" \
  '.recipient=="user@nullmx.test" and .action=="failed" and .cause=="null-mx"'
slcheck "Sendmail log: the implicit MX refused the user" \
  '.recipient=="nosuch@aonly.test" and .action=="failed" and .reason=="userunknown"'
slcheck "Sendmail log: the block list refusal" \
  '.recipient=="user@listed.test" and .action=="failed" and .cause=="dnsbl-listed"'
slcheck "Sendmail log: the refused lookup deferred" \
  '.recipient=="user@elsewhere.example" and .action=="delayed" and .temporary==true'
slcheck "Sendmail log: then returned when the queue time ran out" \
  '.recipient=="user@elsewhere.example" and .action=="failed" and .reason=="expired" and .matched.kind=="report" and (.matched.text|test("Cannot send message for"))'
[ $fails -eq 0 ] || { echo "--- Sendmail"; cat "$S/send.log" "$S/peer.log" "$S/maillog"; }
}
if [ "${SM_READY:-0}" = 1 ]; then
    sendmail_part
else
    echo "skip the Sendmail part: its packages could not be had"
fi

# ---- OpenSMTPD on the same names: it resolves with its own resolver
# (reading this namespace's resolv.conf) and writes its reports for
# sender.test to files. Here it took no address record in place of a
# missing MX (no implicit MX, RFC 5321 5.1: its log says "No MX found for
# domain"), so only the unknown domain and the refused lookup fail at
# once; the others wait for the queue time to run out. As in opensmtpd_fixture.sh it runs in a mount
# namespace of its own (inside this network namespace), where its
# compiled-in paths are empty file systems and its users exist.
opensmtpd_part() {
O=$D/opensmtpd
mkdir -p "$O/out" && chmod 1777 "$O/out"
chmod 755 "$O"
local deb smtpd ns
deb=$(newest_deb "$BUILD/opensmtpd-debs" opensmtpd)
dpkg-deb -x "$deb" "$O/root" || { echo "FAIL: dpkg-deb -x $deb"; exit 1; }
smtpd=$O/root/usr/sbin/smtpd
cat > "$O/smtpd.conf" <<EOF
queue ttl 6s
listen on 127.0.0.1 port 2526
action "keep" mda "/bin/sh -c 'cat > $O/out/bounce.\$\$.eml'" virtual { "@" = nobody }
action "out" relay
match from any for domain "sender.test" action "keep"
match from any for any action "out"
EOF
opensmtpd_start_script "$O" "$O/smtpd.conf"
unshare -m bash "$O/start.sh" > "$O/smtpd.log" 2>&1 &
ns=$!
for _ in $(seq 100); do port_busy 2526 && break; sleep 0.1; done
port_busy 2526 || { echo "FAIL: OpenSMTPD did not start:"; cat "$O/smtpd.log"; exit 1; }
local r
for r in user@nx.test user@nullmx.test user@noaddr.test nosuch@aonly.test \
         user@listed.test user@elsewhere.example; do
    swaks --server 127.0.0.1 --port 2526 --helo client.test --timeout 10 \
        --from alice@sender.test --to "$r" --header "Subject: opensmtpd dns $r" \
        >/dev/null 2>&1 || echo "note: swaks could not hand $r to OpenSMTPD"
done
# each report is whole once its last line closes the MIME structure
local f k
for _ in $(seq 150); do
    k=0
    for f in "$O"/out/bounce.*.eml; do
        [ -f "$f" ] && tail -n 1 "$f" | grep -q -- '--$' && k=$((k + 1))
    done
    [ "$k" -ge 6 ] && break
    sleep 0.2
done
stop_all "$smtpd"
wait "$ns" 2>/dev/null
[ -n "$CAPTURE" ] && cp -r "$O/out" "$CAPTURE/opensmtpd-bounces" && cp "$O/smtpd.log" "$CAPTURE/opensmtpd.log"

OOUT=$D/opensmtpd-bounces.ndjson
reports OpenSMTPD "$O/out" 6 "$OOUT"
ocheck() { jq_has "$OOUT" "$@"; }
ocheck "OpenSMTPD, NXDOMAIN: host unknown, permanent" \
  '.recipient=="user@nx.test" and .reason=="hostunknown" and .cause=="domain-unknown" and .temporary==false and .hardbounce==1 and .diagnosticcode=="Domain does not exist"'
ocheck "OpenSMTPD, refused lookup: what it calls an invalid domain name, at once" \
  '.recipient=="user@elsewhere.example" and .action=="failed" and .reason=="hostunknown" and .diagnosticcode=="Invalid domain name"'
# OpenSMTPD 6.8 finds "No MX found for domain" (its log) for a domain with
# only an address, a null MX or an MX without an address, keeps the
# message until the queue time runs out, then reports it with Action
# delayed and Status 4.4.7: a report of a message it gave up on
n=$(jq -s 'map(select(.action=="delayed" and .deliverystatus=="4.4.7" and .reason=="expired" and .cause=="queue-expired" and .diagnosticcode=="Envelope expired")) | length' "$OOUT")
is "$n" 4 "OpenSMTPD, no MX: four given up when the queue time ran out"
# and its log of the same run, with the stamp, host and tag syslog would
# put before each line (in the foreground it writes to standard error)
as_syslog 'smtpd[77]' < "$O/smtpd.log" > "$O/maillog"
OLOG=$D/opensmtpd-log.ndjson
"$SMTPDX" log --format ndjson --utc --year 2026 "$O/maillog" > "$OLOG"
is $? 0 "smtpdx log reads OpenSMTPD's log"
olcheck() { jq_has "$OLOG" "$@"; }
olcheck "OpenSMTPD log: NXDOMAIN failed at once, host unknown" \
  '.recipient=="user@nx.test" and .action=="failed" and .reason=="hostunknown" and .smtpagent=="OpenSMTPD"'
n=$(jq -s 'map(select(.action=="delayed" and .cause=="no-mx" and .temporary==true)) | length' "$OLOG")
is "$n" 4 "OpenSMTPD log: four deferred for want of an MX it would use"
n=$(jq -s 'map(select(.reason=="expired" and .cause=="no-mx" and .matched.kind=="report" and .who!="nobody")) | length' "$OLOG")
is "$n" 4 "OpenSMTPD log: the four expiries tell the reply of the last attempt"
[ $fails -eq 0 ] || { echo "--- OpenSMTPD"; tail -n 40 "$O/smtpd.log"; cat "$OOUT" "$OLOG"; }
}
if [ "${OS_READY:-0}" = 1 ]; then
    opensmtpd_part
else
    echo "skip the OpenSMTPD part: its package could not be had or run"
fi

# every name the mail servers asked about was one this test serves or
# refuses, a reverse lookup, or this machine's own name (the hosts file
# that would give it is hidden)
asked=$(sed -n 's/.*query\[[A-Z]*\] \([^ ]*\) from .*/\1/p' "$D/dns.log" | sort -u | tr '\n' ' ')
echo "     names asked: $asked"
me=$(hostname)
bad=$(echo "$asked" | tr ' ' '\n' | grep -v '^$' | grep -v -x -F -e "$me" -e "${me%%.*}" |
      grep -vc '\.test$\|^elsewhere\.example$\|\.in-addr\.arpa$' || true)
is "$bad" 0 "no other name was looked up"

[ $fails -eq 0 ] || {
    echo "$fails check(s) failed"; echo "--- Postfix log"; cat "$LOG"
    echo "--- Exim mainlog"; cat "$ELOG" 2>/dev/null
    echo "--- Exim records"; cat "$EOUT" 2>/dev/null; exit 1
}
echo "all DNS fixture checks passed"
