#!/bin/bash
# run.sh - from a fresh checkout to answers: installs the build
# dependencies (only those missing), builds smtpdx into build/ and explains
# the example replies in examples/seed-replies.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
cmake -S . -B build
cmake --build build -j"${JOBS:-$(nproc)}"
echo
echo "== build/smtpdx explain --format table - < examples/seed-replies.txt"
echo
build/smtpdx explain --format table - < examples/seed-replies.txt
