#!/usr/bin/env python3
"""The OpenAPI document is a contract: validate it (openapi-spec-validator) and check, route by
route, that every status the API suite saw is documented for that route.

Usage: openapi_contract.py OPENAPI_JSON ANSWERS_LOG
  OPENAPI_JSON  the served document (the API suite writes it to CLINICDOCS_OPENAPI_OUT)
  ANSWERS_LOG   `METHOD ROUTE STATUS` per answer, recorded by the suite's debug servers
                (CLINICDOCS_RECORD_ANSWERS)
"""
import collections
import json
import sys

from openapi_spec_validator import validate


def documented_path(route):
    # axum spells a catch-all `{*key}`; OpenAPI spells it `{key}`.
    return route.replace("{*", "{")


def main(doc_path, log_path):
    with open(doc_path, encoding="utf-8") as f:
        doc = json.load(f)
    validate(doc)
    seen = collections.defaultdict(collections.Counter)
    with open(log_path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            method, route, status = parts
            seen[(method.lower(), documented_path(route))][status] += 1
    problems = []
    checked = 0
    for (method, path), statuses in sorted(seen.items()):
        if path == "/api/v1/openapi.json":
            continue
        op = doc["paths"].get(path, {}).get(method)
        if op is None and set(statuses) == {"405"} and path in doc["paths"]:
            # A method the route does not have: refused as the framework must, nothing to document.
            continue
        if op is None:
            problems.append(f"{method.upper()} {path}: answered {sorted(statuses)} but is not in the document")
            continue
        for status, n in sorted(statuses.items()):
            checked += 1
            if status not in op["responses"] and "default" not in op["responses"]:
                problems.append(f"{method.upper()} {path}: answered {status} ({n}x) but documents only "
                                f"{sorted(op['responses'])}")
    untested = [f"{m.upper()} {p}" for p, item in doc["paths"].items() for m in item
                if m in ("get", "post", "put", "patch", "delete") and (m, p) not in seen]
    for p in problems:
        print(f"undocumented: {p}", file=sys.stderr)
    print(f"openapi contract: document valid; {len(seen)} routes, {checked} (route, status) pairs the suite saw, "
          f"{len(problems)} undocumented; routes the suite never called: {', '.join(untested) or 'none'}")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
