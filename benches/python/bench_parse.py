"""hl7rs from Python over ../shared/corpus, every figure from one run of this script.

1. Parse + access against python-hl7, hl7apy and hl7kit: per message MSH-9, PID-3, PID-5 and
   every OBX-5 as text. The message set is the corpus messages (single-message files) that every
   library present parses, so all do the same work. A library that is not installed is left out.
2. Scaling: `parse_many(list)` against `[parse(x) for x in list]`, and `convert_many` on one
   worker against two (Bundles as dicts, and as JSON bytes with `as_json=True`). Wall time,
   process CPU time and the calling thread's CPU time are printed: on a loaded machine the wall
   time ratio understates what two free cores give, so the script also prints the speed-up the
   CPU times allow on two free cores: twice the one-thread CPU time over the two-thread CPU time
   (the work is claimed in small blocks, so the two threads share it evenly; the calling thread
   is one of them and also makes the Python objects).
3. `to_arrow` over the corpus: MB/s of input.

    pip install hl7 hl7apy hl7kit pyarrow      # the others, and pyarrow for section 3
    python benches/python/bench_parse.py       # from the repo root, with hl7rs installed
    python benches/python/bench_parse.py --section scaling --rounds 7

Timings are the best of interleaved rounds (A, B, A, B…), so that a change in machine load hits
both sides of a ratio alike. On a machine shared with other jobs, `--idle 0.9` waits before each
timed call until 90% of the cores were idle for a moment (Linux), then makes one untimed call.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pathlib
import sys
import time
from typing import Any, Callable

import hl7rs

REPO = pathlib.Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"


def load() -> list[bytes]:
    if not CORPUS.is_dir():
        sys.exit(f"shared corpus absent at {CORPUS}")
    files = sorted(p for p in CORPUS.rglob("*.hl7") if "batch" not in p.parts and "malformed" not in p.parts)
    return [p.read_bytes() for p in files]


def optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


python_hl7 = optional("hl7")
hl7kit = optional("hl7kit")
hl7apy_parser = optional("hl7apy.parser")


def rs_access(data: bytes) -> int:
    m = hl7rs.parse(data)
    n = len(m.get("MSH-9") or "") + len(m.get("PID-3") or "") + len(m.get("PID-5") or "")
    for obx in m.segments("OBX"):
        f = obx[5]
        n += len(str(f)) if f is not None else 0
    return n


def cr_text(data: bytes) -> str:
    # python-hl7 and hl7apy take text with \r terminators.
    return data.decode("utf-8", "replace").replace("\r\n", "\r").replace("\n", "\r")


def py_access(data: bytes) -> int:
    m = python_hl7.parse(cr_text(data))
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


def kit_access(data: bytes) -> int:
    m = hl7kit.parse(data)
    n = len(m.get("MSH-9") or "") + len(m.get("PID-3") or "") + len(m.get("PID-5") or "")
    for k in range(1, m.segments().count("OBX") + 1):
        n += len(m.get(f"OBX[{k}]-5") or "")
    return n


def apy_access(data: bytes) -> int:
    # find_groups=False: segments stay flat children of the message (the fast way to read them).
    m = hl7apy_parser.parse_message(cr_text(data), find_groups=False)
    n = len(m.msh.msh_9.value)
    pids = m.children.get("PID")
    if pids:
        n += len(pids[0].pid_3.value) + len(pids[0].pid_5.value)
    for obx in m.children.get("OBX"):
        n += len(obx.obx_5.value)
    return n


LIBRARIES: dict[str, Callable[[bytes], int]] = {"hl7rs": rs_access}
if python_hl7 is not None:
    LIBRARIES["python-hl7"] = py_access
if hl7kit is not None:
    LIBRARIES["hl7kit"] = kit_access
if hl7apy_parser is not None:
    LIBRARIES["hl7apy"] = apy_access


def parses(f: Callable[[bytes], int], data: bytes) -> bool:
    try:
        f(data)
        return True
    except Exception:
        return False


IDLE = 0.0  # --idle: the share of all cores that must be idle before a timed call


def idle_share(seconds: float) -> float:
    """The share of CPU time (all cores) that was idle over `seconds` (Linux; 1.0 elsewhere)."""

    def read() -> tuple[int, int]:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return v[3] + v[4], sum(v)

    try:
        i0, t0 = read()
        time.sleep(seconds)
        i1, t1 = read()
    except OSError:
        return 1.0
    return (i1 - i0) / max(1, t1 - t0)


def wait_idle(limit: float = 120.0) -> None:
    """Waits (at most `limit` seconds) until the machine has been idle enough for a moment."""
    end = time.monotonic() + limit
    while IDLE > 0 and time.monotonic() < end and idle_share(0.3) < IDLE:
        pass


def timed(f: Callable[[], Any]) -> tuple[float, float, float]:
    """Wall time, process CPU time and the calling thread's CPU time of one call."""
    if IDLE > 0:
        wait_idle()
        f()  # after the wait, the caches and the clock are cold: one untimed call
    t0, c0, m0 = time.perf_counter(), time.process_time(), time.thread_time()
    f()
    return time.perf_counter() - t0, time.process_time() - c0, time.thread_time() - m0


def interleaved(rounds: int, fs: dict[str, Callable[[], Any]]) -> dict[str, tuple[float, float, float]]:
    """The best (lowest wall time) run of each function, the functions taking turns."""
    best: dict[str, tuple[float, float, float]] = {}
    for _ in range(rounds):
        for name, f in fs.items():
            t = timed(f)
            if name not in best or t[0] < best[name][0]:
                best[name] = t
    return best


