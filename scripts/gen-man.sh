#!/bin/bash
# gen-man.sh - rewrite man/smtpdx.1 from the help tables in
# src/cli/cli_help.c (the one source of --help and the man page).
#
#   bash scripts/gen-man.sh [BUILD_DIR]     (default: build)
#
# tests/integration/cli_help.sh fails while the committed page differs.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
cmake --build "$build" --target smtpdx -j"${JOBS:-$(nproc)}"
"$build/smtpdx" help --man > man/smtpdx.1.tmp
mv man/smtpdx.1.tmp man/smtpdx.1
echo "man/smtpdx.1 regenerated"
