#!/bin/bash
# bounce_bench.sh - how fast 'smtpdx bounce' reads a large mbox of bounce
# mails, next to Sisimai on the same mbox, in one run.
#
#   bash bench/bounce_bench.sh [COPIES] [BUILD_DIR] [--write]
#
# The bounce messages of the corpus (../shared/corpus/maildir/bsd and
# maildir/err: one bounce per file, LF line ends) are written into one mbox
# ("From " line added where a file has none, CRLF turned into LF, body lines
# starting with "From " quoted as ">From "), and that mbox is repeated
# COPIES times (default 100) in a temporary directory removed at the end;
# nothing is copied into the source tree. Both tools then read it pinned to
# one CPU core by bench/runstat.c (compiled here: it reads the CPU time to
# the microsecond, where /usr/bin/time rounds to the hundredth of a
# second), output to /dev/null:
#   smtpdx bounce --format ndjson MBOX
#   perl bench/sisimai_driver.pl MBOX   (Sisimai->make, one JSON line a record)
# Sisimai is far slower, so it reads the first SISIMAI_COPIES copies only
# (default 10; the same messages, fewer times); messages per second are
# computed for each on its own input and the table says which was which.
# Each tool runs RUNS times (default 5), the two taking turns, and the run
# with the least CPU time counts: on a shared machine other work slows a
# run down, never speeds it up. Printed: messages/s and MB/s by CPU time (user + system: the work
# done on the one core) and by wall time (which also counts waiting for the
# core), the ratio, peak resident memory and the load average before and
# after. Floor checked: smtpdx >= 100x Sisimai's messages/s by CPU time.
# Beside the floor, and not counted in it, smtpdx also reads the mbox with
# --jobs 0 (a thread per core) on every core, its best wall time kept:
# what a machine of this size gets from it.
# With --write the figures replace the bounce section of bench/README.md.
# Exit 1 when the floor is missed, 2 when a tool is missing, 77 (skipped)
# when the corpus is absent.
set -euo pipefail
COPIES=${1:-100}
BUILD=${2:-build}
WRITE=${3:-}
SCOPIES=${SISIMAI_COPIES:-10}
RUNS=${RUNS:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
SHARED=${SMTPDX_SHARED:-$ROOT/../shared}
CORPUS=$SHARED/corpus/maildir
SMTPDX=${SMTPDX:-$BUILD/smtpdx}
if [ ! -d "$CORPUS/bsd" ]; then
    echo "bounce_bench: $CORPUS/bsd not found (the shared corpus is absent); skipped" >&2
    exit 77
fi
[ -x "$SMTPDX" ] || { echo "no smtpdx at $SMTPDX (build first)" >&2; exit 2; }
perl -MSisimai -e 1 2>/dev/null ||
    { echo "Sisimai is not installed (bash scripts/deps.sh --test)" >&2; exit 2; }
command -v cc >/dev/null || { echo "no C compiler (bash scripts/deps.sh --test)" >&2; exit 2; }
[ "$SCOPIES" -le "$COPIES" ] || SCOPIES=$COPIES

DIR=$(mktemp -d "${TMPDIR:-/tmp}/smtpdx-bounce-bench.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
RUNSTAT=$DIR/runstat
cc -O2 -o "$RUNSTAT" "$ROOT/bench/runstat.c"

# One mbox of every bounce message, then COPIES and SCOPIES of it.
(cd "$CORPUS" && LC_ALL=C awk '
    FNR == 1 {
        if (NR > 1) print ""
        sub(/\r$/, "")
        if ($0 ~ /^From /) { print; next }
        print "From MAILER-DAEMON Thu Jan  1 00:00:00 2026"
    }
    { sub(/\r$/, ""); if ($0 ~ /^>*From /) $0 = ">" $0; print }
    ' bsd/* err/*) > "$DIR/one.mbox"
PER_COPY=$(grep -c '^From ' "$DIR/one.mbox")
repeat() { local i; for ((i = 0; i < $1; i++)); do cat "$DIR/one.mbox"; done; }
repeat "$COPIES" > "$DIR/big.mbox"
repeat "$SCOPIES" > "$DIR/small.mbox"
MSGS=$((PER_COPY * COPIES)); SMSGS=$((PER_COPY * SCOPIES))
BYTES=$(stat -c %s "$DIR/big.mbox"); SBYTES=$(stat -c %s "$DIR/small.mbox")
cat "$DIR/big.mbox" > /dev/null   # both tools read from the page cache

# run NAME CMD...: one run on core 0 (on every core when CORE=all); keeps
# the run with the least CPU time (the least wall time when BY=wall): its
# CPU and wall time, the largest peak KiB, and the tool's own last stderr
# line in NAME_*
run() {
    local name=$1; shift
    local t=$DIR/$name.err wall cpu rss best max_rss key
    if ! "$RUNSTAT" "${CORE:-0}" "$DIR/$name.stat" "$@" > /dev/null 2> "$t"; then
        echo "bounce_bench: '$*' failed:" >&2; tail -5 "$t" >&2; exit 2
    fi
    read -r wall cpu rss < "$DIR/$name.stat"
    best=${name}_${BY:-cpu}; max_rss=${name}_rss
    key=$cpu; [ "${BY:-cpu}" = wall ] && key=$wall
    if [ -z "${!best}" ] || awk -v a="$key" -v b="${!best}" 'BEGIN {exit !(a < b)}'; then
        printf -v "${name}_cpu" '%s' "$cpu"
        printf -v "${name}_wall" '%s' "$wall"
    fi
    [ "$rss" -gt "${!max_rss:-0}" ] && printf -v "${name}_rss" '%s' "$rss"
    printf -v "${name}_said" '%s' "$(tail -1 "$t")"
}

# filled in by run()
smtpdx_wall='' smtpdx_cpu='' smtpdx_rss='' smtpdx_said=''
jobs_wall='' jobs_cpu='' jobs_rss='' jobs_said=''
sisimai_wall='' sisimai_cpu='' sisimai_rss='' sisimai_said=''
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# The two tools take turns, so that a change in the machine's pace during
# the run (other work starting or ending) weighs on both alike.
for ((i = 1; i <= RUNS; i++)); do
    echo "run $i of $RUNS: smtpdx bounce --format ndjson on $MSGS messages, then Sisimai on $SMSGS ..."
    run smtpdx "$SMTPDX" bounce --format ndjson "$DIR/big.mbox"
    run sisimai perl "$ROOT/bench/sisimai_driver.pl" "$DIR/small.mbox"
    # beside the floor, not part of it: one thread per core, on every core
    CORE=all BY=wall run jobs "$SMTPDX" bounce --jobs 0 --format ndjson "$DIR/big.mbox"
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
echo "  $smtpdx_said"
echo "  $sisimai_said"
READ=$(echo "$smtpdx_said" | sed -n 's/.*: \([0-9]*\) messages read.*/\1/p')
[ "$READ" = "$MSGS" ] || echo "bounce_bench: smtpdx read ${READ:-?} messages, the mbox has $MSGS" >&2
SREC=$(echo "$smtpdx_said" | sed -n 's/.* \([0-9]*\) records.*/\1/p')
PREC=$(echo "$sisimai_said" | sed -n 's/.*: \([0-9]*\) records.*/\1/p')
SVER=$(perl -MSisimai -e 'print Sisimai->version')

report=$(awk -v m="$MSGS" -v b="$BYTES" -v sm="$SMSGS" -v sb="$SBYTES" \
    -v c="$COPIES" -v scp="$SCOPIES" -v per="$PER_COPY" -v runs="$RUNS" \
    -v srec="$SREC" -v prec="$PREC" -v sver="$SVER" \
    -v sw="$smtpdx_wall" -v sc="$smtpdx_cpu" -v sr="$smtpdx_rss" \
    -v pw="$sisimai_wall" -v pc="$sisimai_cpu" -v pr="$sisimai_rss" \
    -v jw="$jobs_wall" -v jc="$jobs_cpu" -v jr="$jobs_rss" -v nc="$(nproc)" \
    -v l0="$LOAD0" -v l1="$LOAD1" 'BEGIN {
    # Floors are judged on CPU time (the work); wall time is shown beside it.
    s = m / sc; p = sm / pc; sW = m / sw; pW = sm / pw
    printf "| input | %d copies of the corpus'\''s %d bounce messages in one mbox: %d messages, %.0f MB; load average %s before, %s after |\n", c, per, m, b / 1e6, l0, l1
    printf "|---|---|\n"
    printf "| smtpdx bounce --format ndjson | %d messages, %d records: %.3f s CPU, %.3f s wall: **%.0f msg/s**, %.0f MB/s (by wall: %.0f msg/s); peak %.1f MB |\n", m, srec, sc, sw, s, b / 1e6 / sc, sW, sr / 1024
    printf "| Sisimai %s, Sisimai->make | %d copies, %d messages, %d records: %.3f s CPU, %.3f s wall: %.0f msg/s, %.2f MB/s (by wall: %.0f msg/s); peak %.1f MB |\n", sver, scp, sm, prec, pc, pw, p, sb / 1e6 / pc, pW, pr / 1024
    printf "| ratio | **%.0fx** Sisimai'\''s messages/s by CPU time, %.0fx by wall time (best of %d runs each) |\n", s / p, sW / pW, runs
    printf "| floor | >= 100x Sisimai: %s |\n", (s / p >= 100 ? "met" : "MISSED")
    printf "| beside the floor: smtpdx bounce --jobs 0, every core (%d) | %.3f s wall, %.3f s CPU: **%.0f msg/s by wall time**, %.1fx its one-core run by wall time, %.0fx Sisimai'\''s one-core rate; peak %.1f MB |\n", nc, jw, jc, m / jw, sw / jw, (m / jw) / pW, jr / 1024
    }')
echo
echo "$report"
floor_ok=1
echo "$report" | grep -q MISSED && floor_ok=0

if [ "$WRITE" = "--write" ]; then
    section=$(printf '%s\n' "<!-- bounce-bench:begin -->" \
        "## smtpdx bounce" "" \
        "\`bash bench/bounce_bench.sh $COPIES BUILD --write\` on $(date -u +%Y-%m-%d), one core" \
        "(core 0, pinned by bench/runstat.c, which reads CPU time to the microsecond)" \
        "of a $(nproc)-core $(uname -m) machine shared with other work," \
        "so messages/s are given by CPU time and by wall time; each tool ran $RUNS" \
        "times, the two taking turns, and its run with the least CPU time counts. The mbox holds the" \
        "bounce messages of the corpus (maildir/bsd and maildir/err, mean" \
        "$(awk -v b="$(stat -c %s "$DIR/one.mbox")" -v n="$PER_COPY" 'BEGIN {printf "%.1f", b / n / 1000}') KB; CRLF turned into LF) $COPIES times over; Sisimai read its" \
        "first $SCOPIES copies, the same messages fewer times, through" \
        "bench/sisimai_driver.pl (\`Sisimai->make\` on the mbox, each record printed" \
        "as one line of JSON). Output to /dev/null. Sisimai's peak memory grows" \
        "with its input: \`make\` returns the records of the whole mbox at once." "" \
        "$report" "<!-- bounce-bench:end -->")
    bench_write_section bounce-bench "$section"
fi
[ $floor_ok -eq 1 ]
