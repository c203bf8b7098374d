"""iter_messages (files, batches, MLLP) and parse_many (threads)."""

from __future__ import annotations

import pathlib

import pytest

import hl7rs

M1 = b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|C1|P|2.5\rPID|1||1\r"
M2 = b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|C2|P|2.5\rPID|1||2\r"


def test_batch_bytes() -> None:
    data = b"FHS|^~\\&|A\rBHS|^~\\&|A\r" + M1 + b"\r" + M2 + b"BTS|2\rFTS|1\r"
    msgs = list(hl7rs.iter_messages(data))
    assert [m.control_id for m in msgs] == ["C1", "C2"]
    assert msgs[0]["PID-3"] == "1"


def test_plain_multi_message_file(tmp_path: pathlib.Path) -> None:
    f = tmp_path / "two.hl7"
    f.write_bytes(M1.replace(b"\r", b"\n") + M2.replace(b"\r", b"\n"))
    assert [m.control_id for m in hl7rs.iter_messages(f)] == ["C1", "C2"]
    assert [m.control_id for m in hl7rs.iter_messages(str(f))] == ["C1", "C2"]


def test_missing_file_is_os_error(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FileNotFoundError):
        hl7rs.iter_messages(tmp_path / "absent.hl7")


def test_mllp_capture() -> None:
    data = b"junk\x0b" + M1 + b"\x1c\r\x0b\x06\x1c\r\x0b" + M2 + b"\x1c\r"
    assert [m.control_id for m in hl7rs.iter_messages(b"\x0b" + M1 + b"\x1c\r" + data[4:])] == ["C1", "C1", "C2"]


def test_mllp_truncated_frame() -> None:
    it = hl7rs.iter_messages(b"\x0b" + M1 + b"\x1c\r\x0b" + M2[:20])
    assert next(it).control_id == "C1"
    with pytest.raises(hl7rs.ParseError) as e:
        next(it)
    assert e.value.offset is not None
    assert list(hl7rs.iter_messages(b"\x0b" + M2[:20], errors="return"))[0].__class__ is hl7rs.ParseError


def test_batch_errors_in_place() -> None:
    data = M1 + b"MSH|^\rPID|1\r" + M2
    items = list(hl7rs.iter_messages(data, errors="return"))
    assert [type(i).__name__ for i in items] == ["Message", "ParseError", "Message"]
    err = items[1]
    assert isinstance(err, hl7rs.ParseError) and err.index == 1 and err.offset == len(M1) + 5
    with pytest.raises(hl7rs.ParseError):
        list(hl7rs.iter_messages(data))
    with pytest.raises(ValueError):
        hl7rs.iter_messages(data, errors="ignore")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        hl7rs.iter_messages(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [0, 1, 17, 1000])
def test_parse_many_keeps_order(n: int) -> None:
    items = [M1.replace(b"C1", f"N{i}".encode()) for i in range(n)]
    msgs = hl7rs.parse_many(items)
    assert [m.control_id for m in msgs] == [f"N{i}" for i in range(n)]


def test_parse_many_reports_the_first_error_of_many() -> None:
    items = [M1] * 2000
    items[1500] = b"nope"
    items[300] = b"MSH|^"
    with pytest.raises(hl7rs.ParseError) as e:
        hl7rs.parse_many(items)
    assert e.value.index == 300
    out = hl7rs.parse_many(items, errors="return")
    assert [i for i, m in enumerate(out) if isinstance(m, hl7rs.ParseError)] == [300, 1500]


def test_parse_shares_bytes_and_copies_bytearray() -> None:
    data = bytes(M1)
    assert hl7rs.parse(data).raw is data
    assert all(m.raw is d for m, d in zip(hl7rs.parse_many([data] * 40), [data] * 40))
    mutable = bytearray(M1)
    msg = hl7rs.parse(mutable)
    mutable[:3] = b"XXX"
    assert msg.raw == M1 and msg.control_id == "C1"
    assert hl7rs.parse(M1.decode()).raw == M1


def test_parse_many_errors() -> None:
    items = [M1] * 40 + [b"nope"] + [M2.decode()] * 40
    with pytest.raises(hl7rs.ParseError) as e:
        hl7rs.parse_many(items)
    assert e.value.index == 40
    out = hl7rs.parse_many(items, errors="return")
    assert isinstance(out[40], hl7rs.ParseError)
    assert out[41].control_id == "C2"
    assert hl7rs.parse_many(iter([M1]), strict=True)[0].control_id == "C1"
    with pytest.raises(hl7rs.ParseError):
        hl7rs.parse_many([M1.replace(b"\r", b"\n")], strict=True)
