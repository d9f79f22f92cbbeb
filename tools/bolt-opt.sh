#!/bin/sh
# bolt-opt.sh - build-time step after the link: lay out the command's
# machine code again by where the project's own test inputs take it
# (LLVM's BOLT, a post-link optimiser; CMakeLists.txt).
#
#   sh tools/bolt-opt.sh LLVM_BOLT MERGE_FDATA SMTPDX SOURCE_DIR WORK_DIR
#
# Profile-guided optimisation already arranges the code inside each
# function; BOLT works on the linked program as a whole, so it also puts
# the hot blocks of every function side by side in a few pages and the
# cold ones far away, across files and across what link-time optimisation
# inlined. Its steps: a copy of SMTPDX with counters (-instrument) runs the
# same workload as the profile of the compiler (tools/pgo-train.sh), the
# counts of its runs are merged, and BOLT rewrites SMTPDX with them.
#
# The rewritten command replaces SMTPDX only if it gives the same output,
# byte for byte, as the one the linker made on the project's bounce cases,
# explain cases and logs. If any step fails the command stays as linked
# and this says why: the optimisation is worth some 6% of CPU time, not a
# build that fails on a machine whose BOLT is older or newer than ours.
set -u
BOLT=$1
MERGE=$2
BIN=$3
SRC=$4
WORK=$5
DATA=$SRC/tests/data

keep() {
    echo "bolt-opt: $*; $BIN stays as linked" >&2
    exit 0
}

rm -rf "$WORK"
mkdir -p "$WORK/counts" || keep "cannot make $WORK"
"$BOLT" "$BIN" -o "$WORK/smtpdx.inst" -instrument \
    -instrumentation-file="$WORK/counts/run" \
    -instrumentation-file-append-pid > "$WORK/instrument.log" 2>&1 ||
    keep "the copy with counters was not made (see $WORK/instrument.log)"
sh "$SRC/tools/pgo-train.sh" "$WORK/smtpdx.inst" "$SRC" "$WORK/train" \
    "$WORK/train/stamp" || keep "the copy with counters failed on the test inputs"
set -- "$WORK"/counts/*.fdata
[ -f "$1" ] || keep "the runs wrote no counts"
"$MERGE" "$@" -o "$WORK/all.fdata" > "$WORK/merge.log" 2>&1 ||
    keep "the counts could not be merged (see $WORK/merge.log)"
# ext-tsp orders a function's blocks, hfsort+ the functions; the cold
# parts of functions are split off; identical functions are folded.
"$BOLT" "$BIN" -o "$WORK/smtpdx" -data="$WORK/all.fdata" \
    -reorder-blocks=ext-tsp -reorder-functions=hfsort+ \
    -split-functions -split-all-cold -split-eh -icf=1 \
    -use-gnu-stack -update-debug-sections > "$WORK/optimise.log" 2>&1 ||
    keep "the rewrite failed (see $WORK/optimise.log)"

# The same answers, or no swap. Exit status 1 ("nothing recognised") is
# an answer too; both commands must give the same one.
IN=/dev/null
same() {
    "$BIN" "$@" < "$IN" > "$WORK/want" 2>&1
    want=$?
    "$WORK/smtpdx" "$@" < "$IN" > "$WORK/got" 2>&1
    got=$?
    [ "$want" = "$got" ] && cmp -s "$WORK/want" "$WORK/got" ||
        keep "the rewritten command answers 'smtpdx $*' differently"
}
for f in ndjson json sisimai csv table; do
    same bounce --format "$f" "$DATA/bounce"
done
if [ -f "$DATA/explain/cases.tsv" ]; then
    grep -v '^#' "$DATA/explain/cases.tsv" | cut -f1 > "$WORK/replies.txt"
    IN=$WORK/replies.txt
    for f in ndjson csv table; do
        same explain --format "$f" -
    done
    IN=/dev/null
fi
for log in "$DATA"/log/*/input.log; do
    if [ -f "$log" ]; then
        for f in ndjson csv table; do
            same log --format "$f" "$log"
        done
    fi
done
same --help

cp "$WORK/smtpdx" "$BIN.bolt" && mv -f "$BIN.bolt" "$BIN" ||
    keep "could not put the rewritten command in place"
rm -rf "$WORK/counts" "$WORK/train" "$WORK/smtpdx.inst" "$WORK/smtpdx" "$WORK/want" "$WORK/got"
echo "bolt-opt: $BIN laid out by its profile" >&2
