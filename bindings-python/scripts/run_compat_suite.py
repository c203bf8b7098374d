"""Runs python-hl7's own test suite (hl7 0.4.5 sdist, tests/) against hl7rs.compat.

The sdist is fetched with pip (or taken from $HL7RS_COMPAT_SDIST, a path to hl7-0.4.5.tar.gz), its
tests/ folder copied to a temporary directory with every `import hl7` / `from hl7...` and every
`patch("hl7....")` target rewritten to hl7rs.compat, then run with pytest in a subprocess. Prints
one line per test outcome and every failure with its reason; exit status 0 when at least
--min tests pass (default 90 of 101), 1 otherwise, 2 when the sdist cannot be had.

    python bindings-python/scripts/run_compat_suite.py [--min 90] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET

SDIST = "hl7==0.4.5"
TOTAL = 101

_REWRITES = [
    (re.compile(r"^(\s*)import hl7\s*$", re.M), r"\1import hl7rs.compat as hl7"),
    (re.compile(r"^(\s*)import hl7\.([\w.]+)\s*$", re.M), r"\1import hl7rs.compat.\2"),
    (re.compile(r"^(\s*)from hl7((?:\.[\w]+)*) import", re.M), r"\1from hl7rs.compat\2 import"),
    (re.compile(r"""(["'])hl7\."""), r"\1hl7rs.compat."),
]


class SdistUnavailable(Exception):
    pass


def fetch_sdist(workdir: pathlib.Path) -> pathlib.Path:
    """The sdist tarball: $HL7RS_COMPAT_SDIST, else `pip download` into workdir."""
    given = os.environ.get("HL7RS_COMPAT_SDIST")
    if given:
        return pathlib.Path(given)
    cmd = [sys.executable, "-m", "pip", "download", SDIST, "--no-deps", "--no-binary", ":all:",
           "--disable-pip-version-check", "-q", "-d", str(workdir)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    found = sorted(workdir.glob("hl7-0.4.5.tar.gz"))
    if done.returncode != 0 or not found:
        raise SdistUnavailable(f"pip download {SDIST} failed: {done.stderr.strip()[-500:]}")
    return found[0]


def rewrite(text: str) -> str:
    for pattern, repl in _REWRITES:
        text = pattern.sub(repl, text)
    return text


def prepare(sdist: pathlib.Path, workdir: pathlib.Path) -> pathlib.Path:
    suite = workdir / "suite"
    tests = suite / "tests"
    tests.mkdir(parents=True)
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            parts = pathlib.PurePosixPath(member.name).parts
            if len(parts) >= 3 and parts[1] == "tests" and member.isfile() and parts[-1].endswith(".py"):
                target = tests.joinpath(*parts[2:])
                target.parent.mkdir(parents=True, exist_ok=True)
                data = tar.extractfile(member)
                assert data is not None
                target.write_text(rewrite(data.read().decode("utf-8")), encoding="utf-8")
    return suite


def run(suite: pathlib.Path) -> list[dict[str, str]]:
    report = suite / "report.xml"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(suite),
           f"--junitxml={report}", "tests"]
    env = dict(os.environ)
    # The subprocess runs in the suite folder: keep relative PYTHONPATH entries pointing where they did.
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(str(pathlib.Path(p).resolve()) for p in env["PYTHONPATH"].split(os.pathsep))
    done = subprocess.run(cmd, cwd=suite, capture_output=True, text=True, env=env)
    if not report.exists():
        raise RuntimeError(f"pytest wrote no report: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    results = []
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname')}.{case.get('name')}"
        outcome, reason = "passed", ""
        for tag in ("failure", "error", "skipped"):
            el = case.find(tag)
            if el is not None:
                outcome = "failed" if tag != "skipped" else "skipped"
                reason = (el.get("message") or "").strip().splitlines()[0:1]
                reason = reason[0] if reason else (el.text or "").strip().splitlines()[-1:][0]
                break
        results.append({"test": name, "outcome": outcome, "reason": reason})
    return results


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--min", type=int, default=90)
    ap.add_argument("--json", type=pathlib.Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        try:
            sdist = fetch_sdist(work)
        except SdistUnavailable as e:
            print(e, file=sys.stderr)
            return 2
        results = run(prepare(sdist, work))
    passed = [r for r in results if r["outcome"] == "passed"]
    for r in results:
        if r["outcome"] != "passed":
            print(f"{r['outcome'].upper()}: {r['test']}: {r['reason']}")
    print(f"python-hl7 0.4.5 suite on hl7rs.compat: {len(passed)} of {len(results)} passed")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0 if len(passed) >= args.min else 1


if __name__ == "__main__":
    sys.exit(main())
