#!/bin/bash
# cli_explain.sh - 'smtpdx explain' as people and scripts use it: the seed
# replies and their diagnosis in JSON, the exit codes, reading replies from
# standard input, the formats, colour only on a terminal, and terminal
# safety of the table output.
#
# arg1: the build directory; env SMTPDX: the binary (default arg1/smtpdx).
set -u
build=$(cd "${1:-build}" 2>/dev/null && pwd) || build="${1:-build}"
SMTPDX="${SMTPDX:-$build/smtpdx}"
cd "$(dirname "$0")/../.." || exit 1  # the project root: examples/ is read
command -v jq >/dev/null || { echo "SKIP: jq is not installed"; exit 77; }
[ -x "$SMTPDX" ] || { echo "FAIL: no binary at $SMTPDX"; exit 1; }

. tests/lib/check.sh

# ---- the seed replies, one JSON object each
explain_json() { "$SMTPDX" explain --json "$1"; }
field() { # field REPLY JQ-FILTER EXPECTED
    local got
    got=$(explain_json "$1" | jq -r ".[0] | $2") || { bad "no JSON for: $1"; return; }
    if [ "$got" = "$3" ]; then ok; else bad "$1: $2 is '$got', expected '$3'"; fi
}

seed_um='550 5.1.1 User unknown'
field "$seed_um" .code 550
field "$seed_um" .enhanced 5.1.1
field "$seed_um" .reason userunknown
field "$seed_um" .cause user-unknown
field "$seed_um" .temporary false
field "$seed_um" .who sender

seed_grey='450 4.7.1 <user@domain.com>: Recipient address rejected: Policy Rejection- Greylisting challenge offered'
field "$seed_grey" .cause greylisting
field "$seed_grey" .temporary true
field "$seed_grey" .who nobody
field "$seed_grey" .retry.advice retry
field "$seed_grey" .matched.kind text

seed_relay='550 5.7.1 Unable to relay'
field "$seed_relay" .reason norelaying
field "$seed_relay" .cause relay-denied
field "$seed_relay" .temporary false

seed_disk='452 4.3.1 Insufficient system resources'
field "$seed_disk" .reason systemfull
field "$seed_disk" .temporary true

# Every other seed: explained, a cause, steps, and the class decides
# temporary (4xx) or permanent (5xx).
while IFS= read -r line; do
    [ -n "$line" ] || continue
    code=$(printf '%s' "$line" | grep -owE '[245][0-9][0-9]' | head -n1)
    out=$("$SMTPDX" explain --json "$line")
    rc=$?
    [ "$rc" -eq 0 ] && ok || bad "exit $rc for seed: $line"
    case "$code" in
        4*) want=true ;;
        5*) want=false ;;
        *) want=null ;;
    esac
    got=$(printf '%s' "$out" | jq -r '.[0].temporary')
    [ "$got" = "$want" ] && ok || bad "temporary '$got' for seed: $line"
    if [ "$want" != null ]; then
        printf '%s' "$out" | jq -e '.[0] | (.cause | length > 0) and
            (.steps | length > 0) and (.matched.rule | length > 0) and
            (.summary | length > 0)' >/dev/null && ok ||
            bad "cause/steps/matched/summary missing for seed: $line"
    fi
done < examples/seed-replies.txt

# ---- every documented JSON field is there, with its type
"$SMTPDX" explain --json "$seed_um" > "$tmp/one.json"
check "explanation object has every field with the right type" jq -e '.[0] |
    (.input | type == "string") and (.code | type == "number") and
    (.enhanced | type == "string") and (.command | type == "string") and
    (.host | type == "string") and (.text | type == "string") and
    (.reason | type == "string") and (.cause | type == "string") and
    (.temporary | type == "boolean") and (.who | type == "string") and
    (.retry.advice | type == "string") and
    (.retry.after_seconds | type == "number") and
    (.retry.give_up_after_seconds | type == "number") and
    (.summary | type == "string") and (.steps | type == "array") and
    (.references | type == "array") and (.matched.rule | type == "string") and
    (.matched.kind | type == "string") and (.matched.text | type == "string") and
    (.conflict | type == "boolean") and
    (.confidence | IN("high", "medium", "low")) and (.flags | type == "array")
    and (.reason == (.reason | ascii_downcase))' "$tmp/one.json" >/dev/null

