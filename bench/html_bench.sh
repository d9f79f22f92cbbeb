#!/bin/sh
# html_bench.sh - the HTML-to-text renderer of bounce notices against
# libxml2's HTML parser, in one run on one core: parts/s, MB/s and the
# ratio, on the text/html parts of the bounce corpus and on the
# hand-written cases of tests/data/html.
#
# Usage: bench/html_bench.sh [BUILD_DIR] [PATH...]
#   BUILD_DIR  a configured and built tree holding libsmtpdx.a (default:
#              ./build); PATHs default to the folders of ../shared/corpus
#              (maildir, mailbox, to-be-debugged-because), as the test reads.
# Needs: a C compiler, pkg-config and libxml2 (libxml2-dev).
# Exits 77 (skipped) when the corpus is absent.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
[ $# -gt 0 ] && shift
. "$root/bench/lib.sh"
bench_need_lib html_bench "$build"
lib=$build/libsmtpdx.a
if ! pkg-config --exists libxml-2.0; then
    echo "html_bench: libxml2 not installed (libxml2-dev)" >&2
    exit 2
fi
if [ $# -eq 0 ]; then
    shared=${SMTPDX_SHARED:-$root/../shared}
    if [ ! -d "$shared/corpus" ]; then
        echo "html_bench: $shared/corpus not found (the shared corpus is absent); skipped" >&2
        exit 77
    fi
    set -- "$shared/corpus/maildir" "$shared/corpus/mailbox" \
        "$shared/corpus/to-be-debugged-because"
fi
bin=$build/html_bench
${CC:-cc} -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
    -I"$root/include" -I"$root/src/lib" -o "$bin" "$root/bench/html_bench.c" \
    "$lib" $(pkg-config --cflags --libs libxml-2.0 libhs zlib json-c libcrypto) -lpthread
echo "html_bench: $(uname -m), $(date -u +%Y-%m-%d), one core, load $(cut -d' ' -f1-3 /proc/loadavg)"
if command -v taskset >/dev/null 2>&1; then
    exec taskset -c 0 "$bin" "$root/tests/data/html" "$@"
fi
exec "$bin" "$root/tests/data/html" "$@"
