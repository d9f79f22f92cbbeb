#!/usr/bin/env bash
# limits_patho.sh - pathological inputs, made by fuzz/gen-patho.py and
# piped into smtpdx (nothing stored in the tree), each of which must end
# in bounded time and memory with a clean exit and valid NDJSON:
#   a 15 MB bounce, 100,000 recipients, 10,000 nested multiparts, 100,000
#   sibling parts, 100,000 header fields, a 10 MB header field, 100,000
#   encoded words, a 64 MB line without a newline (log and bounce), a
#   Postfix log opening 300,000 messages (queue table bound), gzip data
#   that inflates to 256 MB (bounce and log), bzip2 data that would
#   inflate to 1 GB from 785 bytes (refused as a bomb, bounce and log), a 1 MB reply line, a 1 MB
#   Diagnostic-Code, a 65 MB mbox "From " line, a bounce returning an
#   80 MB copy (read in part, its record kept), and a 64 MB mbox of small
#   bounces (every message must still give its record).
# Bounds: 60 s and 200 MB per run (x4 under ASan). The 1 GB cases are in
# limits_big.sh. Figures go to stdout (see docs/limits.md).
set -u
SRC=$PWD
BUILD=${1:?usage: limits_patho.sh BUILD_DIR}
SMTPDX=${SMTPDX:-$BUILD/smtpdx}
[ -x "$SMTPDX" ] || { echo "SKIP: no smtpdx binary at $SMTPDX"; exit 77; }
[ -x /usr/bin/time ] || { echo "SKIP: /usr/bin/time (Debian package time) is missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. "$SRC/fuzz/limits-lib.sh"

B=(bounce --format ndjson -)
measure big-bounce 60 200 big-bounce 15M -- "${B[@]}"
[ "$M_RECORDS" -ge 1 ] || lfail "big-bounce: the recipient was lost"

measure recipients-1500 60 200 recipients 1500 -- "${B[@]}"
[ "$M_RECORDS" -eq 1000 ] ||
    lfail "recipients-1500: $M_RECORDS records, want the first 1000 (SX_BOUNCE_MAX_RCPTS)"
measure recipients 60 200 recipients 100000 -- "${B[@]}"
[ "$M_RECORDS" -le 1000 ] || lfail "recipients: $M_RECORDS records, want at most 1000"
# The 100,000 blocks make a 15 MB delivery-status part, past its 256 KiB
# decoding limit; its start should still give the first 1000 recipients.
[ "$M_RECORDS" -ge 1 ] ||
    known "recipients: a delivery-status part past SX_BOUNCE_MAX_DSN gives no record (the decoder drops the part instead of keeping its start)"

measure nested 60 200 nested 10000 -- "${B[@]}"
# (the text at depth 10,000 is below SX_MIME_MAX_DEPTH: not read, by design)
measure parts 60 200 parts 100000 -- "${B[@]}"
measure headers 60 200 headers 100000 -- "${B[@]}"
[ "$M_RECORDS" -ge 1 ] || lfail "headers: the recipient was lost behind 100,000 fields"
measure long-header 60 200 long-header 10M -- "${B[@]}"
# (the MIME fields after a 10 MB field are past the 1 MiB header block:
# no bounce is seen, by design; the bound is what is tested)
measure encoded-words 60 200 encoded-words 100000 -- "${B[@]}"
[ "$M_RECORDS" -ge 1 ] || lfail "encoded-words: the recipient was lost"

measure long-line-log 60 200 long-line 64M -- log --format ndjson -
[ "$M_RECORDS" -eq 0 ] || lfail "long-line-log: records from a line of 'a's"
measure long-line-bounce 60 200 long-line 64M -- "${B[@]}"

# gzip data that inflates to 256 MB: read through, bounded like plain data
measure gz-bomb-bounce 60 200 gz-bomb 256M -- "${B[@]}"
measure gz-bomb-log 60 200 gz-bomb 256M -- log --format ndjson -

# bzip2 data that would inflate to 1 GB from 785 bytes: refused as a
# bomb once past 1 MiB, in words, exit 3 (an input that could not be read)
for c in bounce log; do
    measure bz2-bomb-$c 60 200 bz2-bomb 1G -- $c --format ndjson -
    [ "$M_RC" -eq 3 ] && grep -q "the bzip2 data inflates to more than 10,000 times its size" "$TMP/bz2-bomb-$c.err" ||
        lfail "bz2-bomb-$c: exit $M_RC, want 3 and the bomb named: $(head -3 "$TMP/bz2-bomb-$c.err")"
done

measure queue-ids 60 200 queue-ids 300000 -- log --format ndjson --only all -
measure log-lines 60 200 log-lines 32M -- log --format ndjson -
[ "$M_RECORDS" -gt 0 ] || lfail "log-lines: no records"

# A 1 MB reply line: cut to SMTPDX_REPLY_TEXT_MAX and flagged "truncated".
measure long-reply 60 200 long-reply 1M -- explain --format ndjson
python3 - "$TMP/long-reply.out" <<'PY' || lfail "long-reply: not one record cut to 64 KiB and flagged truncated"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(recs) == 1 and recs[0]["code"] == 550, recs
assert "truncated" in recs[0].get("flags", []), recs[0].get("flags")
assert 0 < len(recs[0]["text"].encode()) <= 65536
PY
# A 1 MB Diagnostic-Code: the record keeps its first SX_BOUNCE_MAX_DIAG bytes.
measure long-diag 60 200 long-diag 1M -- "${B[@]}"
python3 - "$TMP/long-diag.out" <<'PY' || lfail "long-diag: not one record with the diagnostic cut to 16 KiB"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(recs) == 1 and recs[0]["recipient"] == "bob@example.net", recs
assert 0 < len(recs[0]["diagnosticcode"].encode()) <= 16384
PY
# An mbox "From " line past SMTPDX_MSG_MAX: that input is lost, said so.
measure long-from 60 200 long-from 65M -- "${B[@]}"
[ "$M_RC" -eq 1 ] && [ "$M_RECORDS" -eq 0 ] && grep -q 'unparseable' "$TMP/long-from.err" ||
    lfail "long-from: exit $M_RC, $M_RECORDS records, want exit 1, none, and a message"

# A bounce returning an 80 MB copy, in an mbox before another bounce: its
# first 64 MiB are read (the notice and report lead), said so; both give
# their records, the first one marked as read in part.
measure huge-returned 60 200 huge-returned 80M -- "${B[@]}"
[ "$M_RC" -eq 0 ] && [ "$M_RECORDS" -eq 2 ] &&
    grep 'user1@example.net' "$TMP/huge-returned.out" |
        grep -q '"truncated":\["message"\]' &&
    grep 'user2@example.net' "$TMP/huge-returned.out" | grep -vq '"truncated"' &&
    grep -q -- '-:1: larger than 64 MiB: only its first 64 MiB were read' "$TMP/huge-returned.err" ||
    lfail "huge-returned: exit $M_RC, $M_RECORDS records, want 0, both recipients and the notice"

measure tiny-mbox 60 200 tiny-mbox 64M -- "${B[@]}"
msgs=$(( (64 << 20) / $(python3 "$GEN" tiny-msg | wc -c) ))
[ "$M_RECORDS" -eq "$msgs" ] || lfail "tiny-mbox: $M_RECORDS records for $msgs messages"

[ $FAILURES -eq 0 ] || { echo "limits_patho: $FAILURES failures" >&2; exit 1; }
echo "limits_patho: all passed"
