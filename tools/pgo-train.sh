#!/bin/sh
# pgo-train.sh - build-time step: run the instrumented command over the
# project's own test inputs, so that the compiler lays out the real one
# for the paths mail takes (profile-guided optimisation, CMakeLists.txt).
#
#   sh tools/pgo-train.sh SMTPDX_INSTRUMENTED SOURCE_DIR PROFILE_DIR STAMP
#
# The workload is what a user runs most: bounce mails one file at a time
# and in one mbox (the mbox is written here, in PROFILE_DIR, from the
# bounce cases), in each output format; replies through explain; MTA logs
# through log. Only tests/data is read: a build has nothing else. Old
# profiles are removed first, because each run adds to what it finds.
# Outputs go to /dev/null: the tests check them, this only exercises the
# code. A failing run fails the build (an instrumented command that
# crashes on its own test data is a bug to see, not to skip).
set -eu
BIN=$1
SRC=$2
DIR=$3
STAMP=$4
DATA=$SRC/tests/data

mkdir -p "$DIR"
find "$DIR" -name '*.gcda' -exec rm -f {} +
rm -f "$STAMP"
if [ ! -d "$DATA/bounce" ]; then
    # a source tree without its tests: no counts, and the command is
    # compiled as without profile-guided optimisation
    echo "pgo-train: $DATA/bounce not found; the command is built without a profile" >&2
    touch "$STAMP"
    exit 0
fi

# exit 1 is "nothing recognised", which some inputs rightly give
run() {
    rc=0
    "$@" > /dev/null 2>&1 || rc=$?
    if [ "$rc" -gt 1 ]; then
        echo "pgo-train: '$*' exited $rc" >&2
        exit 1
    fi
}

MBOX=$DIR/train.mbox
LC_ALL=C awk '
    FNR == 1 {
        if (NR > 1) print ""
        print "From MAILER-DAEMON Thu Jan  1 00:00:00 2026"
    }
    { sub(/\r$/, ""); if ($0 ~ /^>*From /) $0 = ">" $0; print }
    ' "$DATA"/bounce/*.eml > "$MBOX"

run "$BIN" bounce --format ndjson "$DATA/bounce"
for i in 1 2 3 4; do
    run "$BIN" bounce --format ndjson "$MBOX"
done
for f in json sisimai table; do
    run "$BIN" bounce --format "$f" "$MBOX"
done

if [ -f "$DATA/explain/cases.tsv" ]; then
    grep -v '^#' "$DATA/explain/cases.tsv" | cut -f1 > "$DIR/replies.txt"
    run "$BIN" explain --format ndjson - < "$DIR/replies.txt"
    run "$BIN" explain --format table - < "$DIR/replies.txt"
fi

for log in "$DATA"/log/*/input.log; do
    if [ -f "$log" ]; then
        run "$BIN" log --format ndjson "$log"
    fi
done

rm -f "$MBOX" "$DIR/replies.txt"
touch "$STAMP"
