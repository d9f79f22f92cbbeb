#!/bin/bash
# test.sh - installs what the tests need (only what is missing), then
# builds and runs the whole suite twice: a normal build in build/ and an
# AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/.
# Exits non-zero when anything fails. The last line is ctest's summary
# line ("N% tests passed, N tests failed out of N") of the run that failed,
# or of the sanitizer run when both passed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
jobs="${JOBS:-$(nproc)}"

bash scripts/deps.sh --test || exit 1

cmake -S . -B build || exit 1
cmake --build build -j"$jobs" || exit 1
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSMTPDX_SANITIZE=ON || exit 1
cmake --build build-asan -j"$jobs" || exit 1

# The 1 GB pathological inputs run once, in the optimised build.
(cd build && SMTPDX_BIG_TESTS=1 ctest --output-on-failure) 2>&1 | tee build/ctest.log
plain=${PIPESTATUS[0]}
(cd build-asan && ctest --output-on-failure) 2>&1 | tee build-asan/ctest.log
asan=${PIPESTATUS[0]}

summary() { grep -E '^[0-9]+% tests passed' "$1" | tail -n 1; }
echo
if [ "$plain" -ne 0 ]; then
    echo "build/: tests failed (see above)"
    summary build/ctest.log
    exit 1
fi
[ "$asan" -ne 0 ] && echo "build-asan/: tests failed under the sanitizers (see above)"
summary build-asan/ctest.log
[ "$asan" -eq 0 ]
