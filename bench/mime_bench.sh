#!/bin/sh
# mime_bench.sh - the MIME scanner against GMime 3 on the bounce corpus, in
# one run on one core: messages/s, MB/s and the ratio, for the structure
# alone and for structure plus the decoding a bounce parser asks for.
#
# Usage: bench/mime_bench.sh [BUILD_DIR] [-r N | --stream] [PATH...]
#   BUILD_DIR  a configured and built tree holding libsmtpdx.a (default:
#              ./build); PATHs default to ../shared/corpus/{maildir,mailbox}.
#   --stream   instead: read PATHs once through the streaming reader and
#              scan each message (throughput and peak memory; e.g. a large
#              mbox).
# Needs: a C compiler, pkg-config and GMime 3 (libgmime-3.0-dev).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
[ $# -gt 0 ] && shift
. "$root/bench/lib.sh"
bench_need_lib mime_bench "$build"
lib=$build/libsmtpdx.a
if ! pkg-config --exists gmime-3.0; then
    echo "mime_bench: GMime 3 not installed (libgmime-3.0-dev)" >&2
    exit 2
fi
# options first, then paths; with no path, the corpus
opts=
case "${1:-}" in
    --stream) opts=$1; shift ;;
    -r) opts="$1 ${2:?-r needs a number}"; shift 2 ;;
esac
if [ $# -eq 0 ]; then
    shared=${SMTPDX_SHARED:-$root/../shared}
    set -- "$shared/corpus/maildir" "$shared/corpus/mailbox"
fi
bin=$build/mime_bench
${CC:-cc} -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
    -I"$root/include" -I"$root/src/lib" -o "$bin" "$root/bench/mime_bench.c" \
    "$lib" $(pkg-config --cflags --libs gmime-3.0 libhs zlib json-c libcrypto) -lpthread
echo "mime_bench: $(uname -m), $(date -u +%Y-%m-%d), one core"
if command -v taskset >/dev/null 2>&1; then
    exec taskset -c 0 "$bin" $opts "$@"
fi
exec "$bin" $opts "$@"