def section_parse(corpus: list[bytes], rounds: int) -> None:
    print(f"== parse + access (MSH-9, PID-3, PID-5, every OBX-5 as text); libraries: {', '.join(LIBRARIES)}")
    missing = [n for n in ("python-hl7", "hl7kit", "hl7apy") if n not in LIBRARIES]
    if missing:
        print(f"   not installed (left out): {', '.join(missing)}")
    for name, f in LIBRARIES.items():
        ok = sum(parses(f, d) for d in corpus)
        print(f"   {name:<11} parses {ok} of {len(corpus)} corpus messages")
    messages = [d for d in corpus if all(parses(f, d) for f in LIBRARIES.values())]
    mb = sum(len(d) for d in messages) / 1e6
    print(f"   {len(messages)} messages every library parses, {mb:.2f} MB")
    # The slow libraries get fewer rounds: one round of hl7apy takes seconds.
    fast = {n: f for n, f in LIBRARIES.items() if n in ("hl7rs", "hl7kit")}
    slow = {n: f for n, f in LIBRARIES.items() if n not in fast}

    def loop(f: Callable[[bytes], int]) -> Callable[[], Any]:
        return lambda: [f(d) for d in messages]

    best = interleaved(rounds, {n: loop(f) for n, f in fast.items()})
    best.update(interleaved(max(1, rounds // 3), {n: loop(f) for n, f in slow.items()}))
    wall = {n: t[0] for n, t in best.items()}
    fastest_other = min((w, n) for n, w in wall.items() if n != "hl7rs") if len(wall) > 1 else None
    print(f"   {'library':<11} {'MB/s':>8} {'us/message':>11} {'vs python-hl7':>14}")
    for name, w in sorted(wall.items(), key=lambda kv: kv[1]):
        vs = f"{wall['python-hl7'] / w:13.3g}x" if "python-hl7" in wall else ""
        print(f"   {name:<11} {mb / w:8.3g} {w * 1e6 / len(messages):11.1f} {vs:>14}")
    if fastest_other is not None:
        w, n = fastest_other
        print(f"   hl7rs / fastest other ({n}): {w / wall['hl7rs']:.1f}x")


def section_scaling(corpus: list[bytes], rounds: int, rep: int) -> None:
    messages = [d for d in corpus if parses(hl7rs.parse, d)]
    # Copies, so that the list is rep times the corpus in distinct objects (as read from a source).
    many = [bytes(bytearray(d)) for _ in range(rep) for d in messages]
    mb = sum(len(d) for d in many) / 1e6
    cores = os.cpu_count()
    print(f"== scaling ({cores} cores; load average {os.getloadavg()[0]:.1f} at start)")
    print(f"   parse: {len(many)} messages ({rep} x the corpus), {mb:.1f} MB")
    best = interleaved(rounds, {"loop": lambda: [hl7rs.parse(d) for d in many], "many": lambda: hl7rs.parse_many(many)})
    loop, par = best["loop"], best["many"]
    print(f"   [parse(x) for x in data]  {mb / loop[0]:7.0f} MB/s")
    print(
        f"   parse_many(data)          {mb / par[0]:7.0f} MB/s  {loop[0] / par[0]:.2f}x the loop"
        f"  ({par[1] / par[0]:.2f} cores busy; CPU {loop[1] * 1e3:.0f} vs {par[1] * 1e3:.0f} ms:"
        f" {2 * loop[1] / par[1]:.2f}x on 2 free cores)"
    )
    sub = messages[: min(len(messages), 400)]
    print(f"   convert_many: {len(sub)} corpus messages")
    try:
        hl7rs.convert_many([], as_json=True)
        kinds: tuple[tuple[str, dict[str, Any]], ...] = (("dicts", {}), ("as_json", {"as_json": True}))
    except TypeError:  # an hl7rs without as_json
        kinds = (("dicts", {}),)
    for label, kw in kinds:
        best = interleaved(
            max(2, rounds // 2),
            {w: (lambda w=w: hl7rs.convert_many(sub, workers=int(w), **kw)) for w in ("1", "2")},
        )
        one, two = best["1"], best["2"]
        print(
            f"   {label:<8} 1 worker {one[0] * 1e3:6.0f} ms, 2 workers {two[0] * 1e3:6.0f} ms:"
            f" {one[0] / two[0]:.2f}x wall; CPU {one[1] * 1e3:.0f} vs {two[1] * 1e3:.0f} ms:"
            f" {2 * one[1] / two[1]:.2f}x on 2 free cores"
        )


def section_arrow(corpus: list[bytes], rounds: int) -> None:
    if optional("pyarrow") is None:
        print("== to_arrow: pyarrow not installed, left out")
        return
    mb = sum(len(d) for d in corpus) / 1e6
    best = interleaved(rounds, {"arrow": lambda: hl7rs.to_arrow(corpus)})
    rows = hl7rs.to_arrow(corpus).num_rows
    w, c, _ = best["arrow"]
    print(f"== to_arrow: {len(corpus)} corpus files, {mb:.2f} MB, {rows} rows")
    print(f"   to_arrow(list of bytes)   {mb / w:7.0f} MB/s  (process CPU {c / w:.2f} cores busy)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--section", choices=["all", "parse", "scaling", "arrow"], default="all")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--rep", type=int, default=10, help="copies of the corpus for parse_many")
    ap.add_argument(
        "--idle",
        type=float,
        default=0.0,
        help="on a shared machine: before each timed call, wait until this share of all cores was idle (e.g. 0.9)",
    )
    args = ap.parse_args()
    global IDLE
    IDLE = args.idle
    corpus = load()
    if args.section in ("all", "parse"):
        section_parse(corpus, args.rounds)
    if args.section in ("all", "scaling"):
        section_scaling(corpus, args.rounds, args.rep)
    if args.section in ("all", "arrow"):
        section_arrow(corpus, args.rounds)


if __name__ == "__main__":
    main()