# ---- exit codes: 0 explained, 1 unknown or unparseable, 2 usage
"$SMTPDX" explain "$seed_um" >/dev/null; rc=$?
check "exit 0 when explained (got $rc)" [ "$rc" -eq 0 ]
"$SMTPDX" explain '' >/dev/null; rc=$?
check "exit 1 for an empty reply (got $rc)" [ "$rc" -eq 1 ]
"$SMTPDX" explain "$seed_um" '' >/dev/null; rc=$?
check "exit 1 when one of several is unparseable (got $rc)" [ "$rc" -eq 1 ]
"$SMTPDX" explain --json '' > "$tmp/empty.json"
check "unparseable input still gets an object" jq -e \
    '.[0].reason == "undefined" and .[0].matched == null' "$tmp/empty.json"

for args in "explain --format xml x" "explain --bogus x" "explain --format" \
            "explain --color=sometimes x" "nosuchcommand" "--nosuchoption" \
            "help nosuchcommand" "version extra"; do
    # shellcheck disable=SC2086
    "$SMTPDX" $args >"$tmp/out" 2>"$tmp/err"; rc=$?
    check "exit 2 for '$args' (got $rc)" [ "$rc" -eq 2 ]
    check "usage error for '$args' is on stderr only" [ ! -s "$tmp/out" ]
    check "usage error for '$args' says smtpdx and how to get help" \
        grep -q "^smtpdx.*Try 'smtpdx" <(tr '\n' ' ' < "$tmp/err")
done
"$SMTPDX" >/dev/null 2>&1; rc=$?
check "exit 2 without a command (got $rc)" [ "$rc" -eq 2 ]

# ---- standard input: one reply per line, multi-line replies joined
printf '550-5.7.1 first line\r\n550-5.7.1 second line\r\n550 5.7.1 Unable to relay\r\n' |
    "$SMTPDX" explain --ndjson - > "$tmp/multi"
check "a multi-line reply on stdin is one reply" [ "$(wc -l < "$tmp/multi")" -eq 1 ]
check "its input keeps the three lines" jq -e \
    '(.input | split("\n") | length) == 3 and .code == 550' "$tmp/multi"
printf '%s\n\n%s\n%s\n' "$seed_um" "$seed_grey" "$seed_disk" |
    "$SMTPDX" explain --ndjson - > "$tmp/lines"
check "three lines on stdin are three replies" [ "$(wc -l < "$tmp/lines")" -eq 3 ]
printf '550-not permitted to relay through this server\n\n550 5.1.1 User unknown\n' |
    "$SMTPDX" explain --ndjson > "$tmp/blank"
check "an empty line ends an unfinished multi-line reply (stdin by default)" \
    [ "$(wc -l < "$tmp/blank")" -eq 2 ]
# an indented line carries the reply above it on (a notice's wrapping);
# an indented line that starts with a code is a reply of its own
printf '%s\n' 'host mx.example.net[192.0.2.7] said: 550 5.1.1 <ann@example.net>: Recipient' \
    '    address rejected: User unknown (in reply to RCPT TO command)' \
    '  450 4.7.1 Greylisted, try again later' | "$SMTPDX" explain --ndjson - > "$tmp/folded"
check "a folded reply on stdin is one reply, the indented code line another" \
    [ "$(wc -l < "$tmp/folded")" -eq 2 ]
check "the folded reply is read whole" jq -e -s \
    '.[0].command == "RCPT" and .[0].host == "mx.example.net" and
     (.[0].input | endswith("(in reply to RCPT TO command)")) and
     .[1].code == 450' "$tmp/folded"
printf '%s\n' 'This is the mail system at host mx.example.org.' '' \
    "I'm sorry to have to inform you that your message could not" \
    "be delivered to one or more recipients. It's attached below." '' \
    '<ann@example.net>: host mx.example.net[192.0.2.7] said: 550 5.1.1 User unknown' |
    "$SMTPDX" explain --ndjson - > /dev/null 2> "$tmp/notice.err"
check "a pasted notice's text is pointed to bounce" \
    grep -q "3 of the replies read matched nothing.*smtpdx bounce -" "$tmp/notice.err"
"$SMTPDX" explain --json - < examples/seed-replies.txt > "$tmp/seeds.json"
check "the example file gives one object per paragraph" jq -e \
    "length == $(grep -c . examples/seed-replies.txt)" "$tmp/seeds.json"

# ---- formats: ndjson by default in a pipe, json, csv, table
"$SMTPDX" explain "$seed_um" "$seed_grey" > "$tmp/default"
check "default output in a pipe is NDJSON, one line per reply" \
    [ "$(jq -c . "$tmp/default" | wc -l)" -eq 2 ]
