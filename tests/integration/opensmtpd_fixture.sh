#!/bin/bash
# opensmtpd_fixture.sh - a real OpenSMTPD on 127.0.0.1 writes the bounces
# that 'smtpdx bounce' must diagnose.
#
#   bash tests/integration/opensmtpd_fixture.sh BUILD_DIR
#
# OpenSMTPD's bounce is a multipart/mixed mail whose delivery-status part
# says only "Status: 5.0.0", with no Diagnostic-Code: each recipient's
# reply stands in the text part ("bob@reject.test: 550 Invalid
# recipient: <bob@reject.test>"). A reader that trusts the DSN alone gets
# nothing useful from it; this test proves that smtpdx pairs them.
#
# The Debian package is downloaded (apt-get download, once per build
# directory) and unpacked, never installed: OpenSMTPD has its spool, its
# helper programs and its users compiled in (/var/spool/smtpd,
# /usr/libexec/opensmtpd, the opensmtpd and opensmtpq users), so it runs
# in a private mount namespace (unshare -m) where those paths are empty
# file systems or the unpacked files, and /etc/passwd is a copy with the
# two users added. Nothing of the host changes.
#
# One instance plays both sides:
#   port INJ   takes mail from swaks and relays it to port RECV; bounces
#              for sender.test are written to files;
#   port RECV  refuses every recipient: OpenSMTPD's own "550 Invalid
#              recipient", or, for carol, "451 4.2.1 ... mailbox busy"
#              from its built-in filter.
# Cases: one message to two refused recipients (one bounce, two records);
# the message to carol, deferred, gets a delay warning (bounce
# warn-interval) and then, when "queue ttl" runs out, its expiry report.
# Then 'smtpdx log' reads what the same run wrote to OpenSMTPD's log.
# Exit 77 (skip) when not root, when unshare, swaks, jq, apt-get or
# dpkg-deb is absent, or when the package cannot be had or run.
set -u
. "$(dirname "$0")/../lib/fixture.sh"

BUILD=${1:-build}
SMTPDX=${SMTPDX:-$BUILD/smtpdx}

[ "$(id -u)" -eq 0 ] || skip "needs root for a private mount namespace"
need_tools unshare swaks jq apt-get dpkg-deb
smtpdx_paths

# ---- the package (downloaded once per build directory) and its libraries
opensmtpd_fetch "$BUILD"
DEB=$OS_DEB

# ---- ports: a free block on 127.0.0.1 (other fixtures may be running)
BASE=$(free_block "0 1" 3140 3160 3180 3240 3260 3280) ||
    skip "no free block of loopback ports for the fixture"
P_INJ=$BASE
P_RECV=$((BASE + 1))

T=$(mktemp -d /tmp/smtpdx-osmtpd.XXXXXX)
chmod 755 "$T"
SMTPD=$T/root/usr/sbin/smtpd
NS_PID=

