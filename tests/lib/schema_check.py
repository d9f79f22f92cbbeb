#!/usr/bin/env python3
"""schema_check.py - check JSON objects against a definition of
docs/output.schema.json (JSON Schema 2020-12, with the jsonschema module).

    schema_check.py SCHEMA DEF [--array] < INPUT

INPUT holds one object per line (NDJSON), or with --array one JSON array
of objects. Prints how many objects were read and the first failures
(line or index, the member's path, what is wrong); exits 1 when any object
fails or none was read, 0 otherwise.
"""
import json
import sys

from jsonschema import Draft202012Validator


def main():
    path, name = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator({"$schema": schema["$schema"],
                                      "$defs": schema["$defs"],
                                      "$ref": "#/$defs/" + name})
    if "--array" in sys.argv[3:]:
        objs = list(enumerate(json.load(sys.stdin), 1))
    else:
        objs = [(n, json.loads(line)) for n, line in enumerate(sys.stdin, 1)
                if line.strip()]
    failed = 0
    for n, obj in objs:
        errors = sorted(validator.iter_errors(obj), key=lambda e: e.path)
        if errors:
            failed += 1
            if failed <= 5:
                e = errors[0]
                where = "/".join(str(p) for p in e.absolute_path) or "(top)"
                print("object %d: %s: %s" % (n, where, e.message[:300]))
    print("%s: %d objects, %d not valid" % (name, len(objs), failed))
    return 1 if failed or not objs else 0


if __name__ == "__main__":
    sys.exit(main())
