"""Differential test against python-hl7 0.4.5 over the shared corpus (../shared/corpus).

For every corpus message (batch originals left out: their messages are in the corpus one a file)
that python-hl7 parses, the raw ER7 text of every field, segment by segment, must agree with
hl7rs, and the containers of hl7rs.compat must equal python-hl7's. Text is the file's bytes decoded
as UTF-8, else Latin-1. python-hl7 ends segments at ``\\r`` only: a message with ``\\n`` or ``\\r\\n``
endings is compared again with its endings made ``\\r`` and, when that agrees, counted as the one
systematic difference. Every other disagreement must be listed, with its kind, in DIFFERENCES.md
(the table under "Corpus disagreements"), and every listed file must still disagree.
"""

from __future__ import annotations

import csv
import os
import pathlib
import re
from typing import Any

import pytest

import hl7rs
from hl7rs import compat

HERE = pathlib.Path(__file__).resolve().parents[1]
CORPUS = HERE.parents[1] / "shared" / "corpus"
DIFFERENCES = HERE / "DIFFERENCES.md"
KINDS = {"refused", "continuation", "blank-line", "msh2-repair", "msh2-short", "garbled-header"}


def python_hl7() -> Any:
    try:
        import hl7
    except ImportError:
        if os.environ.get("HL7RS_REQUIRE_SHARED") == "1":
            pytest.fail("python-hl7 (pip install hl7==0.4.5) is not installed and HL7RS_REQUIRE_SHARED=1")
        print("notice: python-hl7 not installed; differential test skipped")
        pytest.skip("python-hl7 not installed")
    assert hl7.__version__ == "0.4.5"
    return hl7


def corpus_rows() -> list[dict[str, str]]:
    index = CORPUS / "index.tsv"
    if not index.is_file():
        if os.environ.get("HL7RS_REQUIRE_SHARED") == "1":
            pytest.fail(f"shared corpus absent at {CORPUS} and HL7RS_REQUIRE_SHARED=1")
        print(f"notice: shared corpus absent at {CORPUS}; differential test skipped")
        pytest.skip("shared corpus absent")
    with index.open(newline="") as f:
        return [r for r in csv.DictReader(f, delimiter="\t") if r["role"] != "batch-original"]


def documented() -> dict[str, str]:
    """``file -> kind`` from the table under "## Corpus disagreements" in DIFFERENCES.md."""
    text = DIFFERENCES.read_text(encoding="utf-8").split("## Corpus disagreements", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| ([\w-]+) \|", text, re.M)
    return dict(rows)


def decode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def test_fields_agree_with_python_hl7() -> None:
    hl7 = python_hl7()
    listed = documented()
    assert set(listed.values()) <= KINDS
    found: set[str] = set()
    counts = {"agree": 0, "terminators": 0, "python-hl7 refuses": 0}
    for row in corpus_rows():
        data = (CORPUS / row["file"]).read_bytes()
        text, enc = decode(data)
        try:
            theirs = hl7.parse(text)
        except Exception:
            counts["python-hl7 refuses"] += 1
            continue
        try:
            ours = hl7rs.parse(data)
        except hl7rs.Hl7Error:
            found.add(row["file"])
            assert listed.get(row["file"]) == "refused", row["file"]
            continue
        mine = [[seg.id] + [f.raw.decode(enc) for f in seg.fields] for seg in ours]

        def fields(msg: Any) -> list[list[str]]:
            return [[str(f) for f in seg] for seg in msg]

        cr_text = re.sub(r"\r\n|\n", "\r", text)
        try:
            theirs_cr = hl7.parse(cr_text)
        except Exception:  # python-hl7 fails on some texts once their endings are \r
            found.add(row["file"])
            continue
        if fields(theirs) == mine:
            counts["agree"] += 1
        elif "\n" in text and fields(theirs_cr) == mine:
            counts["terminators"] += 1
        else:
            found.add(row["file"])
            continue
        # The compat containers, on text python-hl7 splits the same way.
        ours_cr = compat.parse(cr_text)
        if list(theirs_cr) != list(ours_cr) or str(theirs_cr) != str(ours_cr):
            found.add(row["file"])
    print(f"differential: {counts}, {len(found)} documented disagreements")
    assert sorted(found - set(listed)) == [], "disagreements not in DIFFERENCES.md"
    assert sorted(set(listed) - found) == [], "DIFFERENCES.md lists files that now agree"
    assert counts["agree"] + counts["terminators"] > 700