"$SMTPDX" explain --format json "$seed_um" "$seed_grey" > "$tmp/arr"
check "--format json is one array" jq -e 'type == "array" and length == 2' "$tmp/arr"
"$SMTPDX" explain --format csv "$seed_um" "$seed_grey" > "$tmp/csv"
check "--format csv has a header and a row per reply" \
    [ "$(wc -l < "$tmp/csv")" -eq 3 ]
check "csv header names the columns" grep -q '^input,code,enhanced,' "$tmp/csv"
"$SMTPDX" explain --format table "$seed_um" > "$tmp/table"
check "table names the reason" grep -q 'USERUNKNOWN' "$tmp/table"
check "table numbers the steps" grep -q ' 1\. ' "$tmp/table"
check "table says what matched" grep -q 'Matched' "$tmp/table"

# ---- colour only on a terminal, never with NO_COLOR or --color=never
esc=$(printf '\033')
if command -v script >/dev/null; then
    script -qec "env -u NO_COLOR TERM=xterm $SMTPDX explain '$seed_um'" /dev/null > "$tmp/tty"
    check "on a terminal the default is the table" grep -q 'USERUNKNOWN' "$tmp/tty"
    check "on a terminal there is colour" grep -q "$esc\[" "$tmp/tty"
    script -qec "env NO_COLOR=1 TERM=xterm $SMTPDX explain '$seed_um'" /dev/null > "$tmp/tty2"
    check "NO_COLOR output is still the table" grep -q 'USERUNKNOWN' "$tmp/tty2"
    ! grep -q "$esc" "$tmp/tty2" && ok || bad "escape sequence despite NO_COLOR"
    script -qec "env -u NO_COLOR TERM=xterm $SMTPDX explain --color=never '$seed_um'" /dev/null > "$tmp/tty3"
    ! grep -q "$esc" "$tmp/tty3" && ok || bad "escape sequence despite --color=never"
else
    echo "note: script(1) missing, terminal checks skipped"
fi
"$SMTPDX" explain --format table "$seed_um" > "$tmp/pipe"
! grep -q "$esc" "$tmp/pipe" && ok || bad "colour in a pipe"
"$SMTPDX" explain --format table --color=always "$seed_um" > "$tmp/always"
check "--color=always colours even in a pipe" grep -q "$esc\[" "$tmp/always"

# ---- terminal safety: escape sequences from the input are shown, not obeyed
hostile=$(printf '550 5.1.1 \033]0;owned\007\033[2J\033[31mUser unknown\233 x')
"$SMTPDX" explain --format table --color=never "$hostile" > "$tmp/hostile"
! grep -q "$esc" "$tmp/hostile" && ok || bad "raw ESC from the input reached the table"
! grep -q "$(printf '\007')" "$tmp/hostile" && ok || bad "raw BEL reached the table"
check "the neutralised ESC is visible" grep -qF '\x1b[2J' "$tmp/hostile"
"$SMTPDX" explain --json "$hostile" > "$tmp/hostile.json"
check "JSON of hostile input parses" jq -e '.[0].input | contains("\u001b]0;owned")' "$tmp/hostile.json"

# ---- help and version
"$SMTPDX" --help > "$tmp/help"; rc=$?
check "--help exits 0" [ "$rc" -eq 0 ]
for word in explain bounce log Examples "Exit status" NO_COLOR; do
    check "--help mentions $word" grep -q "$word" "$tmp/help"
done
"$SMTPDX" explain --help > "$tmp/xhelp"; rc=$?
check "explain --help exits 0" [ "$rc" -eq 0 ]
for word in --format --json --ndjson --color "smtpdx explain" "\$ smtpdx explain"; do
    check "explain --help mentions $word" grep -qF -- "$word" "$tmp/xhelp"
done
"$SMTPDX" help explain > "$tmp/xhelp2"
check "smtpdx help explain is explain --help" cmp -s "$tmp/xhelp" "$tmp/xhelp2"
"$SMTPDX" explain -h > "$tmp/xhelp3"
check "explain -h is explain --help" cmp -s "$tmp/xhelp" "$tmp/xhelp3"
"$SMTPDX" --version > "$tmp/ver"
check "--version names the version" grep -qE '^smtpdx [0-9]+\.[0-9]+\.[0-9]+' "$tmp/ver"

