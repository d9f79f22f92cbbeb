#!/usr/bin/python3
"""corpus_rename.py - no rule keys on a corpus file's own addresses.

    corpus_rename.py SMTPDX CORPUS_DIR SCRATCH_DIR

For every bounce of CORPUS_DIR/maildir/bsd, the recipients smtpdx finds
are renamed throughout the raw message (each address, matched without
regard to case, becomes a new local part at the same domain), in two
spellings: a plain one ("zz-renamed-1@domain") and one with a
subaddress and a dot ("zz.renamed+tag1@domain"). smtpdx must then report
the new addresses in the same order, with the same reason, status and
action. A rule that matched an anonymised address of one file, or a
reader that stumbles on '+' or '.', fails this.

Files whose found recipients do not all stand literally in the raw file
(encoded in base64, folded over two lines) cannot be renamed that way
and are counted as skipped. Prints each difference and a summary; exits
1 when any renamed copy differs, or when fewer than 300 files were tried
(the corpus was not read).
"""
import json
import os
import re
import subprocess
import sys


def records(smtpdx, path):
    run = subprocess.run([smtpdx, "bounce", "--format", "ndjson", path],
                         capture_output=True)
    out = run.stdout.decode("utf-8", "replace")
    return [json.loads(x) for x in out.splitlines() if x]


def main():
    smtpdx, corpus, scratch = sys.argv[1:4]
    src = os.path.join(corpus, "maildir", "bsd")
    spellings = [lambda i: "zz-renamed-%d" % i,
                 lambda i: "zz.renamed+tag%d" % i]
    tried = skipped = differ = 0
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        raw = open(path, "rb").read()
        orig = records(smtpdx, path)
        rcpts = []
        for r in orig:
            a = r["recipient"]
            if "@" in a and a.lower() not in [x.lower() for x in rcpts]:
                rcpts.append(a)
        if not rcpts or any(re.search(re.escape(a.encode()), raw, re.I) is None
                            for a in rcpts):
            skipped += 1
            continue
        tried += 1
        for k, spell in enumerate(spellings):
            data, new = raw, {}
            # the longest first: one address may end another
            for i, a in sorted(enumerate(rcpts), key=lambda x: -len(x[1])):
                na = spell(i + 1) + "@" + a.rsplit("@", 1)[1]
                new[a.lower()] = na.lower()
                data = re.sub(re.escape(a.encode()), na.encode(), data,
                              flags=re.I)
            copy = os.path.join(scratch, "%s.%d" % (name, k))
            with open(copy, "wb") as fh:
                fh.write(data)
            got = records(smtpdx, copy)
            want = [(new.get(r["recipient"].lower(), r["recipient"].lower()),
                     r["reason"], r["deliverystatus"], r["action"])
                    for r in orig]
            have = [(r["recipient"].lower(), r["reason"], r["deliverystatus"],
                     r["action"]) for r in got]
            if want != have:
                differ += 1
                print("%s (spelling %d): want %s, got %s" %
                      (name, k + 1, want, have))
    print("files %d renamed (%d skipped: recipients not written plainly), "
          "%d renamed copies differ" % (tried, skipped, differ))
    return 1 if differ or tried < 300 else 0


if __name__ == "__main__":
    sys.exit(main())
