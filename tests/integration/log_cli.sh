#!/bin/bash
# log_cli.sh - the 'smtpdx log' command around the parser: inputs (files,
# .gz, stdin, several rotated files in time order), --follow through
# rotation and truncation, the filters, the formats and the exit codes.
set -u
BUILD=${1:-build}
SMTPDX=${SMTPDX:-$BUILD/smtpdx}
command -v jq >/dev/null || { echo "SKIP: jq is not installed"; exit 77; }
command -v gzip >/dev/null || { echo "SKIP: gzip is not installed"; exit 77; }
[ -x "$SMTPDX" ] || { echo "FAIL: no smtpdx at $SMTPDX"; exit 1; }
T=$(mktemp -d)
FPID=
cleanup() { [ -n "$FPID" ] && kill "$FPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
is() { [ "$1" = "$2" ] && ok "$3" || bad "$3 (got '$1', expected '$2')"; }

# line DAY HH:MM:SS QID RCPT: a Postfix bounce for RCPT
line() {
    printf '%s mx postfix/smtp[9]: %s: to=<%s>, relay=mx.b.example[192.0.2.5]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.b.example[192.0.2.5] said: 550 5.1.1 <%s>: Recipient address rejected: User unknown (in reply to RCPT TO command))\n' \
        "Nov $1 $2" "$3" "$4" "$4"
}
L() { "$SMTPDX" log --utc --year 2026 --format ndjson "$@"; }

# ---- several rotated files, given in any order, are read oldest first
line 25 10:00:00 AAAA000001 r3@b.example > "$T/maillog.3"
line 26 10:00:00 AAAA000002 r2@b.example > "$T/maillog.2"
line 27 10:00:00 AAAA000003 r1@b.example > "$T/maillog.1"
line 28 10:00:00 AAAA000004 r0@b.example > "$T/maillog"
gzip "$T/maillog.3" "$T/maillog.2"
got=$(L "$T/maillog" "$T/maillog.1" "$T/maillog.2.gz" "$T/maillog.3.gz" | jq -r .recipient | tr '\n' ' ')
is "$got" "r3@b.example r2@b.example r1@b.example r0@b.example " "rotated files in time order, .gz read transparently"
# a .gz cut short: the lines before the cut are read, then the error, in
# words, and exit 3; the next file is still read
{ for i in $(seq 1 400); do line 25 10:00:00 "$(printf 'EEEE%06d' "$i")" "c$i@b.example"; done; } | gzip > "$T/many.gz"
head -c $(( $(stat -c %s "$T/many.gz") / 2 )) "$T/many.gz" > "$T/cut.gz"
n=$(L "$T/cut.gz" "$T/maillog" 2> "$T/cut.err" | jq -s 'map(select(.recipient|startswith("c"))) | length')
[ "$n" -gt 0 ] && [ "$n" -lt 400 ]; is $? 0 "a cut .gz: the records before the cut ($n of 400)"
grep -q "cut.gz: the gzip data ends early" "$T/cut.err"; is $? 0 "a cut .gz: the error says so"
L "$T/cut.gz" "$T/maillog" > "$T/cut.out" 2>/dev/null; is $? 3 "a cut .gz: exit 3"
is "$(jq -r 'select(.recipient=="r0@b.example") | .recipient' "$T/cut.out")" "r0@b.example" "a cut .gz: the next file is still read"
# gzip through a pipe, as from a file: the same records; cut short, the
# records before the cut, the error in words, exit 3
want=$(L "$T/many.gz" | jq -r .recipient | tr '\n' ' ')
got=$(cat "$T/many.gz" | L - | jq -r .recipient | tr '\n' ' ')
is "$got" "$want" "gzip piped into standard input: the records of the file"
got=$(cat "$T/maillog.3.gz" "$T/maillog.2.gz" | L - | jq -r .recipient | tr '\n' ' ')
is "$got" "r3@b.example r2@b.example " "two gzip members piped: both read"
n=$(cat "$T/cut.gz" | L - 2> "$T/cutp.err" | jq -s 'map(select(.recipient|startswith("c"))) | length')
[ "$n" -gt 0 ] && [ "$n" -lt 400 ]; is $? 0 "a cut gzip pipe: the records before the cut ($n of 400)"
grep -q "standard input: the gzip data ends early" "$T/cutp.err"; is $? 0 "a cut gzip pipe: the error says so"
cat "$T/cut.gz" | L - > /dev/null 2>&1; is $? 3 "a cut gzip pipe: exit 3"
# a file that is no mail log: said on stderr, exit 1
printf 'From: a@b.example\nSubject: hello\n\nnot a log\n' > "$T/mail.eml"
L "$T/mail.eml" > /dev/null 2> "$T/nolog.err"; is $? 1 "no mail log line: exit 1"
grep -q "none of the 4 lines read is a Postfix, Exim, Sendmail, OpenSMTPD or Courier log line" "$T/nolog.err"
is $? 0 "no mail log line: stderr says so"
# xz, zstd and bzip2 logs read as gzip ones; an archive, UTF-16 text or
# binary data is named for what it is, exit 3, and the next file still read
want=$(L "$T/maillog.1" | jq -r .recipient | tr '\n' ' ')
for z in "xz -c" "zstd -q -c" "bzip2 -c"; do
    $z "$T/maillog.1" > "$T/maillog.z"
    is "$(L "$T/maillog.z" | jq -r .recipient | tr '\n' ' ')" "$want" "$z: the records of the plain log"
    is "$($z "$T/maillog.1" | L - | jq -r .recipient | tr '\n' ' ')" "$want" "$z piped: the records of the plain log"
done
printf 'PK\003\004\024\000\000\000' > "$T/logs.zip"
printf 'x\n' | iconv -t UTF-16 > "$T/u16.log"
n=$(L "$T/logs.zip" "$T/u16.log" "$T/maillog.1" 2> "$T/sniff.err" | wc -l)
[ "$n" -gt 0 ]; is $? 0 "after an archive and a UTF-16 file, the next one is read"
L "$T/logs.zip" > /dev/null 2>&1; is $? 3 "an archive: exit 3"
grep -q "logs.zip: not a mail log: an archive (zip, 7z or rar), which is not read; unpack it first" "$T/sniff.err"
is $? 0 "an archive: stderr says what it is"
grep -q "u16.log: not a mail log: UTF-16 text" "$T/sniff.err"; is $? 0 "UTF-16 text: stderr says what it is"
{ printf '\177ELF\002\001\001'; head -c 1024 /dev/zero; } > "$T/prog.log"
n=$(L "$T/prog.log" "$T/maillog.1" 2> "$T/bin.err" | wc -l)
[ "$n" -gt 0 ]; is $? 0 "after binary data, the next file is read"
L "$T/prog.log" > /dev/null 2>&1; is $? 3 "binary data: exit 3"
grep -q "prog.log: not a mail log: binary data (NUL bytes near its start)" "$T/bin.err"
is $? 0 "binary data: stderr says what it is"
got=$(L "$T/maillog.1" | jq -r .origin)
is "$got" "$T/maillog.1:1" "origin names file and line"

# a reply longer than a record's first block of string space (1 KiB),
# in the last batch of the run: its record is whole, and the cleared batch
# is freed cleanly at the end (the sanitizer build checks the memory)
long=$(printf 'x%.0s' $(seq 1 3000))
printf 'Nov 28 10:00:00 mx postfix/smtp[9]: DDDD000001: to=<long@b.example>, relay=mx.b.example[192.0.2.5]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.b.example[192.0.2.5] said: 550 5.1.1 <long@b.example>: User unknown %s (in reply to RCPT TO command))\n' "$long" > "$T/long.log"
L "$T/long.log" > "$T/long.out" 2> "$T/long.err"; is $? 0 "a 3,000-byte reply: exit 0"
got=$(jq -r '.diagnosticcode | length > 3000 and endswith("x")' "$T/long.out")
is "$got" "true" "a 3,000-byte reply: kept whole in the record"

# ---- stdin
got=$(line 28 11:00:00 BBBB000001 s@c.example | L - | jq -r .recipient)
is "$got" "s@c.example" "'-' reads standard input"
got=$(line 28 11:00:00 BBBB000001 s@c.example | L | jq -r .recipient)
is "$got" "s@c.example" "no file reads standard input"

# ---- filters
{ line 28 09:00:00 CCCC000001 a@one.example; line 28 10:30:00 CCCC000002 b@sub.two.example
  line 28 12:00:00 CCCC000003 c@two.example; } > "$T/f.log"
is "$(L --since 2026-11-28T10:00 --until '2026-11-28 11:00:00' "$T/f.log" | jq -r .recipient)" \
   "b@sub.two.example" "--since/--until with ISO times"
is "$(L --domain two.example "$T/f.log" | jq -s length)" 2 "--domain matches subdomains"
is "$(L --reason userunknown,mailboxfull "$T/f.log" | jq -s length)" 3 "--reason list"
is "$(L --since 36500d "$T/f.log" | jq -s length)" 3 "--since 36500d (relative) keeps all"
is "$(L --until 36500d "$T/f.log" | jq -s length)" 0 "--until 36500d (relative) keeps none"
L --reason mailboxfull "$T/f.log" > /dev/null; is $? 1 "nothing left: exit 1"
# ---- the queue table forgets messages not seen for --queue-age
{ echo 'Nov 25 10:00:00 mx postfix/qmgr[1]: DDDD000001: from=<s@a.example>, size=100, nrcpt=1 (queue active)'
  line 28 10:00:00 DDDD000001 q@b.example; } > "$T/age.log"
is "$(L "$T/age.log" | jq -r .addresser)" "s@a.example" "sender joined by queue id within the default age"
is "$(L --queue-age 1d "$T/age.log" | jq -r .addresser)" "" "--queue-age 1d forgets the 3-day-old sender"
is "$(L --queue-max 1 "$T/age.log" | jq -r .recipient)" "q@b.example" "--queue-max 1 still reports the event"
L --queue-age 1d "$T/age.log" 2>"$T/age.err" >/dev/null
grep -q '1 queued message forgotten.*0: queue table full.*1: older than --queue-age' "$T/age.err" &&
    ok "aged-out messages are counted on stderr" || bad "aged-out count on stderr: $(cat "$T/age.err")"
{ echo 'Nov 28 09:00:00 mx postfix/qmgr[1]: EEEE000001: from=<s1@a.example>, size=100, nrcpt=1 (queue active)'
  echo 'Nov 28 09:00:01 mx postfix/qmgr[1]: EEEE000002: from=<s2@a.example>, size=100, nrcpt=1 (queue active)'
  line 28 10:00:00 EEEE000001 q1@b.example; } > "$T/full.log"
L --queue-max 1 "$T/full.log" 2>"$T/full.err" >/dev/null
grep -q 'forgotten.*[1-9][0-9]*: queue table full' "$T/full.err" &&
    ok "evicted messages are counted on stderr" || bad "evicted count on stderr: $(cat "$T/full.err")"
L "$T/full.log" 2>"$T/full.err" >/dev/null
grep -q 'forgotten' "$T/full.err" && bad "nothing forgotten, yet a count: $(cat "$T/full.err")" ||
    ok "no count when nothing was forgotten"
L --queue-age soon "$T/age.log" > /dev/null 2>&1; is $? 2 "bad --queue-age: exit 2"
L --queue-max 0 "$T/age.log" > /dev/null 2>&1; is $? 2 "bad --queue-max: exit 2"

L --reason nosuchreason "$T/f.log" > /dev/null 2>&1; is $? 2 "unknown reason: exit 2"
L --since yesterdayish "$T/f.log" > /dev/null 2>&1; is $? 2 "bad time: exit 2"
L --only some "$T/f.log" > /dev/null 2>&1; is $? 2 "bad --only: exit 2"
L "$T/f.log" "$T/missing.log" > "$T/out" 2> "$T/err"; rc=$?
is "$rc" 3 "unreadable input: exit 3"
is "$(jq -s length "$T/out")" 3 "the readable input is still read"
grep -q "missing.log" "$T/err" && ok "the error names the file" || bad "the error names the file"

# ---- formats
"$SMTPDX" log --utc --year 2026 --format json "$T/f.log" | jq -e 'type=="array" and length==3' >/dev/null &&
    ok "json is one array" || bad "json is one array"
is "$("$SMTPDX" log --utc --year 2026 --format csv "$T/f.log" | wc -l)" 4 "csv: a header and three rows"
"$SMTPDX" log --utc --year 2026 --format table --color=never "$T/f.log" > "$T/table"
grep -q "user-unknown" "$T/table" && grep -q "^Totals" "$T/table" && grep -q "bounced 3" "$T/table" &&
    ok "table: groups, then totals" || bad "table: groups, then totals"

# ---- follow: growth, rotation, truncation; SIGTERM ends it cleanly
F=$T/live.log
line 28 12:00:00 DDDD000001 f1@d.example > "$F"
"$SMTPDX" log -f --utc --year 2026 --format ndjson "$F" > "$T/follow.out" 2> "$T/follow.err" &
FPID=$!
waitrec() {  # waitrec N: the output holds N records
    for _ in $(seq 100); do [ "$(wc -l < "$T/follow.out")" -ge "$1" ] && return 0; sleep 0.1; done
    return 1
}
waitrec 1 && ok "follow: reads what is there" || bad "follow: reads what is there"
line 28 12:00:01 DDDD000002 f2@d.example >> "$F"
waitrec 2 && ok "follow: sees appended lines" || bad "follow: sees appended lines"
mv "$F" "$F.1"; line 28 12:00:02 DDDD000003 f3@d.example > "$F"
waitrec 3 && ok "follow: survives rotation" || bad "follow: survives rotation"
sleep 0.5; : > "$F"; sleep 0.5; line 28 12:00:03 DDDD000004 f4@d.example >> "$F"
waitrec 4 && ok "follow: survives truncation" || bad "follow: survives truncation"
kill -TERM "$FPID"; wait "$FPID"; rc=$?; FPID=
is "$rc" 0 "follow: SIGTERM ends with exit 0"
is "$(jq -r .recipient "$T/follow.out" | tr '\n' ' ')" "f1@d.example f2@d.example f3@d.example f4@d.example " \
   "follow: every record once, in order"


# the table wraps its steps to 80 columns when not on a terminal, and a
# group of deliveries (--only all) reads as a success under "Events"
"$SMTPDX" log --utc --year 2026 --format table tests/data/log/postfix-iso/input.log > "$T/wrap.txt" 2>/dev/null
long=$(awk 'length($0) > 80' "$T/wrap.txt" | grep -v '^ *e\.g\. ' | wc -l)
is "$long" 0 "table: steps wrapped to 80 columns"
"$SMTPDX" log --utc --year 2026 --only all --format table tests/data/log/sendmail-hand/input.log > "$T/all.txt" 2>/dev/null
grep -q '^Events by cause and destination' "$T/all.txt" && ok "--only all: heading says events" || bad "--only all: heading says events"
grep -q 'delivered (success)' "$T/all.txt" && ok "--only all: a delivery is a success" || bad "--only all: a delivery is a success"
[ $fails -eq 0 ] || exit 1
echo "log cli: all pass"
