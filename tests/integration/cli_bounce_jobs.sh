#!/bin/bash
# cli_bounce_jobs.sh - 'smtpdx bounce --jobs N' parses on N threads and
# must write the very bytes a run on one thread writes: the same records
# in the same order on standard output, the same summary and errors on
# standard error, the same exit status. Checked on an mbox of the
# project's bounce cases repeated past many batches (with a message of
# several megabytes, larger than a batch, in the middle), a .gz copy, a
# folder, standard input, a missing file and files that are no mail;
# with a selection and in every format; and on the shared corpus when it
# is there. Bad --jobs values are usage errors.
#
# arg1: the build directory; env SMTPDX: the binary (default arg1/smtpdx).
set -u
build=$(cd "${1:-build}" 2>/dev/null && pwd) || build="${1:-build}"
SMTPDX="${SMTPDX:-$build/smtpdx}"
cd "$(dirname "$0")/../.." || exit 1
[ -x "$SMTPDX" ] || { echo "FAIL: no binary at $SMTPDX"; exit 1; }
command -v gzip >/dev/null || { echo "SKIP: gzip is not installed"; exit 77; }

. tests/lib/check.sh

# One mbox of every case, five times over, a large message after the
# first copy: more than 600 messages, past the 64 of a batch many times.
cases=(tests/data/bounce/*.eml)
one() {
    local f
    for f in "${cases[@]}"; do
        echo "From MAILER-DAEMON Sat Nov 28 10:00:00 2026"
        sed 's/\r$//; s/^\(>*From \)/>\1/' "$f"
        echo
    done
}
{
    one
    # a delivery report whose returned message carries 5 MB of text
    echo "From MAILER-DAEMON Sat Nov 28 10:00:00 2026"
    sed 's/\r$//; s/^\(>*From \)/>\1/' tests/data/bounce/dsn-mixed-actions.eml
    awk 'BEGIN { for (i = 0; i < 110000; i++) print "padding line " i " of a long returned message body" }'
    echo
    one; one; one; one
} > "$tmp/cases.mbox"
gzip -c "$tmp/cases.mbox" > "$tmp/cases.mbox.gz"
n=$(grep -c '^From ' "$tmp/cases.mbox")
[ "$n" -gt 600 ] && ok || bad "the mbox has only $n messages"
[ "$(stat -c %s "$tmp/cases.mbox")" -gt 5000000 ] && ok || bad "no large message in the mbox"

inputs=(tests/data/bounce/dsn-mixed-actions.expect "$tmp/cases.mbox"
        tests/data/bounce "$tmp/missing.mbox" "$tmp/cases.mbox.gz")

# same NAME JOBS OPTIONS...: one thread and JOBS threads write the same
# bytes and exit alike (standard input: the file in $IN, /dev/null if none)
same() {
    local name=$1 jobs=$2; shift 2
    "$SMTPDX" bounce --jobs 1 "$@" < "${IN:-/dev/null}" > "$tmp/$name.1" 2> "$tmp/$name.1.err"
    local rc1=$?
    "$SMTPDX" bounce --jobs "$jobs" "$@" < "${IN:-/dev/null}" > "$tmp/$name.$jobs" 2> "$tmp/$name.$jobs.err"
    local rcj=$?
    is "$rcj" "$rc1" "$name: exit status with --jobs $jobs"
    if cmp -s "$tmp/$name.1" "$tmp/$name.$jobs"; then ok
    else bad "$name: the output with --jobs $jobs differs from one thread's"
        diff "$tmp/$name.1" "$tmp/$name.$jobs" | head -5; fi
    if cmp -s "$tmp/$name.1.err" "$tmp/$name.$jobs.err"; then ok
    else bad "$name: standard error with --jobs $jobs differs from one thread's"
        diff "$tmp/$name.1.err" "$tmp/$name.$jobs.err" | head -5; fi
}

for j in 2 3 8 0; do
    same "ndjson" "$j" --format ndjson "${inputs[@]}"
done
# the run itself is sound: records, the missing file (exit 3), the large
# message's records and the .expect file named as no mail
recs=$(wc -l < "$tmp/ndjson.1")
[ "$recs" -gt 600 ] && ok || bad "only $recs records"
"$SMTPDX" bounce -j 2 --format ndjson "${inputs[@]}" > /dev/null 2>&1
is "$?" 3 "a missing input among others: exit 3"
grep -q "missing.mbox: No such file or directory" "$tmp/ndjson.1.err" && ok ||
    bad "the missing input is not named: $(cat "$tmp/ndjson.1.err")"
grep -q "dsn-mixed-actions.expect: not a mail message" "$tmp/ndjson.1.err" && ok ||
    bad "the file that is no mail is not named"

same "sisimai" 2 --format sisimai "${inputs[@]}"
same "json" 3 --format json "${inputs[@]}"
same "csv" 2 --format csv "${inputs[@]}"
same "table" 2 --format table --color=never "${inputs[@]}"
same "summary" 2 --summary "${inputs[@]}"
same "hard" 2 --hard --ndjson "${inputs[@]}"
same "reason" 3 --reason userunknown,blocked --ndjson "${inputs[@]}"
IN=$tmp/cases.mbox same "stdin" 2 --ndjson -
[ "$(wc -l < "$tmp/stdin.2")" -gt 600 ] && ok || bad "standard input: too few records"
same "quiet" 2 -q --ndjson "${inputs[@]}"

# the shared corpus, when it is beside the project
shared=${SMTPDX_SHARED:-../shared}
if [ -d "$shared/corpus/maildir/bsd" ]; then
    same "corpus" 2 --ndjson "$shared/corpus/maildir" "$shared/corpus/mailbox"
else
    echo "skip: $shared/corpus is absent, the corpus is not compared"
fi

# bad values: a usage error, exit 2, with a word on what --jobs takes
for v in -1 x 2x 257 ''; do
    "$SMTPDX" bounce --jobs "$v" tests/data/bounce > /dev/null 2> "$tmp/bad.err"
    is "$?" 2 "--jobs '$v': exit status"
    grep -q -- "--jobs takes a number" "$tmp/bad.err" && ok ||
        bad "--jobs '$v': $(cat "$tmp/bad.err")"
done
"$SMTPDX" bounce -j > /dev/null 2>&1
is "$?" 2 "-j without a value: exit status"

finish cli_bounce_jobs
