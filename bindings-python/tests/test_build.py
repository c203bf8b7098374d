"""Editing by path: escaping on write through MessageBuf."""

from __future__ import annotations

import pytest

import hl7rs


def test_set_escapes_and_reads_back(adt: bytes) -> None:
    msg = hl7rs.parse(adt)
    msg["PID-5.1"] = "O'Brien|X"
    assert msg["PID-5.1"] == "O'Brien|X"
    assert msg.segment("PID").raw.endswith(b"||O'Brien\\F\\X^Mary||19800115|F")  # type: ignore[union-attr]
    assert hl7rs.parse(msg.to_er7())["PID-5.1"] == "O'Brien|X"


def test_set_creates_missing_parts() -> None:
    msg = hl7rs.parse(b"MSH|^~\\&|A\r")
    msg["OBX[2]-5[3].2.1"] = "a&b"
    assert msg.to_er7() == b"MSH|^~\\&|A\rOBX\rOBX|||||~~^a\\T\\b\r"
    assert msg["OBX[2]-5[3].2.1"] == "a&b"
    assert len(msg) == 3


def test_bytes_value_is_escaped_as_is() -> None:
    msg = hl7rs.parse(b"MSH|^~\\&|A\rPID|1\r")
    msg["PID-3"] = b"x^y"
    assert msg.segment("PID").raw == b"PID|1||x\\S\\y"  # type: ignore[union-attr]


def test_edit_normalises_terminators_and_keeps_views_as_snapshots() -> None:
    msg = hl7rs.parse(b"MSH|^~\\&|A\nPID|1\n")
    pid = msg.segment("PID")
    msg["PID-2"] = "new"
    assert msg.raw == b"MSH|^~\\&|A\rPID|1|new\r"
    assert pid is not None and pid.raw == b"PID|1"  # taken before the edit


@pytest.mark.parametrize(
    ("path", "cls"),
    [
        ("MSH-1", hl7rs.PathError),
        ("MSH-2", hl7rs.PathError),
        ("PID-0", hl7rs.PathError),
        ("PID", hl7rs.PathError),
        ("PID-", hl7rs.PathError),
        ("PID-3[*]", hl7rs.PathError),
        ("PID-100000", hl7rs.LimitError),
    ],
)
def test_refused_edits(path: str, cls: type) -> None:
    msg = hl7rs.parse(b"MSH|^~\\&|A\rPID|1\r")
    with pytest.raises(cls) as e:
        msg[path] = "x"
    assert e.value.path == path
    assert msg.raw == b"MSH|^~\\&|A\rPID|1\r"  # unchanged after an error


def test_value_type() -> None:
    msg = hl7rs.parse(b"MSH|^~\\&|A\r")
    with pytest.raises(TypeError):
        msg["PID-3"] = 3  # type: ignore[assignment]