# a file or a folder given where a reply was wanted: explained as text,
# with a hint on how to read the replies a file holds; empty input is said
"$SMTPDX" explain "$tmp" > /dev/null 2> "$tmp/dirhint"
check "a folder given as a reply gets a hint" grep -q "is a directory, explained as a reply; to explain the replies in a file, use: smtpdx explain - < FILE" "$tmp/dirhint"
"$SMTPDX" explain - < /dev/null > /dev/null 2> "$tmp/empty"
rc=$?
check "empty standard input: exit 1" test "$rc" -eq 1
check "empty standard input is said" grep -q "no reply to explain" "$tmp/empty"
"$SMTPDX" --help bounce > "$tmp/hb"
"$SMTPDX" help bounce > "$tmp/hb2"
check "--help COMMAND is that command's help" cmp -s "$tmp/hb" "$tmp/hb2"

# a pasted session transcript (swaks): the client's and the tool's lines
# are skipped, the server's replies read and a multi-line one joined
printf '%s\n' '=== Connected to 127.0.0.1.' '<-  220 mx.example.test ESMTP' \
    ' -> EHLO client.test' '<-  250-mx.example.test' '<-  250-8BITMIME' \
    '<-  250 SMTPUTF8' ' -> RCPT TO:<nosuch@example.test>' \
    '<** 550 5.1.1 <nosuch@example.test>: Recipient address rejected: User unknown' \
    > "$tmp/swaks.txt"
"$SMTPDX" explain --format ndjson - < "$tmp/swaks.txt" > "$tmp/swaks.out" 2>/dev/null
check "a transcript gives one result per server reply" test "$(wc -l < "$tmp/swaks.out")" -eq 3
check "a transcript's refusal is explained" grep -q '"reason":"userunknown"' "$tmp/swaks.out"

# a whole mail piped in by mistake gets a hint towards bounce; a list of
# replies does not
printf 'Return-Path: <>\nFrom: MAILER-DAEMON@mx.example.test\nSubject: failure\n\n550 5.1.1 User unknown\n' |
    "$SMTPDX" explain --format ndjson - > /dev/null 2> "$tmp/mailhint"
check "a mail on standard input gets a hint" grep -q "starts like a mail message.*smtpdx bounce -" "$tmp/mailhint"
"$SMTPDX" explain --format ndjson - < "$tmp/swaks.txt" > /dev/null 2> "$tmp/nohint"
check "replies on standard input get no hint" test ! -s "$tmp/nohint"
printf 'From bob@example.org Mon Mar  3 10:00:00 2025\nSubject: x\n\ny\n' |
    "$SMTPDX" explain --format ndjson - > /dev/null 2> "$tmp/mboxhint"
check "an mbox on standard input gets the hint" grep -q "starts like a mail message" "$tmp/mboxhint"
printf 'Return-Path: <>\nSubject: failure\n\nbody\n' > "$tmp/bounce.eml"
"$SMTPDX" explain "$tmp/bounce.eml" > /dev/null 2> "$tmp/filehint"
check "a mail file given as a reply gets a hint towards bounce" grep -q "is a mail file, explained as a reply; to read a bounce mail, use: smtpdx bounce FILE" "$tmp/filehint"

# binary data on standard input is named and not explained line by line
# (exit 3); a reply with a stray NUL byte is still explained
{ printf '\177ELF\002\001\001'; head -c 2048 /dev/zero; printf '\n550 5.1.1 x\n'; } > "$tmp/bin"
"$SMTPDX" explain --ndjson - < "$tmp/bin" > "$tmp/bin.out" 2> "$tmp/bin.err"
is "$?" 3 "binary data on standard input: exit status"
is "$(wc -c < "$tmp/bin.out")" 0 "binary data on standard input: output"
check "binary data on standard input is named" grep -q "standard input: not SMTP replies: binary data" "$tmp/bin.err"
printf '\377\376\065\000\065\000\060\000' | "$SMTPDX" explain - > /dev/null 2> "$tmp/u16.err"
is "$?" 3 "UTF-16 on standard input: exit status"
check "UTF-16 on standard input is named" grep -q "not SMTP replies: UTF-16 text" "$tmp/u16.err"
printf '550 5.1.1 user\000unknown\n' | "$SMTPDX" explain --ndjson - > "$tmp/nul.out" 2>/dev/null
is "$?" 0 "a reply with a NUL byte: exit status"
is "$(jq -r '.flags | join(",")' "$tmp/nul.out")" "bad-bytes" "a reply with a NUL byte: flags"

finish cli_explain
