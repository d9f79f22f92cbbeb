#!/bin/sh
# json_bench.sh - the NDJSON writer of records against json-c's serializer
# on the same records, in one run on one core (bench/json_bench.c says how).
#
# Usage: bench/json_bench.sh [BUILD_DIR] [PATH...]
#   BUILD_DIR  a configured and built tree holding libsmtpdx.a (default:
#              ./build); PATHs default to ../shared/corpus/maildir and
#              mailbox, and to the project's own bounce cases when the
#              corpus is absent.
# Needs: a C compiler, pkg-config and json-c (libjson-c-dev, a build
# dependency already).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
[ $# -gt 0 ] && shift
. "$root/bench/lib.sh"
bench_need_lib json_bench "$build"
lib=$build/libsmtpdx.a
if [ $# -eq 0 ]; then
    shared=${SMTPDX_SHARED:-$root/../shared}
    if [ -d "$shared/corpus" ]; then
        set -- "$shared/corpus/maildir" "$shared/corpus/mailbox"
    else
        set -- "$root/tests/data/bounce"
    fi
fi
bin=$build/json_bench
${CC:-cc} -std=c11 -O2 -Wall -Werror -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
    -I"$root/include" -o "$bin" "$root/bench/json_bench.c" \
    "$lib" $(pkg-config --cflags --libs json-c libhs zlib libcrypto) -lpthread
echo "json_bench: $(uname -m), $(date -u +%Y-%m-%d), one core, load $(cut -d' ' -f1-3 /proc/loadavg)"
if command -v taskset >/dev/null 2>&1; then
    exec taskset -c 0 "$bin" "$@"
fi
exec "$bin" "$@"
