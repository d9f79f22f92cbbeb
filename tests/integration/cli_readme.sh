#!/bin/bash
# cli_readme.sh - the README's library example works as the README says:
# install the build into a scratch prefix, compile the example exactly with
# the README's pkg-config line, run it, and check that its answer is the one
# 'smtpdx explain' gives for the same reply; the same for the bounce
# example (bounces.c) against 'smtpdx bounce'. Also: the README's exit code
# table is the one 'smtpdx --help' prints.
#
# arg1: the build directory; env SMTPDX: the binary.
set -u
build=$(cd "${1:-build}" 2>/dev/null && pwd) || build="${1:-build}"
SMTPDX="${SMTPDX:-$build/smtpdx}"
cd "$(dirname "$0")/../.." || exit 1
command -v jq >/dev/null || { echo "SKIP: jq is not installed"; exit 77; }
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config is not installed"; exit 77; }
command -v cc >/dev/null || { echo "SKIP: no C compiler"; exit 77; }

fail=0
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The example is the ```c block after the marker.
awk '/<!-- readme-example: why.c -->/{m=1; next}
     m && /^```c/{on=1; next} on && /^```/{exit} on{print}' README.md > "$tmp/why.c"
[ -s "$tmp/why.c" ] || { echo "FAIL: no library example in README.md"; exit 1; }
ccline=$(grep -E '^\$ cc why\.c ' README.md | head -n1 | sed 's/^\$ //')
[ -n "$ccline" ] || { echo "FAIL: README.md shows no cc line for the example"; exit 1; }

cmake --install "$build" --prefix "$tmp/inst" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; echo "FAIL: cmake --install"; exit 1; }
pc=$(find "$tmp/inst" -name smtpdx.pc | head -n1)
[ -n "$pc" ] || { echo "FAIL: no smtpdx.pc installed"; exit 1; }
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
# The .pc file names the configured prefix; the scratch install is
# elsewhere, so pkg-config must derive the prefix from where the file is.
realpc=$(command -v pkg-config)
mkdir -p "$tmp/bin"
printf '#!/bin/sh\nexec %s --define-prefix "$@"\n' "$realpc" > "$tmp/bin/pkg-config"
chmod +x "$tmp/bin/pkg-config"
export PATH="$tmp/bin:$PATH"
libdir=$(pkg-config --variable=libdir smtpdx)
# A sanitizer build's library needs the sanitizer runtime at link time.
extra=""
if grep -q '^SMTPDX_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
    extra="-fsanitize=address,undefined"
fi
(cd "$tmp" && eval "$ccline $extra") || { echo "FAIL: '$ccline' failed"; exit 1; }

for reply in '452 4.3.1 Insufficient system resources' '550 5.1.1 User unknown' \
             '450 4.7.1 Greylisted, please try again later'; do
    got=$(LD_LIBRARY_PATH="$libdir" "$tmp/why" "$reply" | head -n1)
    want=$("$SMTPDX" explain --ndjson "$reply" |
           jq -r '"reason: \(.reason) (\(.cause)), " +
                  (if .temporary == true then "temporary"
                   elif .temporary == false then "permanent" else "no failure" end)')
    [ "$got" = "$want" ] || bad "example says '$got', explain says '$want' for: $reply"
done

# The second example lists the same records, in the same order, as
# 'smtpdx bounce' does for the folder of bounce cases; and a path that
# cannot be read is named on stderr and gives exit 3.
awk '/<!-- readme-example: bounces.c -->/{m=1; next}
     m && /^```c/{on=1; next} on && /^```/{exit} on{print}' README.md > "$tmp/bounces.c"
ccline=$(grep -E '^\$ cc bounces\.c ' README.md | head -n1 | sed 's/^\$ //')
if [ ! -s "$tmp/bounces.c" ] || [ -z "$ccline" ]; then
    bad "README.md lacks the bounces.c example or its cc line"
elif ! (cd "$tmp" && eval "$ccline $extra"); then
    bad "'$ccline' failed"
else
    LD_LIBRARY_PATH="$libdir" "$tmp/bounces" tests/data/bounce > "$tmp/bounces.out" ||
        bad "bounces exited $? on tests/data/bounce"
    "$SMTPDX" bounce --ndjson tests/data/bounce 2>/dev/null |
        jq -r '[.recipient, .reason, .deliverystatus,
                (if .hardbounce == 1 then "remove the address"
                 else "may retry" end)] | @tsv' > "$tmp/bounces.want"
    [ -s "$tmp/bounces.want" ] && cmp -s "$tmp/bounces.want" "$tmp/bounces.out" || {
        bad "the bounces.c example and smtpdx bounce differ"
        diff "$tmp/bounces.want" "$tmp/bounces.out" | head -n 10
    }
    LD_LIBRARY_PATH="$libdir" "$tmp/bounces" "$tmp/no-such-file" \
        tests/data/bounce/sendmail-two-refused.eml > "$tmp/two.out" 2> "$tmp/two.err"
    rc=$?
    [ "$rc" -eq 3 ] && [ "$(wc -l < "$tmp/two.out")" -eq 2 ] &&
        grep -q 'no-such-file: No such file or directory' "$tmp/two.err" ||
        bad "bounces with a missing file: exit $rc, $(wc -l < "$tmp/two.out") lines, stderr: $(cat "$tmp/two.err")"
    # the README's sample run is what the example prints
    awk '/^\$ \.\/bounces /{on=1; next} on && /^```/{exit} on{print}' README.md > "$tmp/bounces.readme"
    grep -E '^\$ \./bounces ' README.md | head -n1 | sed 's/^\$ \.\/bounces //' > "$tmp/bounces.args"
    LD_LIBRARY_PATH="$libdir" "$tmp/bounces" $(cat "$tmp/bounces.args") > "$tmp/bounces.sample"
    cmp -s "$tmp/bounces.readme" "$tmp/bounces.sample" ||
        bad "the README's sample run of bounces differs from what it prints"
fi

# The exit code table of the README is the one of --help.
"$SMTPDX" --help | awk '/^Exit status:/{on=1; next} on && /^$/{exit} on' |
    awk '/^  [0-9]  /{if (c != "") print c " " t; c = $1; $1 = ""; t = substr($0, 2); next}
         {sub(/^ +/, ""); t = t " " $0} END{print c " " t}' > "$tmp/help-codes"
grep -E '^\| [0-9] \|' README.md | sed -E 's/^\| ([0-9]) \| (.*) \|$/\1 \2/' > "$tmp/readme-codes"
cmp -s "$tmp/help-codes" "$tmp/readme-codes" || {
    bad "README exit codes differ from smtpdx --help"
    diff "$tmp/help-codes" "$tmp/readme-codes"
}

echo "cli_readme: $fail failed"
[ "$fail" -eq 0 ]
