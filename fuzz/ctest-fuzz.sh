#!/usr/bin/env bash
# ctest-fuzz.sh - the test suite's bounded fuzzing run (ctest test
# fuzz_bounded, label "fuzz"): every harness fuzzes in turn for a fixed
# time, through fuzz/run-fuzz.sh, in a libFuzzer build of its own.
#
#   fuzz/ctest-fuzz.sh BUILD_DIR
#
# Environment:
#   SMTPDX_FUZZ_SECONDS  seconds per harness (default 60; 0 skips the test)
#   SMTPDX_FUZZ_BUILD    the libFuzzer build folder (default
#                        BUILD_DIR/fuzz-libfuzzer)
# Needs clang and its libFuzzer runtime (Debian: clang, libclang-rt-14-dev);
# without them the test says so and exits 77 (ctest: skipped). Exit 0 when
# no harness found anything, 1 on a finding (the input is kept under
# fuzz/out/<harness>/ and named above), 2 when the build failed.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:?usage: ctest-fuzz.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
SECS=${SMTPDX_FUZZ_SECONDS:-60}

skip() { echo "SKIP: $*"; exit 77; }

case $SECS in
'' | *[!0-9]*) echo "ctest-fuzz: SMTPDX_FUZZ_SECONDS must be a number, not '$SECS'" >&2; exit 2 ;;
0) skip "SMTPDX_FUZZ_SECONDS=0" ;;
esac
command -v clang >/dev/null || skip "clang is not installed (Debian: clang)"

# Is libFuzzer's runtime there? Linking one empty harness tells.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
    '{ (void)d; (void)n; return 0; }' >"$TMP/probe.c"
clang -fsanitize=fuzzer,address,undefined "$TMP/probe.c" -o "$TMP/probe" \
    >"$TMP/probe.log" 2>&1 ||
    skip "clang cannot link a libFuzzer harness (Debian: libclang-rt-14-dev): $(head -c 300 "$TMP/probe.log")"

export FUZZ_BUILD=${SMTPDX_FUZZ_BUILD:-$BUILD/fuzz-libfuzzer}
echo "ctest-fuzz: every harness for ${SECS}s, libFuzzer build in $FUZZ_BUILD"
# run-fuzz.sh prints one result line per harness on stdout and its
# progress and findings on stderr; ctest shows both.
exec bash "$SRC/fuzz/run-fuzz.sh" "$SECS"
