#!/usr/bin/env python3
"""Conformance figures of `hl7rs convert` against ../shared/conformance, raw and IG-adjusted.

The raw figure is compare.py's own (every leaf of the expected bundle). The adjusted figure leaves
out the expected leaves listed in departures.tsv: places where the expected bundles (another
project's output) depart from the HL7 V2-to-FHIR IG, which hl7rs follows (each line names the IG
row that decides). Both are printed; nothing else is changed.

    python3 hl7-map/conformance/score.py [--hl7rs target/release/hl7rs] [--show 10]
"""
import argparse
import csv
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "conformance"))
sys.path.insert(0, SHARED)
try:
    import compare  # noqa: E402  (../shared/conformance/compare.py: flatten)
except ImportError:
    compare = None


def departures():
    rows = []
    with open(os.path.join(HERE, "departures.tsv"), encoding="utf-8") as f:
        for r in csv.reader((l for l in f if not l.startswith("#")), delimiter="\t"):
            if len(r) >= 4:
                rows.append((r[0], re.compile(r[1]), re.compile(r[2]), r[3]))
    return rows


def applies(when, hl7):
    segs = [s for s in re.split(r"[\r\n]+", hl7) if s]
    if when == "always":
        return True
    kind, _, what = when.partition(":")
    if kind == "no-segment":
        return not any(s.startswith(what + "|") for s in segs)
    if kind == "no-field":
        seg, _, n = what.partition("-")
        for s in segs:
            if s.startswith(seg + "|"):
                fields = s.split("|")
                return len(fields) <= int(n) or fields[int(n)] == ""
        return True
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hl7rs", default=os.path.join(ROOT, "target", "release", "hl7rs"))
    ap.add_argument("--show", type=int, default=0)
    ap.add_argument("--floor", type=float, default=None,
                    help="exit 1 when the IG-adjusted mean recall is below this (a regression guard)")
    args = ap.parse_args()
    if not os.path.isdir(os.path.join(SHARED, "cases")):
        print(f"conformance: {SHARED} absent, not scored", file=sys.stderr)
        return 1 if os.environ.get("HL7RS_REQUIRE_SHARED") else 0
    if compare is None:
        print(f"conformance: {SHARED}/compare.py absent, not scored", file=sys.stderr)
        return 1 if os.environ.get("HL7RS_REQUIRE_SHARED") else 0
    deps = departures()
    cases = []
    for root, _, files in os.walk(os.path.join(SHARED, "cases")):
        for f in files:
            if f.endswith(".hl7") and os.path.exists(os.path.join(root, f[:-4] + ".fhir")):
                cases.append(os.path.join(root, f))
    cases.sort()
    raw, adj, out = [], [], []
    for c in cases:
        expected = json.load(open(c[:-4] + ".fhir", encoding="utf-8"))
        hl7 = open(c, encoding="utf-8", errors="replace").read()
        r = subprocess.run([args.hl7rs, "convert", "--bundle", c], capture_output=True)
        actual = json.loads(r.stdout) if r.returncode == 0 else {}
        e, a = compare.flatten(expected), compare.flatten(actual)
        total = sum(e.values())
        found = sum(min(n, a.get(k, 0)) for k, n in e.items())
        raw.append(found / total if total else 1.0)
        live = [d for d in deps if applies(d[3], hl7)]
        keep = {k: n for k, n in e.items()
                if not any(k[0] == d[0] and d[1].fullmatch(k[1]) and d[2].fullmatch(k[2]) for d in live)}
        t2 = sum(keep.values())
        f2 = sum(min(n, a.get(k, 0)) for k, n in keep.items())
        adj.append(f2 / t2 if t2 else 1.0)
        out.append((os.path.relpath(c, os.path.join(SHARED, "cases"))[:-4], adj[-1],
                    [k for k, n in keep.items() if a.get(k, 0) < n]))
    n = len(cases)
    for name, rec, missing in sorted(out, key=lambda x: x[1])[: args.show]:
        print(f"{name}: adjusted recall {rec:.0%}")
        for m in missing[:10]:
            print(f"    missing {m[0]}.{m[1]} = {m[2]!r}")
    print(f"raw (compare.py):  {n} cases, mean recall {sum(raw) / n:.1%}, "
          f"{sum(r >= 0.9 for r in raw)} passed")
    print(f"IG-adjusted:       {n} cases, mean recall {sum(adj) / n:.1%}, "
          f"{sum(r >= 0.9 for r in adj)} passed (departures.tsv: {len(deps)} rules)")
    if args.floor is not None and sum(adj) / n < args.floor:
        print(f"conformance: IG-adjusted mean recall below the floor {args.floor:.1%}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
