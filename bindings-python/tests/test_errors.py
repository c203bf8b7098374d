"""Errors: classes, attributes, no content in any text (canary), panics, hostile inputs (class 15)."""

from __future__ import annotations

import re
from typing import Any, Callable

import pytest

import hl7rs

# A unique token in every field, repetition, component and subcomponent, Z-segment included.
_counter = iter(range(10_000))


def tok() -> str:
    return f"CANARY{next(_counter):04d}X"


def canary_message() -> bytes:
    segs = [
        f"MSH|^~\\&|{tok()}|{tok()}|{tok()}|{tok()}|20240101||ADT^A01|{tok()}|P|2.5.1",
        f"EVN|A01|{tok()}",
        f"PID|1||{tok()}^^^{tok()}^MR~{tok()}^^^{tok()}||{tok()}^{tok()}&{tok()}||19801301|{tok()}",
        f"NK1|1|{tok()}^{tok()}|{tok()}",
        f"OBX|1|ST|{tok()}^{tok()}||{tok()}~{tok()}|{tok()}",
        f"ZPD|{tok()}^{tok()}&{tok()}~{tok()}|{tok()}",
    ]
    return ("\r".join(segs) + "\r").encode()


CANARY = re.compile(r"CANARY\d{4}X")


def texts_of(obj: Any) -> list[str]:
    return [str(obj), repr(obj)] + [str(a) for a in getattr(obj, "args", ())]


def assert_clean(obj: Any) -> None:
    for t in texts_of(obj):
        assert not CANARY.search(t), f"content leaked into {type(obj).__name__}: {t[:80]}"


def raised(f: Callable[[], Any]) -> BaseException:
    with pytest.raises(BaseException) as e:
        f()
    return e.value


def test_hierarchy() -> None:
    for cls in (hl7rs.ParseError, hl7rs.PathError, hl7rs.LimitError, hl7rs.MapError):
        assert issubclass(cls, hl7rs.Hl7Error)
    assert issubclass(hl7rs.Hl7Error, ValueError)


def test_canary_every_error_is_content_free() -> None:
    raw = canary_message()
    msg = hl7rs.parse(raw)
    assert CANARY.search(msg["PID-5.1"])  # the tokens are there to be found
    errors: list[BaseException] = [
        raised(lambda: hl7rs.parse(raw.replace(b"MSH|^~\\&", b"MSH|^^\\&"), strict=True)),  # duplicate
        raised(lambda: hl7rs.parse(raw.replace(b"MSH|^~\\&", b"MSH|^"))),  # too few encoding characters
        raised(lambda: hl7rs.parse(raw.replace(b"MSH", b"XXX"))),  # no header
        raised(lambda: hl7rs.parse(raw.replace(b"\r", b"\n"), strict=True)),  # LF in strict mode
        raised(lambda: hl7rs.parse(b"junk" + raw, strict=True)),  # leading junk
        raised(lambda: hl7rs.parse(raw + b"\n" + raw.replace(b"\r", b"\n"), strict=True)),
        raised(lambda: hl7rs.parse(raw.replace(b"OBX|1|ST|", b"OBX|1|ST|" + b"^" * 1_001))),  # components
        raised(lambda: hl7rs.parse(raw.replace(b"ZPD|", b"ZPD|" + b"~" * 10_001))),  # repetitions
        raised(lambda: hl7rs.parse(raw + b"ZZZ|1\r" * 50_000)),  # segments
        raised(lambda: hl7rs.parse("MSH|^~\\&|A\rPID|\udcff" + raw.decode())),  # lone surrogate
        raised(lambda: msg["PID-"]),  # bad path
        raised(lambda: msg["ZPD-9"]),  # absent: KeyError with the path only
        raised(lambda: msg.__setitem__("MSH-2", "x")),  # header delimiters
        raised(lambda: msg.__setitem__("PID-0", "x")),  # zero index
        raised(lambda: msg.__setitem__("PID-3[*]", "x")),  # all repetitions
        raised(lambda: msg.__setitem__("PID-3", "\udcff")),  # lone surrogate value
        raised(lambda: msg.__setitem__("PID-99999", "x")),  # limit
        raised(lambda: hl7rs.ack(hl7rs.parse(raw.replace(b"ADT^A01", b"ACK^A01")))),  # ACK to an ACK
        raised(lambda: hl7rs.parse_many([raw, raw[:3]])),
        raised(lambda: list(hl7rs.iter_messages(b"\x0b" + raw))),  # truncated MLLP frame
        raised(hl7rs._native._raise_panic_for_test),
    ]
    kinds = {type(e).__name__ for e in errors}
    assert {"ParseError", "PathError", "LimitError", "Hl7Error", "KeyError"} <= kinds
    for e in errors:
        assert_clean(e)
    returned = hl7rs.parse_many([raw, b"MSH|^", raw.replace(b"MSH", b"XXX")], errors="return")
    assert isinstance(returned[1], hl7rs.ParseError) and returned[1].index == 1
    for item in returned[1:]:
        assert_clean(item)
    found = hl7rs.validate(msg)
    assert found
    for d in found:
        assert_clean(d)
    for note in hl7rs.parse(b"x" + raw + b"\x1c\r").notes:
        assert_clean(note)
    ack = hl7rs.ack(msg, "AE", control_id="A1", timestamp="20240101")
    # The ACK echoes MSH-10 in MSA-2 (the protocol requires it) and the header's sender ids;
    # the ERR and MSA-3 parts must hold no other content.
    tail = ack.split(b"MSA|", 1)[1].decode()
    assert CANARY.findall(tail) == [msg["MSH-10"]]
    for view in [msg.segment("PID"), msg.segment("PID")[3], msg.segment("ZPD")[1][1]]:  # type: ignore[index]
        assert not CANARY.search(repr(view))
    assert not CANARY.search(repr(msg))


