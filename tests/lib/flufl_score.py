#!/usr/bin/python3
"""flufl_score.py - smtpdx bounce against another parser's expectations.

Debian's python3-flufl.bounce (the bounce detector of GNU Mailman) ships
about a hundred real bounces of many mail systems, most of them from the
years 2000-2010, with the addresses its own tests expect to find in each
(DATA in flufl/bounce/testing/helpers.py; a fourth member, when true, says
the notice is a warning: delivery is delayed, not failed). smtpdx never
saw these messages while it was written, so they measure how it does on
mail systems it has no family for.

    flufl_score.py SMTPDX FLUFL_DIR KNOWN_FILE

For each file: the failed addresses smtpdx reports (a record's recipient,
or its alias, which holds the address the message was sent to when a
forward or an alias changed it) must be those expected, no more and no
fewer, and a warning must give "delayed" records, a failure "failed"
ones. Files named in KNOWN_FILE (one per line: name, then why) are
disagreements understood and kept visible: they are printed, not counted.
Prints every disagreement and a summary; exits 1 when any file that is not
known disagrees, 0 otherwise.
"""
import ast
import json
import os
import subprocess
import sys


def expectations(flufl_dir):
    src = open(os.path.join(flufl_dir, "testing", "helpers.py")).read()
    data = None
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, "id", None) == "DATA" for t in node.targets):
            data = ast.literal_eval(node.value)
    if data is None:
        raise SystemExit("no DATA table in " + flufl_dir)
    want = {}
    for row in data:
        name, addrs = row[1], row[2]
        warning = len(row) > 3 and bool(row[3])
        w = want.setdefault(name, {"addrs": set(), "warning": warning})
        # a file listed for two detectors: what either finds
        w["addrs"] |= {a.decode().lower() for a in addrs}
    return want


def known_list(path):
    known = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, why = line.partition(" ")
            known[name] = why.strip()
    return known


def main():
    smtpdx, flufl_dir, known_file = sys.argv[1:4]
    want = expectations(flufl_dir)
    known = known_list(known_file)
    agree = disagree = known_seen = 0
    for name in sorted(want):
        path = os.path.join(flufl_dir, "tests", "data", name)
        run = subprocess.run([smtpdx, "bounce", "--format", "ndjson", path],
                             capture_output=True, text=True)
        if run.returncode not in (0, 1):
            problems = ["exit %d: %s" % (run.returncode, run.stderr.strip())]
            recs = []
        else:
            recs = [json.loads(x) for x in run.stdout.splitlines() if x]
            problems = []
        # failures and warnings only: not an auto-reply, a report of
        # delivery or a complaint
        recs = [r for r in recs if r["action"] in ("failed", "delayed")]
        w = want[name]
        got = set()
        for r in recs:
            named = {r["recipient"].lower()}
            if r["alias"]:
                named.add(r["alias"].lower())
            hit = named & w["addrs"]
            got |= hit if hit else {r["recipient"].lower()}
        if got != w["addrs"]:
            problems.append("addresses: want %s, got %s" %
                            (sorted(w["addrs"]), sorted(got)))
        action = "delayed" if w["warning"] else "failed"
        wrong = sorted({r["action"] for r in recs} - {action})
        if wrong:
            problems.append("action: want %s, got %s" % (action, wrong))
        if not problems:
            agree += 1
            if name in known:
                print("%-18s now agrees (known: %s)" % (name, known[name]))
            continue
        for p in problems:
            print("%-18s %s%s" % (name, p,
                                  " (known: %s)" % known[name]
                                  if name in known else ""))
        if name in known:
            known_seen += 1
        else:
            disagree += 1
    total = len(want)
    print("files %d: %d agree (%.1f%%), %d known disagreements, "
          "%d other disagreements" % (total, agree, 100.0 * agree / total,
                                      known_seen, disagree))
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
