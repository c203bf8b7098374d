"""Escapes: decoded on read (values), kept as written in .raw; RELIABILITY.md class 3."""

from __future__ import annotations

import pytest

import hl7rs

HEAD = b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\r"


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"a\\F\\b", "a|b"),
        (b"a\\S\\b", "a^b"),
        (b"a\\T\\b", "a&b"),
        (b"a\\R\\b", "a~b"),
        (b"a\\E\\b", "a\\b"),
        (b"\\E\\R\\", "\\R\\"),  # python-hl7 #84 decoded this to \R
        (b"\\X41\\", "A"),
        (b"end\\E\\", "end\\"),
    ],
)
def test_escapes_decoded(raw: bytes, text: str) -> None:
    msg = hl7rs.parse(HEAD + b"OBX|1|ST|||" + raw + b"\r")
    assert msg["OBX-5"] == text
    assert msg.segment("OBX")[5].raw == raw  # type: ignore[index, union-attr]


@pytest.mark.parametrize("raw", [b"\\", b"a\\E", b"\\X4\\", b"\\.br\\", b"\\H\\x\\N\\", b"\\Zabc\\"])
def test_odd_escapes_give_text_never_an_error(raw: bytes) -> None:
    msg = hl7rs.parse(HEAD + b"OBX|1|ST|||" + raw + b"\r")
    assert isinstance(msg["OBX-5"], str)


def test_write_then_read_gives_the_value_back() -> None:
    msg = hl7rs.parse(HEAD + b"PID|1\r")
    for value in ["a|b^c~d&e\\f", "line1\rline2", "\\E\\", "plain"]:
        msg["PID-5.1"] = value
        assert msg["PID-5.1"] == value
        assert b"\r" not in msg.segment("PID").raw  # type: ignore[union-attr]
