#!/bin/sh
# run-explain.sh - build bench/explain_bench.c against an already built
# static libsmtpdx and run it: explanations per second on one core.
#
# Usage: bench/run-explain.sh [BUILD_DIR [SECONDS]]
#   BUILD_DIR  the CMake build folder holding libsmtpdx.a (default: build)
#   SECONDS    CPU seconds per measurement (default: 1)
# Build the library optimised first (the default RelWithDebInfo is).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build}
seconds=${2:-1}
lib=$build/libsmtpdx.a
if [ ! -f "$lib" ]; then
    echo "run-explain.sh: $lib not found; build the project first" >&2
    exit 1
fi
out=$build/explain_bench
${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
    -I"$root/include" -o "$out" "$here/explain_bench.c" "$lib" \
    $(pkg-config --libs libhs zlib json-c libcrypto) -lpthread -lm
exec "$out" "$seconds"