# OpenSMTPD's processes all run the unpacked binary
cleanup() {
    stop_all "$SMTPD"
    [ -n "$NS_PID" ] && wait "$NS_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

dpkg-deb -x "$DEB" "$T/root" || { echo "FAIL: dpkg-deb -x $DEB"; exit 1; }
[ -x "$SMTPD" ] || { echo "FAIL: no smtpd binary in $DEB"; exit 1; }

mkdir -p "$T/out" && chmod 1777 "$T/out"
cat > "$T/smtpd.conf" <<EOF
queue ttl 8s
bounce warn-interval 2s
filter "busy" phase rcpt-to match rcpt-to regex "^carol@" reject "451 4.2.1 <carol@remote.test>: mailbox busy, try again later"
listen on 127.0.0.1 port $P_INJ
listen on 127.0.0.1 port $P_RECV tag RECV filter "busy"
action "keep" mda "/bin/sh -c 'cat > $T/out/bounce.\$\$.eml'" virtual { "@" = nobody }
action "recv" relay host smtp://127.0.0.1:$P_RECV
match tag RECV from any for any reject
match from any for domain "sender.test" action "keep"
match from any for any action "recv"
EOF
# users that exist only inside the namespace, and the paths compiled in
opensmtpd_start_script "$T" "$T/smtpd.conf"
if ! "$SMTPD" -n -f "$T/smtpd.conf" > "$T/check.log" 2>&1; then
    grep -q "unknown user" "$T/check.log" || { echo "FAIL: smtpd.conf:"; cat "$T/check.log"; exit 1; }
fi
unshare -m bash "$T/start.sh" > "$T/smtpd.log" 2>&1 &
NS_PID=$!
for _ in $(seq 100); do port_busy "$P_INJ" && port_busy "$P_RECV" && break; sleep 0.1; done
if ! port_busy "$P_INJ"; then
    grep -qi "mount\|unshare" "$T/smtpd.log" &&
        skip "no private mount namespace here: $(head -n 1 "$T/smtpd.log")"
    echo "FAIL: smtpd did not start:"; cat "$T/smtpd.log"; exit 1
fi

sw() { swaks --server 127.0.0.1 --port "$P_INJ" --helo client.test --timeout 10 "$@" >/dev/null 2>&1; }
sw --from alice@sender.test --to bob@reject.test,dave@reject.test --header "Subject: fixture refused"
sw --from alice@sender.test --to carol@remote.test --header "Subject: fixture delayed"

# three bounces: the refusal, the delay warning, the expiry; each whole
# once its last line closes the MIME structure ("--boundary--")
written() {
    local f k=0
    for f in "$T"/out/bounce.*.eml; do
        [ -f "$f" ] || continue
        tail -n 1 "$f" | grep -q -- '--$' && k=$((k + 1))
    done
    echo "$k"
}
for _ in $(seq 300); do
    [ "$(written)" -ge 3 ] && break
    sleep 0.2
done
n=$(find "$T/out" -name 'bounce.*.eml' | wc -l)
[ "$n" -ge 3 ] || { echo "FAIL: $n bounces written, 3 expected"; cat "$T/smtpd.log"; exit 1; }

OUT=$T/records.ndjson
"$SMTPDX" bounce --format ndjson "$T/out" > "$OUT" 2> "$T/summary"
rc=$?
check() { jq_has "$OUT" "$@"; }
is $rc 0 "smtpdx bounce exits 0"
grep -q "3 bounces" "$T/summary"
is $? 0 "the summary counts three bounces"

for r in bob dave; do
    check "refused: $r, the reply taken from the text part" \
      ".recipient==\"$r@reject.test\" and .action==\"failed\" and .reason==\"userunknown\" and .replycode==\"550\" and (.diagnosticcode|test(\"^550 Invalid recipient: <$r@reject.test>\")) and .addresser==\"alice@sender.test\" and .subject==\"fixture refused\" and .hardbounce==1"
done
n=$(jq -s 'map(select(.subject=="fixture refused")) | length' "$OUT")
is "$n" 2 "one bounce for two recipients gives two records"
check "delay warning: temporary, nothing to do yet" \
  '.recipient=="carol@remote.test" and .action=="delayed" and .reason=="expired" and .cause=="delivery-delayed" and .temporary==true and .who=="nobody" and .retry.advice=="retry" and .replycode=="451" and (.diagnosticcode|test("^451 4.2.1 <carol@remote.test>: mailbox busy"))'
check "expiry report: the queue time ran out" \
  '.recipient=="carol@remote.test" and .deliverystatus=="4.4.7" and .reason=="expired" and .cause=="queue-expired" and .temporary==false and (.diagnosticcode|test("expired"))'
# boilerplate after the reply ("Please note that this is only a temporary
# failure report") is no part of it
n=$(jq -s 'map(select(.diagnosticcode|test("Please note|Below is a copy"))) | length' "$OUT")
is "$n" 0 "no boilerplate in a diagnostic"

# ---- the same events in OpenSMTPD's own log. In the foreground it logs
# to standard error; syslog would put a stamp, the host and "smtpd[pid]: "
# before each line, as here, and change nothing else.
LOG=$T/maillog
as_syslog 'smtpd[4121]' < "$T/smtpd.log" > "$LOG"
LOUT=$T/log.ndjson
"$SMTPDX" log --format ndjson --utc --year 2026 "$LOG" > "$LOUT" 2> "$T/log.err"
is $? 0 "smtpdx log exits 0 on OpenSMTPD's log"
lcheck() { jq_has "$LOUT" "$@"; }
for r in bob dave; do
    lcheck "log: the relay attempt to $r failed for good" \
      ".recipient==\"$r@reject.test\" and .action==\"failed\" and .reason==\"userunknown\" and .smtpagent==\"OpenSMTPD\" and .addresser==\"alice@sender.test\" and (.queueid|test(\"^[0-9a-f]{16}$\")) and .temporary==false"
    lcheck "log: the receiving side refused $r at RCPT" \
      ".recipient==\"$r@reject.test\" and .smtpcommand==\"RCPT\" and .replycode==\"550\" and .reason==\"userunknown\""
done
lcheck "log: the receiving side put carol off at RCPT" \
  '.recipient=="carol@remote.test" and .smtpcommand=="RCPT" and .replycode=="451" and .temporary==true'
lcheck "log: carol deferred, the busy mailbox named" \
  '.recipient=="carol@remote.test" and .action=="delayed" and .temporary==true and .replycode=="451" and (.diagnosticcode|test("mailbox busy"))'
lcheck "log: carol's expiry tells the reply of the last attempt" \
  '.recipient=="carol@remote.test" and .reason=="expired" and .deliverystatus=="4.4.7" and (.diagnosticcode|test("mailbox busy")) and .addresser=="alice@sender.test" and .temporary==false and .retry.advice=="fix-then-retry" and .who!="nobody" and .matched.kind=="report"'
n=$(jq -s 'length' "$LOUT")
is "$n" 7 "log: seven records (two bounces, three refusals at RCPT, a deferral, an expiry)"
# the log as smtpd wrote it, without syslog's header: the same records,
# with no time
BOUT=$T/bare.ndjson
"$SMTPDX" log --format ndjson "$T/smtpd.log" > "$BOUT" 2> "$T/bare.err"
is $? 0 "smtpdx log exits 0 on OpenSMTPD's lines without a syslog header"
key='[.[] | [.recipient, .action, .reason, .cause, .smtpcommand, .queueid // ""]] | sort'
is "$(jq -s -c "$key" "$BOUT")" "$(jq -s -c "$key" "$LOUT")" \
    "log: the same records from the lines without a header"
n=$(jq -s 'map(select(.timestamp != 0)) | length' "$BOUT")
is "$n" 0 "log: lines without a header give records without a time"

[ $fails -eq 0 ] || { echo "--- smtpd"; tail -n 30 "$T/smtpd.log"; echo "--- records"; cat "$OUT"; echo "--- log records"; cat "$LOUT"; exit 1; }
echo "opensmtpd fixture: all cases diagnosed"
exit 0
