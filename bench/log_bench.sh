#!/bin/bash
# log_bench.sh - how fast 'smtpdx log' reads a large Postfix log, next to
# pflogsumm on the same file, in one run.
#
#   bash bench/log_bench.sh [SIZE_MB] [BUILD_DIR] [--write]
#
# SIZE_MB (default 1024) of log are written by bench/gen_postfix_log.c
# (kept in $LOG_BENCH_DIR, default /tmp/smtpdx-log-bench, and reused when
# the size matches), then both tools read it pinned to one CPU core with
# /usr/bin/time -v: 'smtpdx log --format ndjson FILE >/dev/null' and
# 'pflogsumm FILE >/dev/null'. Printed: MB/s (10^6 bytes) and lines/s by
# CPU time (user + system: the work done on the one core) and by wall
# time (which on a shared machine also counts waiting for the core), the
# ratio, and the peak resident memory. Floors checked: smtpdx >= 200 MB/s, >= 20x pflogsumm, < 100 MB
# peak. With --write the figures replace the log section of
# bench/README.md (LOG_BENCH_REUSE=1 reports the last run's measurements
# again instead of measuring). Exit 1 when a floor is missed.
set -euo pipefail
SIZE=${1:-1024}
BUILD=${2:-build}
WRITE=${3:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
SMTPDX=${SMTPDX:-$BUILD/smtpdx}
DIR=${LOG_BENCH_DIR:-/tmp/smtpdx-log-bench}
[ -x "$SMTPDX" ] || { echo "no smtpdx at $SMTPDX (build first)" >&2; exit 2; }
command -v pflogsumm >/dev/null || { echo "pflogsumm is not installed (bash scripts/deps.sh --test)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (bash scripts/deps.sh --test)" >&2; exit 2; }
mkdir -p "$DIR"
LOG=$DIR/maillog-$SIZE.log
GEN=$DIR/gen_postfix_log
cc -O2 -o "$GEN" "$ROOT/bench/gen_postfix_log.c"
if [ ! -s "$LOG" ]; then
    echo "writing $SIZE MB of Postfix log to $LOG ..."
    "$GEN" "$SIZE" > "$LOG.tmp" && mv "$LOG.tmp" "$LOG"
fi
BYTES=$(stat -c %s "$LOG")
LINES=$(wc -l < "$LOG")
cat "$LOG" > /dev/null   # both tools read from the page cache

# run NAME CMD...: wall seconds, cpu seconds and peak KiB into NAME_*
run() {
    local name=$1; shift
    local t=$DIR/$name.time
    # LOG_BENCH_REUSE=1: report the last run's measurements again
    if [ -z "${LOG_BENCH_REUSE:-}" ] || [ ! -s "$t" ]; then
        taskset -c 0 /usr/bin/time -v "$@" > /dev/null 2> "$t" || true
    fi
    local wall cpu rss
    read -r wall cpu rss < <(bench_time_v "$t")
    printf -v "${name}_wall" '%s' "$wall"
    printf -v "${name}_cpu" '%s' "$cpu"
    printf -v "${name}_rss" '%s' "$rss"
}

echo "smtpdx log --format ndjson ..."
run smtpdx "$SMTPDX" log --format ndjson "$LOG"
RECORDS=$("$SMTPDX" log --format ndjson "$LOG" | wc -l)
echo "pflogsumm ..."
run pflog pflogsumm "$LOG"

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
REUSED_NOTE=
[ -n "${LOG_BENCH_REUSE:-}" ] && REUSED_NOTE="
Measurements taken by earlier runs of this script on the same file were
reused (LOG_BENCH_REUSE=1); the load differed between them, which skews the
wall-time ratio more than the CPU-time one."
report=$(awk -v b="$BYTES" -v l="$LINES" -v rec="$RECORDS" \
    -v sw="$smtpdx_wall" -v sc="$smtpdx_cpu" -v sr="$smtpdx_rss" \
    -v pw="$pflog_wall" -v pc="$pflog_cpu" -v pr="$pflog_rss" \
    -v load="$LOAD" 'BEGIN {
    # The machine is shared: wall time counts the waits for a turn on the
    # core, CPU time (user + system) only the work. Floors are judged on
    # CPU time; both are shown.
    smb = b / 1e6 / sc; pmb = b / 1e6 / pc
    printf "| input | %d MB generated Postfix log, %d lines, %d failure records; load average %s |\n", b / 1e6, l, rec, load
    printf "|---|---|\n"
    printf "| smtpdx log --format ndjson | %.1f s CPU, %.1f s wall: **%.0f MB/s**, %.2f M lines/s (by wall: %.0f MB/s); peak %.1f MB |\n", sc, sw, smb, l / sc / 1e6, b / 1e6 / sw, sr / 1024
    printf "| pflogsumm | %.1f s CPU, %.1f s wall: %.1f MB/s, %.3f M lines/s (by wall: %.1f MB/s); peak %.1f MB |\n", pc, pw, pmb, l / pc / 1e6, b / 1e6 / pw, pr / 1024
    printf "| ratio | **%.0fx** pflogsumm by CPU time, %.0fx by wall time |\n", pc / sc, pw / sw
    printf "| floors | >= 200 MB/s: %s; >= 20x pflogsumm: %s; < 100 MB peak: %s |\n", \
        (smb >= 200 ? "met" : "MISSED"), (pc / sc >= 20 ? "met" : "MISSED"), \
        (sr / 1024 < 100 ? "met" : "MISSED")
    }')
echo
echo "$report"
floors_ok=1
echo "$report" | grep -q MISSED && floors_ok=0

if [ "$WRITE" = "--write" ]; then
    section=$(printf '%s\n' "<!-- log-bench:begin -->" \
        "## smtpdx log" "" \
        "\`bash bench/log_bench.sh $SIZE BUILD --write\` on $(date -u +%Y-%m-%d), one core" \
        "(taskset -c 0) of a $(nproc)-core $(uname -m) machine shared with other work" \
        "(load average $LOAD), so MB/s is given by CPU time and by wall time;" \
        "both tools reading the same file from the page cache, output to /dev/null." \
        "The log comes from bench/gen_postfix_log.c: per message the smtpd, cleanup," \
        "qmgr and smtp lines a busy Postfix writes; 78% sent, 12% deferred, 5% bounced," \
        "6% of sessions rejected at RCPT, with reply texts shaped like Gmail's," \
        "Outlook's, Yahoo's, postgrey's and Spamhaus'." "" \
        "$report" "${REUSED_NOTE:-}" "<!-- log-bench:end -->")
    bench_write_section log-bench "$section"
fi
[ $floors_ok -eq 1 ]
