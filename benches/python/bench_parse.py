"""Parse + access over ../shared/corpus: hl7rs against python-hl7 in the same run.

Access per message: MSH-9, PID-3, PID-5 and every OBX-5, as text. The message set is the corpus
messages (single-message files) that both libraries parse, so both do the same work.

    pip install hl7                       # python-hl7, the reference
    python benches/python/bench_parse.py  # from the repo root, with hl7rs installed
"""

from __future__ import annotations

import pathlib
import sys
import time
from typing import Any, Callable

import hl7rs

try:
    import hl7 as python_hl7
except ImportError:  # pragma: no cover
    sys.exit("python-hl7 is not installed: pip install hl7")

REPO = pathlib.Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"


def load() -> list[bytes]:
    if not CORPUS.is_dir():
        sys.exit(f"shared corpus absent at {CORPUS}")
    files = sorted(p for p in CORPUS.rglob("*.hl7") if "batch" not in p.parts and "malformed" not in p.parts)
    return [p.read_bytes() for p in files]


def rs_access(data: bytes) -> int:
    m = hl7rs.parse(data)
    n = len(m.get("MSH-9") or "") + len(m.get("PID-3") or "") + len(m.get("PID-5") or "")
    for obx in m.segments("OBX"):
        f = obx[5]
        n += len(str(f)) if f is not None else 0
    return n


def py_text(data: bytes) -> str:
    # python-hl7 takes text with \r terminators.
    return data.decode("utf-8", "replace").replace("\r\n", "\r").replace("\n", "\r")


def py_access(data: bytes) -> int:
    m = python_hl7.parse(py_text(data))
    n = len(str(m.segment("MSH")[9]))
    try:
        pid = m.segment("PID")
        n += len(str(pid[3])) + len(str(pid[5]))
    except (KeyError, IndexError):
        pass
    try:
        for obx in m.segments("OBX"):
            n += len(str(obx[5])) if len(obx) > 5 else 0
    except KeyError:
        pass
    return n


def both_parse(data: bytes) -> bool:
    try:
        rs_access(data)
        py_access(data)
        return True
    except Exception:
        return False


def best_of(runs: int, f: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    messages = [d for d in load() if both_parse(d)]
    total = sum(len(d) for d in messages)
    mb = total / 1e6
    print(f"{len(messages)} messages, {mb:.2f} MB (single-message corpus files both libraries parse)")
    rs = best_of(5, lambda: [rs_access(d) for d in messages])
    py = best_of(3, lambda: [py_access(d) for d in messages])
    rs_parse = best_of(5, lambda: [hl7rs.parse(d) for d in messages])
    many = best_of(5, lambda: hl7rs.parse_many(messages))
    print(f"hl7rs       parse + access  {mb / rs:8.1f} MB/s  ({rs * 1e6 / len(messages):6.1f} us/message)")
    print(f"python-hl7  parse + access  {mb / py:8.1f} MB/s  ({py * 1e6 / len(messages):6.1f} us/message)")
    print(f"ratio hl7rs / python-hl7    {py / rs:8.1f}x")
    print(f"hl7rs       parse only      {mb / rs_parse:8.1f} MB/s")
    print(f"hl7rs       parse_many      {mb / many:8.1f} MB/s  (all cores; {rs_parse / many:.2f}x parse in a loop)")


if __name__ == "__main__":
    main()
