# lib.sh - what the bench scripts share; sourced, never run.

# bench_write_section TAG TEXT: put TEXT (which starts with
# "<!-- TAG:begin -->" and ends with "<!-- TAG:end -->") into
# bench/README.md in place of the section of the same TAG, or at the end
# when there is none yet, so that each bench rewrites its own figures only.
bench_write_section() {
    local readme=$ROOT/bench/README.md
    [ -f "$readme" ] || printf '# Benchmarks\n' > "$readme"
    python3 - "$readme" "$1" "$2" <<'PY'
import re, sys
path, tag, section = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
pat = re.compile(r"<!-- %s:begin -->.*?<!-- %s:end -->" % (tag, tag), re.S)
if pat.search(text):
    text = pat.sub(lambda m: section, text)
else:
    text = text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
    echo "wrote the figures to $readme"
}

# bench_need_lib NAME BUILD_DIR: stop with exit 2 and a message naming the
# bench when BUILD_DIR holds no libsmtpdx.a (the tree is not built).
bench_need_lib() {
    if [ ! -f "$2/libsmtpdx.a" ]; then
        echo "$1: $2/libsmtpdx.a not found: build the project first" >&2
        exit 2
    fi
}

# bench_time_v FILE: "WALL CPU RSS" from what /usr/bin/time -v wrote to
# FILE: wall seconds, CPU seconds (user + system), peak resident KiB.
bench_time_v() {
    awk -F': ' '
        /Elapsed \(wall clock\)/ {
            n = split($2, p, ":"); w = 0
            for (i = 1; i <= n; i++) w = w * 60 + p[i] }
        /User time/ {u = $2}
        /System time/ {s = $2}
        /Maximum resident set size/ {r = $2}
        END {print w, u + s, r}' "$1"
}
