#!/bin/bash
# cli_bounce.sh - 'smtpdx bounce' as people and scripts use it, on the
# project's own bounce cases (tests/data/bounce/): the selections (--hard,
# --soft, --reason, --domain, --sender, --since, --until) each checked against the records
# of an unselected run, the summary, the exit codes, standard input and an
# unreadable input beside readable ones.
#
# arg1: the build directory; env SMTPDX: the binary (default arg1/smtpdx).
set -u
build=$(cd "${1:-build}" 2>/dev/null && pwd) || build="${1:-build}"
SMTPDX="${SMTPDX:-$build/smtpdx}"
cd "$(dirname "$0")/../.." || exit 1
command -v jq >/dev/null || { echo "SKIP: jq is not installed"; exit 77; }
[ -x "$SMTPDX" ] || { echo "FAIL: no binary at $SMTPDX"; exit 1; }

. tests/lib/check.sh

cases=(tests/data/bounce/*.eml)
"$SMTPDX" bounce --ndjson "${cases[@]}" > "$tmp/all" 2> "$tmp/all.err"
is "$?" 0 "all cases: exit status"
total=$(wc -l < "$tmp/all")
[ "$total" -ge 50 ] && ok || bad "only $total records from ${#cases[@]} cases"
grep -q "records selected" "$tmp/all.err" && bad "summary speaks of a selection none was made" || ok

# sel NAME JQ-TEST OPTIONS...: the selected records are exactly those of the
# full run that pass JQ-TEST, in the same order
sel() {
    local name=$1 test=$2; shift 2
    "$SMTPDX" bounce --ndjson "$@" "${cases[@]}" > "$tmp/$name" 2> "$tmp/$name.err"
    local rc=$? want
    jq -c "select($test)" "$tmp/all" > "$tmp/$name.want"
    want=$(wc -l < "$tmp/$name.want")
    if cmp -s "$tmp/$name" "$tmp/$name.want"; then ok
    else bad "$name: the records differ from the full run's that pass $test"; fi
    [ "$want" -gt 0 ] && ok || bad "$name: the full run has no record that passes $test"
    is "$rc" 0 "$name: exit status"
    grep -q "[^0-9]$want records\? selected" "$tmp/$name.err" && ok ||
        bad "$name: the summary does not say $want selected: $(cat "$tmp/$name.err")"
}
sel hard '.hardbounce == 1' --hard
sel soft '.hardbounce == 0 and (.reason | IN("delivered", "vacation", "feedback") | not)' --soft
sel reasons '.reason == "userunknown" or .reason == "mailboxfull"' --reason userunknown,mailboxfull
sel domain '.destination == "example.org" or (.destination | endswith(".example.org"))' --domain example.org
sel domain-case '.destination == "example.org" or (.destination | endswith(".example.org"))' --domain EXAMPLE.Org
sel sender-domain '.senderdomain == "example.com"' --sender @example.com
sel both '.hardbounce == 1 and .reason == "userunknown"' --hard --reason userunknown
# --since and --until by the bounce's date: a Unix time, and an ISO time
# in UTC; a record without a date is in no window
mid=$(jq -r 'select(.timestamp > 0) | .timestamp' "$tmp/all" | sort -n |
      awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
first=$(jq -r 'select(.timestamp > 0) | .timestamp' "$tmp/all" | sort -n | head -n1)
[ "$(jq -c 'select(.timestamp == 0)' "$tmp/all" | wc -l)" -gt 0 ] && ok ||
    bad "the cases hold no record without a date"
sel since ".timestamp >= $mid" --since "@$mid"
sel until ".timestamp > 0 and .timestamp < $mid" --until "@$mid"
sel window ".timestamp > $first and .timestamp < $mid" \
    --since "$(date -u -d "@$((first + 1))" +%Y-%m-%dT%H:%M:%SZ)" --until "@$mid"
"$SMTPDX" bounce --since yesterday "${cases[0]}" > /dev/null 2> "$tmp/since.err"
is "$?" 2 "--since with no time"
grep -q "'yesterday' is no time" "$tmp/since.err" && ok || bad "--since yesterday: $(cat "$tmp/since.err")"

hard=$(wc -l < "$tmp/hard"); soft=$(wc -l < "$tmp/soft")
others=$(jq -c 'select(.reason | IN("delivered", "vacation", "feedback"))' "$tmp/all" | wc -l)
[ "$others" -gt 0 ] && ok || bad "the cases hold no delivery, auto-reply or complaint"
is "$((hard + soft + others))" "$total" "--hard, --soft and the non-failures split every record"
"$SMTPDX" bounce --domain -q "${cases[0]}" > /dev/null 2> "$tmp/dq.err"
is "$?" 2 "--domain followed by an option"
grep -q "was the value left out" "$tmp/dq.err" && ok || bad "--domain -q message: $(cat "$tmp/dq.err")"
"$SMTPDX" bounce --domain tests/data/bounce > /dev/null 2> "$tmp/dp.err" < /dev/null
is "$?" 2 "--domain followed by a path"
"$SMTPDX" bounce --reason userunknown,bogus "${cases[0]}" > /dev/null 2> "$tmp/rb.err"
is "$?" 2 "an unknown reason"
grep -q "'bogus' is no reason" "$tmp/rb.err" && grep -q "mailboxfull" "$tmp/rb.err" && ok ||
    bad "an unknown reason is not named, or the reasons not listed: $(cat "$tmp/rb.err")"
"$SMTPDX" bounce --reason blocked,,userunknown "${cases[0]}" > /dev/null 2> "$tmp/re.err"
is "$?" 2 "an empty reason name"
grep -q "an empty name" "$tmp/re.err" && ok || bad "an empty reason name: $(cat "$tmp/re.err")"

# nothing selected: exit 1, and the summary says so
"$SMTPDX" bounce --ndjson --domain nowhere.invalid "${cases[@]}" > "$tmp/none" 2> "$tmp/none.err"
is "$?" 1 "a selection that keeps nothing: exit status"
is "$(wc -c < "$tmp/none")" 0 "a selection that keeps nothing: output"
grep -q " 0 records selected" "$tmp/none.err" && ok || bad "summary of an empty selection: $(cat "$tmp/none.err")"

# usage errors
"$SMTPDX" bounce --hard --soft "${cases[0]}" > /dev/null 2>&1
is "$?" 2 "--hard with --soft"
"$SMTPDX" bounce --reason nosuchreason "${cases[0]}" > /dev/null 2> "$tmp/u.err"
is "$?" 2 "an unknown reason"
grep -q "'nosuchreason' is no reason" "$tmp/u.err" && ok || bad "unknown reason message: $(cat "$tmp/u.err")"
"$SMTPDX" bounce --reason "" "${cases[0]}" > /dev/null 2>&1
is "$?" 2 "an empty reason list"
"$SMTPDX" bounce --domain "" "${cases[0]}" > /dev/null 2> "$tmp/u.err"
is "$?" 2 "an empty domain"
grep -q -- "--domain wants a domain" "$tmp/u.err" && ok || bad "empty domain message: $(cat "$tmp/u.err")"
"$SMTPDX" bounce --sender @ "${cases[0]}" > /dev/null 2>&1
is "$?" 2 "a sender of '@' alone"

# standard input gives what the file gives
one=tests/data/bounce/postfix-delay-warning.eml
"$SMTPDX" bounce --ndjson "$one" 2>/dev/null | jq -c 'del(.origin)' > "$tmp/file"
"$SMTPDX" bounce --ndjson - < "$one" 2>/dev/null | jq -c 'del(.origin)' > "$tmp/stdin"
[ -s "$tmp/file" ] && cmp -s "$tmp/file" "$tmp/stdin" && ok || bad "standard input reads otherwise than the file"

# an unreadable input: named, the others still read, exit 3
"$SMTPDX" bounce --ndjson "$tmp/missing.eml" "$one" > "$tmp/mixed" 2> "$tmp/mixed.err"
is "$?" 3 "an unreadable input beside a readable one: exit status"
[ "$(wc -l < "$tmp/mixed")" -eq "$(wc -l < "$tmp/file")" ] && ok || bad "the readable input was not read after the unreadable one"
grep -q "missing.eml" "$tmp/mixed.err" && ok || bad "the unreadable input is not named: $(cat "$tmp/mixed.err")"

# input that is no mail (a file given by mistake) is named with what it is,
# apart from a mail that is no bounce, and the others are still read
printf 'PK\003\004\000\000binary\000data\n' > "$tmp/archive.zip"
printf 'Shopping list\n\nmilk\n' > "$tmp/notes.txt"
printf 'From: a@example.org\nSubject: lunch\n\nat noon?\n' > "$tmp/lunch.eml"
"$SMTPDX" bounce --ndjson "$tmp/archive.zip" "$tmp/notes.txt" "$tmp/lunch.eml" "$one" > "$tmp/notmail" 2> "$tmp/notmail.err"
is "$?" 0 "no-mail inputs beside a bounce: exit status"
[ "$(wc -l < "$tmp/notmail")" -eq "$(wc -l < "$tmp/file")" ] && ok || bad "the bounce was not read beside inputs that are no mail"
grep -q "4 messages read, 1 bounce, .* 1 not a bounce, 2 unparseable" "$tmp/notmail.err" && ok ||
    bad "summary of no-mail inputs: $(cat "$tmp/notmail.err")"
grep -q "archive.zip: not a mail message: an archive (zip, 7z or rar), which is not read; unpack it first" "$tmp/notmail.err" && ok ||
    bad "a zip archive is not named as such: $(cat "$tmp/notmail.err")"
grep -q "notes.txt: not a mail message: it does not start with header fields" "$tmp/notmail.err" && ok ||
    bad "a text without header fields is not named as such: $(cat "$tmp/notmail.err")"
grep -q "lunch.eml" "$tmp/notmail.err" && bad "a mail that is no bounce was named as unparseable" || ok
"$SMTPDX" bounce --ndjson "$tmp/notes.txt" > /dev/null 2>&1
is "$?" 1 "only input that is no mail: exit status"
# a notice's text pasted without its header fields is read as a body; a
# text that only mentions a reply is still no mail
printf '%s\n' 'This is the mail system at host mx.example.org.' '' \
    '<ann@example.net>: host mx.example.net[192.0.2.7] said: 550 5.1.1' \
    '    <ann@example.net>: Recipient address rejected: User unknown (in reply' \
    '    to RCPT TO command)' > "$tmp/pasted.txt"
"$SMTPDX" bounce --ndjson - < "$tmp/pasted.txt" > "$tmp/pasted.out" 2> "$tmp/pasted.err"
is "$?" 0 "a pasted notice without header fields: exit status"
jq -e -s 'length == 1 and .[0].recipient == "ann@example.net" and
    .[0].reason == "userunknown" and .[0].smtpcommand == "RCPT"' "$tmp/pasted.out" > /dev/null && ok ||
    bad "a pasted notice without header fields: $(cat "$tmp/pasted.out" "$tmp/pasted.err")"
printf '%s\n' 'Notes from the call' '' 'ann@example.net got 550 5.1.1 User unknown' > "$tmp/mention.txt"
"$SMTPDX" bounce --ndjson "$tmp/mention.txt" > "$tmp/mention.out" 2> "$tmp/mention.err"
is "$?" 1 "a text that mentions a reply: exit status"
grep -q "mention.txt: not a mail message" "$tmp/mention.err" && ok ||
    bad "a text that mentions a reply was not named as no mail: $(cat "$tmp/mention.err")"
# a DSN past the recipient limit: its first 1,000 records come, each
# saying so, and the summary names the message and what was cut; with
# --jobs the same
{
    printf 'From: MAILER-DAEMON@mx.example.org\nTo: a@example.org\nSubject: failure\n'
    printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
    printf -- '--b\nContent-Type: text/plain\n\nfailed\n--b\n'
    printf 'Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n'
    for i in $(seq 1 1001); do
        printf 'Final-Recipient: rfc822; u%d@example.net\nAction: failed\nStatus: 5.1.1\n\n' "$i"
    done
    printf -- '--b--\n'
} > "$tmp/many.eml"
for jobs in 1 2; do
    "$SMTPDX" bounce --ndjson --jobs "$jobs" "$tmp/many.eml" "$one" > "$tmp/many" 2> "$tmp/many.err"
    is "$?" 0 "a DSN past the recipient limit (--jobs $jobs): exit status"
    is "$(jq -c 'select(.origin | endswith("many.eml"))' "$tmp/many" | wc -l)" 1000 \
        "a DSN past the recipient limit (--jobs $jobs): records"
    [ "$(jq -r 'select(.origin | endswith("many.eml")) | .truncated | index("recipients") != null' "$tmp/many" | sort -u)" = true ] && ok ||
        bad "records of a DSN past the recipient limit do not all say so"
    grep -q "2 bounces, .*, 1 cut short by a limit$" "$tmp/many.err" && ok ||
        bad "the summary does not count the message cut short: $(head -1 "$tmp/many.err")"
    grep -q "many.eml: cut short by a limit, .*recipients past the first 1,000" "$tmp/many.err" && ok ||
        bad "the message cut short is not named with its limit: $(cat "$tmp/many.err")"
done
grep -q "cut short" "$tmp/notmail.err" && bad "a run within every limit speaks of one" || ok
"$SMTPDX" bounce --ndjson --quiet "$tmp/many.eml" > /dev/null 2> "$tmp/many-q.err"
[ -s "$tmp/many-q.err" ] && bad "--quiet still lists the message cut short: $(cat "$tmp/many-q.err")" || ok

# an Outlook item, its TNEF data and UTF-16 text are named for what they
# are
printf '\320\317\021\340\241\261\032\341\000\000\000\000' > "$tmp/ndr.msg"
printf '\170\237\076\042\000\000\001\220' > "$tmp/winmail.dat"
printf 'From: a@b.example\n\nx\n' | iconv -f UTF-8 -t UTF-16 > "$tmp/pasted.txt"
"$SMTPDX" bounce --ndjson "$tmp/ndr.msg" "$tmp/winmail.dat" "$tmp/pasted.txt" > /dev/null 2> "$tmp/ole.err"
is "$?" 1 "Outlook inputs alone: exit status"
grep -q "ndr.msg: not a mail message: an Outlook item (.msg" "$tmp/ole.err" && ok ||
    bad "an Outlook .msg is not named as such: $(cat "$tmp/ole.err")"
grep -q "winmail.dat: not a mail message: Outlook's TNEF data" "$tmp/ole.err" && ok ||
    bad "TNEF data is not named as such: $(cat "$tmp/ole.err")"
grep -q "pasted.txt: not a mail message: UTF-16 text" "$tmp/ole.err" && ok ||
    bad "UTF-16 text is not named as such: $(cat "$tmp/ole.err")"
# xz, zstd and bzip2 files, and such data piped in, read as gzip is
for z in "xz -c" "zstd -q -c" "bzip2 -c"; do
    $z "$one" > "$tmp/one.z"
    "$SMTPDX" bounce --ndjson "$tmp/one.z" 2> "$tmp/z.err" | jq -c 'del(.origin)' > "$tmp/z.out"
    "$SMTPDX" bounce --ndjson "$one" 2> /dev/null | jq -c 'del(.origin)' > "$tmp/z.want"
    [ -s "$tmp/z.want" ] && cmp -s "$tmp/z.out" "$tmp/z.want" && ok ||
        bad "$z: the records differ from the plain file's: $(cat "$tmp/z.err")"
    $z "$one" | "$SMTPDX" bounce --ndjson - 2> /dev/null | jq -c 'del(.origin)' > "$tmp/z.out"
    cmp -s "$tmp/z.out" "$tmp/z.want" && ok || bad "$z piped: the records differ from the plain file's"
done

# a compressed file cut short: the message under way at the break is read
# as far as it came, its records marked as from part of a message, and
# the break is named after it (exit 3: an input could not be read whole)
gzip -c "$one" > "$tmp/whole.gz"
head -c $(( $(stat -c %s "$tmp/whole.gz") - 16 )) "$tmp/whole.gz" > "$tmp/cut.gz"
"$SMTPDX" bounce --ndjson "$tmp/cut.gz" > "$tmp/cut.out" 2> "$tmp/cut.err"
is "$?" 3 "a cut .gz: exit status"
want=$("$SMTPDX" bounce --ndjson "$one" 2> /dev/null | jq -r .recipient)
[ -n "$want" ] && [ "$(jq -r .recipient "$tmp/cut.out")" = "$want" ] && ok ||
    bad "a cut .gz lost its message's records: $(cat "$tmp/cut.out" "$tmp/cut.err")"
grep -q "cut.gz: the input breaks off inside this message" "$tmp/cut.err" &&
    grep -q "cut.gz: the gzip data ends early" "$tmp/cut.err" &&
    grep -q "1 read in part (the input broke off)" "$tmp/cut.err" && ok ||
    bad "a cut .gz is not named: $(cat "$tmp/cut.err")"

# the table: a delivery is a success, counted neither as permanent nor
# as temporary
mixed=tests/data/bounce/dsn-mixed-actions.eml
"$SMTPDX" bounce --format table "$mixed" > "$tmp/table" 2>/dev/null
head -1 "$tmp/table" | grep -q "^3 records: 1 permanent, 1 temporary," && ok ||
    bad "table summary of failed, delivered, delayed: $(head -1 "$tmp/table")"
grep -q "^  DELIVERED  delivered  success$" "$tmp/table" && ok ||
    bad "a delivered record is not shown as a success: $(grep DELIVERED "$tmp/table")"

# colour by what a record is: a delivery green, an auto-reply or a
# complaint not in the colour of failures
"$SMTPDX" bounce --format table --color=always "$mixed" > "$tmp/colour" 2>/dev/null
esc=$(printf '\033')
grep -q "${esc}\[1;32mDELIVERED" "$tmp/colour" && ok || bad "a delivery is not green"
"$SMTPDX" bounce --format table --color=always tests/data/bounce/*.eml > "$tmp/colour2" 2>/dev/null
grep -q "${esc}\[1;31m\(DELIVERED\|VACATION\|FEEDBACK\)" "$tmp/colour2" && bad "a non-failure in the colour of failures" || ok

# "Reported by": the host and the system that wrote the report, never
# the name of the standard it follows
"$SMTPDX" bounce --format table tests/data/bounce/*.eml > "$tmp/plain" 2>/dev/null
grep -q "^  Reported    by [^ ]* (Postfix)$" "$tmp/plain" && ok ||
    bad "no report is shown as written by Postfix"
grep -q "^  Reported    by RFC" "$tmp/plain" &&
    bad "a standard shown as the report's writer: $(grep -m1 '^  Reported    by RFC' "$tmp/plain")" || ok

# a failure worth retrying in a final report: the sending server gave up,
# so the message must be sent again
"$SMTPDX" bounce --format table tests/data/bounce/sendmail-two-refused.eml > "$tmp/final" 2>/dev/null
grep -q "the sending server has given up: send the" "$tmp/final" && ok ||
    bad "a final report's temporary failure does not say to send again: $(grep Retry "$tmp/final")"

# --summary: the table's summary alone, in a pipe too; not with another format
"$SMTPDX" bounce --summary tests/data/bounce/*.eml > "$tmp/sum" 2>/dev/null
is "$?" 0 "--summary: exit status"
head -1 "$tmp/sum" | grep -q "^$total records: " && ok || bad "--summary: first line $(head -1 "$tmp/sum")"
grep -q "^  REASON " "$tmp/sum" && ok || bad "--summary: no reason table"
# the domain with the most failures leads the FAILED AT list, with its count
top=$(jq -r 'select(.reason | IN("delivered", "vacation", "feedback") | not) |
             .destination | ascii_downcase' "$tmp/all" | sort | uniq -c | sort -k1,1nr -k2 | head -n1)
grep -A1 "^  FAILED AT " "$tmp/sum" | tail -n1 |
    grep -q "^  $(echo "$top" | awk '{print $2}') *$(echo "$top" | awk '{print $1}') " && ok ||
    bad "--summary: FAILED AT does not start with '$top': $(grep -A1 '^  FAILED AT ' "$tmp/sum" | tail -n1)"
grep -q "^  What to do" "$tmp/sum" && bad "--summary printed record blocks" || ok
"$SMTPDX" bounce --summary --ndjson "${cases[0]}" > /dev/null 2>&1
is "$?" 2 "--summary with --ndjson"

# the summary counts auto-replies, feedback reports and delivery reports
# apart from the bounces, and every message read is counted once
"$SMTPDX" bounce --ndjson tests/data/bounce/*.eml 2> "$tmp/kinds" > /dev/null
line=$(grep '^smtpdx bounce: ' "$tmp/kinds")
num() { echo "$line" | sed -n "s/.* \([0-9][0-9]*\) $1.*/\1/p"; }
read_n=$(num 'messages read'); b=$(num 'bounces,'); a=$(num 'auto-repl')
c=$(num 'feedback report'); d=$(num 'delivery report'); nb=$(num 'not a bounce')
u=$(num 'unparseable')
[ -n "$a" ] && [ "$a" -gt 0 ] && ok || bad "auto-replies not counted apart: $line"
[ -n "$c" ] && [ "$c" -gt 0 ] && ok || bad "feedback reports not counted apart: $line"
is "$((b + a + c + ${d:-0} + nb + u))" "$read_n" "summary kinds add up to the messages read ($line)"

# a run killed by a closed pipe erases its progress bar from the terminal,
# so the prompt that follows starts on a clean line
if command -v script > /dev/null; then
    script -qec "$SMTPDX bounce --ndjson tests/data/bounce tests/data/bounce tests/data/bounce | head -c 1 > /dev/null" /dev/null > "$tmp/pipe-tty" 2>&1
    grep -Eq "reading \\[|messages" "$tmp/pipe-tty" && ok || bad "no progress bar on a terminal"
    [ "$(tail -c 7 "$tmp/pipe-tty" | od -An -c | tr -d ' \n')" = '033[K\r033[K' ] && ok ||
        bad "the bar is left on the screen after SIGPIPE: $(tail -c 20 "$tmp/pipe-tty" | od -An -c)"
    # files and folders: a bar of the bytes read out of their known total;
    # standard input: a count of the messages
    script -qec "$SMTPDX bounce --ndjson tests/data/bounce > /dev/null" /dev/null > "$tmp/bar-tty" 2>&1
    grep -aq 'reading \[[#.]*\] *[0-9]*%  .* / [0-9.]* [KM]iB' "$tmp/bar-tty" && ok ||
        bad "no bar of bytes for a folder: $(head -c 200 "$tmp/bar-tty" | od -An -c | head -3)"
    script -qec "cat tests/data/bounce/*.eml | $SMTPDX bounce --ndjson - > /dev/null" /dev/null > "$tmp/count-tty" 2>&1
    grep -aq 'messages [0-9]' "$tmp/count-tty" && ! grep -aq 'reading \[' "$tmp/count-tty" && ok ||
        bad "standard input should show a count, not a bar: $(head -c 200 "$tmp/count-tty" | od -An -c | head -3)"
else
    echo "skip: script(1) is absent, the progress bar is not checked"
fi

finish cli_bounce
