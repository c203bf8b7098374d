"""Charsets: MSH-18 decides how values are decoded; sniffed when undeclared; RELIABILITY.md class 8."""

from __future__ import annotations

import pytest

import hl7rs


def test_latin1_declared() -> None:
    msg = hl7rs.parse(b"MSH|^~\\&|A|||||||||2.5||||||8859/1\rPID|1||||M\xfcller\\T\\Co^J\xfcrgen\r")
    assert msg["PID-5.1"] == "Müller&Co"
    assert msg["PID-5.2"] == "Jürgen"


def test_undeclared_non_utf8_is_sniffed() -> None:
    msg = hl7rs.parse(b"MSH|^~\\&|A\rPID|1||||M\xfcller\r")
    assert msg["PID-5"] == "Müller"


def test_utf8_str_input() -> None:
    msg = hl7rs.parse("MSH|^~\\&|A|||||||||2.5||||||UNICODE UTF-8\rPID|1||||Zoë^Ådne\r")
    assert msg["PID-5.1"] == "Zoë"
    assert msg["PID-5.2"] == "Ådne"


def test_iso_2022_jp() -> None:
    name = "山田".encode("iso2022_jp")
    msg = hl7rs.parse(b"MSH|^~\\&|A|||||||||2.5||||||ISO IR87\rPID|1||||" + name + b"^Taro\r")
    assert msg["PID-5.1"] == "山田"
    assert msg["PID-5.2"] == "Taro"


def test_invalid_utf8_declared_gives_replacement_characters() -> None:
    msg = hl7rs.parse(b"MSH|^~\\&|A|||||||||2.5||||||UNICODE UTF-8\rPID|1||||a\xffb\r")
    assert msg["PID-5"] == "a\ufffdb"


def test_utf16_is_refused() -> None:
    data = "MSH|^~\\&|A\rPID|1\r".encode("utf-16")
    with pytest.raises(hl7rs.ParseError) as e:
        hl7rs.parse(data)
    assert "unsupported encoding" in str(e.value)


def test_edit_writes_in_the_message_charset() -> None:
    msg = hl7rs.parse(b"MSH|^~\\&|A|||||||||2.5||||||8859/1\rPID|1\r")
    msg["PID-5.1"] = "Müller"
    assert msg.segment("PID").raw == b"PID|1||||M\xfcller"  # type: ignore[union-attr]
    assert msg["PID-5.1"] == "Müller"


def test_bom_and_nul() -> None:
    msg = hl7rs.parse(b"\xef\xbb\xbfMSH|^~\\&|A\rPID|1||a\x00b\r")
    assert msg["PID-3"] == "a\x00b"
    assert [n.kind for n in msg.notes] == ["leading_bytes", "bom"]
