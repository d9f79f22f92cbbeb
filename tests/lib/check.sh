# check.sh - the counting the command-line tests share (cli_*.sh). Sourced
# from the project root:
#   . tests/lib/check.sh
# Defines pass and fail (0), a scratch folder $tmp removed at exit, and:
#   ok                        one more check passed
#   bad MESSAGE               one failed: says FAIL and why
#   is GOT WANT DESCRIPTION   passes when GOT equals WANT
#   check DESCRIPTION CMD...  passes when the command succeeds
#   finish NAME               the last line: the counts; fails when any did

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
is() {
    if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', expected '$2'"; fi
}
check() {
    local what="$1"; shift
    if "$@" >/dev/null; then ok; else bad "$what"; fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
finish() {
    echo "$1: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
