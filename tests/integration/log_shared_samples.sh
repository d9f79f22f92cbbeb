#!/bin/bash
# log_shared_samples.sh - 'smtpdx log' on the log excerpts a real Postfix
# and a real Exim wrote on this machine (../shared/samples, read in place,
# never copied). Skips when the shared folder is absent.
set -u
BUILD=${1:-build}
SMTPDX=${SMTPDX:-$BUILD/smtpdx}
SHARED=${SMTPDX_SHARED:-../shared}
EXIM=$SHARED/samples/exim-mainlog.txt
PFX=$SHARED/samples/postfix-log-excerpt.txt
command -v jq >/dev/null || { echo "SKIP: jq is not installed"; exit 77; }
[ -f "$EXIM" ] && [ -f "$PFX" ] || { echo "SKIP: $SHARED/samples is absent"; exit 77; }
[ -x "$SMTPDX" ] || { echo "FAIL: no smtpdx at $SMTPDX"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
# count FILE FILTER WANT DESCRIPTION: exactly WANT records pass FILTER
count() {
    local got
    got=$(jq -s "map(select($2)) | length" "$1")
    if [ "$got" = "$3" ]; then echo "ok   $4"; else
        echo "FAIL $4: $got records, expected $3"; fails=$((fails + 1)); fi
}

"$SMTPDX" log --format ndjson --utc --year 2026 "$EXIM" > "$tmp/exim.ndjson"
[ $? -eq 0 ] || { echo "FAIL: smtpdx log on the Exim sample"; exit 1; }
E=$tmp/exim.ndjson
count "$E" '.smtpagent=="Exim"' 27 "Exim: every failure is a record"
count "$E" '.recipient=="bob@reject.test" and .action=="failed" and .reason=="userunknown" and .replycode=="550" and .deliverystatus=="5.1.1" and .smtpcommand=="RCPT" and .addresser=="alice@exim.test"' 2 \
    "Exim: ** 550 5.1.1 from the remote server, sender joined from <="
count "$E" '.recipient=="carol@remote.test" and .action=="failed" and .reason=="expired" and .temporary==false' 2 \
    "Exim: retry timeout exceeded is an expiry"
count "$E" '.recipient=="carol@remote.test" and .action=="delayed" and .reason=="networkerror" and .temporary==true' 8 \
    "Exim: == defer (111) Connection refused"
count "$E" '.reason=="norelaying" and .smtpcommand=="RCPT" and .temporary==false' 3 \
    "Exim: rejected RCPT: relay not permitted"
count "$E" '.reason=="mesgtoobig"' 2 "Exim: message too big (DATA and MAIL SIZE=)"
count "$E" '.replycode=="421" and .action=="delayed" and .temporary==true' 1 \
    "Exim: temporarily rejected MAIL: 421"
count "$E" '.reason=="undefined"' 0 "Exim: nothing left undefined"
stats=$("$SMTPDX" log --format table --color=never --utc --year 2026 "$EXIM" | grep '^  received')
[ "$stats" = "  received 8  sent 4  deferred 15  bounced 2  expired 2  rejected 8" ] &&
    echo "ok   Exim: totals" || { echo "FAIL Exim totals: $stats"; fails=$((fails + 1)); }

"$SMTPDX" log --format ndjson --utc --year 2026 "$PFX" > "$tmp/pf.ndjson"
[ $? -eq 0 ] || { echo "FAIL: smtpdx log on the Postfix sample"; exit 1; }
P=$tmp/pf.ndjson
count "$P" 'true' 16 "Postfix: every failure is a record"
count "$P" '.recipient=="bob@reject.test" and .reason=="userunknown" and .replycode=="550" and .smtpcommand=="RCPT" and .rhost=="127.0.0.1"' 2 \
    "Postfix: bounced 550 5.1.1 said by the remote host"
count "$P" '.action=="delayed" and .deliverystatus=="4.4.1" and .reason=="networkerror" and .temporary==true' 9 \
    "Postfix: deferred, connection refused"
count "$P" '.reason=="toomanyconn" and .replycode=="421"' 2 \
    "Postfix: anvil's concurrency limit is the 421 the client got"
count "$P" '.recipient=="alice@reject.test" and .deliverystatus=="5.4.0" and .smtpcommand=="DATA"' 1 \
    "Postfix: 554 5.4.0 too many hops at end of DATA"
count "$P" '.timestamp==1795835985 and .queueid=="214FBA78514"' 1 \
    "Postfix: syslog time with the year given, UTC"

[ $fails -eq 0 ] || exit 1
echo "shared samples: all diagnosed"