def test_error_attributes() -> None:
    e = raised(lambda: hl7rs.parse(b"MSH|^~\\&|A\rPID|1\rbad line\r", strict=True))
    assert isinstance(e, hl7rs.ParseError)
    assert (e.offset, e.segment, e.path) == (17, 2, None)
    assert repr(e) == "ParseError('line does not start with a segment id at byte 17', offset=17, segment=2, path=None, index=None)"
    p = raised(lambda: hl7rs.parse(b"MSH|^~\\&|A\r")["PID-x"])
    assert isinstance(p, hl7rs.PathError)
    assert (p.offset, p.path) == (3, "PID-x")
    lim = raised(lambda: hl7rs.parse(b"MSH|^~\\&|A\r" + b"Z01|1\r" * 50_000))
    assert isinstance(lim, hl7rs.LimitError)
    assert lim.offset is not None and lim.segment == 50_001


def test_panic_is_hl7_error_not_panic_exception() -> None:
    e = raised(hl7rs._native._raise_panic_for_test)
    assert type(e) is hl7rs.Hl7Error
    assert "internal error" in str(e)


@pytest.mark.parametrize(
    "data",
    [b"", b"MSHH0\r", b"MSH", b"MSH|", b"MSH|^|||||||^A|||2.2\r^AA", b"\x0b\x1c\r", b" \r\n\t", b"\x00" * 10],
)
def test_degenerate_headers_are_parse_errors(data: bytes) -> None:
    with pytest.raises(hl7rs.ParseError):
        hl7rs.parse(data)


def test_class15_str_vs_bytes() -> None:
    # str is encoded as UTF-8; bytes are kept: the same text gives the same bytes.
    s = "MSH|^~\\&|A\rPID|1||||Zoë\r"
    assert hl7rs.parse(s).raw == s.encode("utf-8")
    assert hl7rs.parse(s.encode("latin-1"))["PID-5"] == "Zoë"  # sniffed as windows-1252
    with pytest.raises(hl7rs.ParseError) as e:
        hl7rs.parse("MSH|^~\\&|A\rPID|1||||\ud800\r")
    assert "surrogate" in str(e.value)
    with pytest.raises(TypeError):
        hl7rs.parse(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        hl7rs.parse(memoryview(b"MSH|^~\\&|A\r"))  # type: ignore[arg-type]


def test_class15_surrogates_in_arguments_are_value_errors(adt: bytes) -> None:
    msg = hl7rs.parse(adt)
    with pytest.raises(hl7rs.ParseError):
        msg["PID-\udcff"]
    for call in (lambda: msg.get("\udcff"), lambda: msg.segments("\ud800"), lambda: msg.segment("\ud800")):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(ValueError):
        hl7rs.parse_many(["MSH|^~\\&|A\r", "\udcff"])


def test_limits() -> None:
    data = b"MSH|^~\\&|A\r" + b"OBX|1\r" * 10
    assert len(hl7rs.parse(data, limits={"max_segments": 11})) == 11
    with pytest.raises(hl7rs.LimitError) as e:
        hl7rs.parse(data, limits={"max_segments": 10})
    assert e.value.segment == 11
    with pytest.raises(hl7rs.LimitError):
        hl7rs.parse(b"MSH|^~\\&|A\rOBX|1|" + b"x" * 100 + b"\r", limits={"max_field_bytes": 50})
    with pytest.raises(hl7rs.LimitError):
        list(hl7rs.iter_messages(data, limits={"max_message_bytes": 20}))
    with pytest.raises(hl7rs.LimitError):
        hl7rs.parse_many([data], limits={"max_segments": 2})
    # A huge limit is the library's ceiling, never an OverflowError.
    assert len(hl7rs.parse(data, limits={"max_segments": 10**40})) == 11
    with pytest.raises(ValueError):
        hl7rs.parse(data, limits={"max_segments": -1})
    with pytest.raises(ValueError):
        hl7rs.parse(data, limits={"max_segments": -(10**40)})
    with pytest.raises(ValueError):
        hl7rs.parse(data, limits={"max_apples": 1})
    with pytest.raises(TypeError):
        hl7rs.parse(data, limits={"max_segments": "1"})  # type: ignore[dict-item]
