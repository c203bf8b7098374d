"""parse(): inputs, segments, views, round trip, JSON tree, notes, conveniences."""

from __future__ import annotations

import json

import pytest

import hl7rs


def test_bytes_and_str_give_the_same_message(adt: bytes) -> None:
    a = hl7rs.parse(adt)
    b = hl7rs.parse(adt.decode("ascii"))
    assert a.raw == b.raw == adt
    assert a["PID-3[1].1"] == b["PID-3[1].1"] == "12345"


def test_bytearray_is_accepted(adt: bytes) -> None:
    assert len(hl7rs.parse(bytearray(adt))) == 4


def test_other_types_are_a_type_error() -> None:
    with pytest.raises(TypeError):
        hl7rs.parse(42)  # type: ignore[arg-type]


def test_segments_iteration_and_len(oru: bytes) -> None:
    msg = hl7rs.parse(oru)
    assert len(msg) == 7
    assert [s.id for s in msg] == ["MSH", "PID", "OBR", "OBX", "NTE", "OBX", "ZPD"]
    assert [s.id for s in msg.segments()] == [s.id for s in msg]
    assert [str(s[1]) for s in msg.segments("OBX")] == ["1", "2"]
    assert msg.segments("XXX") == []
    assert msg.segment("OBX", 2) is not None
    assert str(msg.segment("OBX", 2)[1]) == "2"  # type: ignore[index]
    assert msg.segment("OBX", 3) is None
    assert msg.segment("OBX", 0) is None
    assert msg.segment("OBX", -1) is None
    assert msg.segment("OBX", 10**40) is None


def test_segment_views(oru: bytes) -> None:
    msg = hl7rs.parse(oru)
    obx = msg.segments("OBX")[0]
    assert obx.id == "OBX"
    assert obx.raw == b"OBX|1|NM|GLU^Glucose||5.4|mmol/L"
    assert str(obx) == "OBX|1|NM|GLU^Glucose||5.4|mmol/L"
    assert obx.offset == oru.index(b"OBX|1")
    assert len(obx) == 6
    assert [str(f) for f in obx.fields] == ["1", "NM", "GLU^Glucose", "", "5.4", "mmol/L"]
    assert [str(f) for f in obx] == [str(f) for f in obx.fields]
    assert str(obx.field(3)) == "GLU^Glucose"
    assert obx[0] is None and obx[7] is None and obx[-1] is None
    assert repr(obx) == f"<hl7rs.Segment OBX at byte {obx.offset}>"


def test_msh_fields_are_numbered_as_in_the_standard(adt: bytes) -> None:
    msh = hl7rs.parse(adt).segment("MSH")
    assert msh is not None
    assert str(msh[1]) == "|"
    assert msh[2].raw == b"^~\\&"  # type: ignore[union-attr]
    assert str(msh[9]) == "ADT^A01^ADT_A01"


def test_field_repetition_component_subcomponent(oru: bytes) -> None:
    msg = hl7rs.parse(oru)
    obx5 = msg.segment("OBX", 2)[5]  # type: ignore[index]
    assert obx5 is not None
    assert obx5.raw == b"a\\F\\b~c&d"
    assert [r.raw for r in obx5.repetitions] == [b"a\\F\\b", b"c&d"]
    rep2 = obx5.repetitions[1]
    assert [str(c) for c in rep2.components] == ["c&d"]
    comp = rep2[1]
    assert comp is not None
    assert [str(s) for s in comp.subcomponents] == ["c", "d"]
    assert str(comp[2]) == "d"
    assert comp[3] is None and comp[0] is None
    assert comp.offset == oru.index(b"c&d")
    assert comp.subcomponents[1].offset == oru.index(b"c&d") + 2
    # A field indexes the components of its first repetition, like the path PID-5.1.
    pid5 = msg.segment("PID")[5]  # type: ignore[index]
    assert [str(c) for c in pid5] == ["DOE", "JANE"]  # type: ignore[union-attr]
    assert len(pid5) == 2  # type: ignore[arg-type]
    assert str(pid5[2]) == "JANE"  # type: ignore[index]


def test_round_trip_is_byte_exact() -> None:
    for raw in [
        b"MSH|^~\\&|A\nPID|1\n",
        b"MSH|^~\\&|A\r\nPID|1\r\n",
        b"\x0bMSH|^~\\&|A\rPID|1\r\x1c\r",
        b"MSH|^~\\&|A\rPID|1",
    ]:
        msg = hl7rs.parse(raw)
        assert msg.to_er7() == raw
        assert msg.raw == raw


def test_to_dict_and_to_json(oru: bytes) -> None:
    msg = hl7rs.parse(oru)
    tree = msg.to_dict()
    assert tree["offset"] == 0
    assert tree["segments"][0]["fields"][1] == "^~\\&"
    obx2 = tree["segments"][5]
    assert obx2["id"] == "OBX"
    assert obx2["fields"][4] == ["a|b", [["c", "d"]]]
    assert json.loads(msg.to_json()) == tree


def test_notes_are_content_free() -> None:
    msg = hl7rs.parse(b"junk\x0bMSH|^~\\&|A\rPID|1\r\x1c\r")
    kinds = [n.kind for n in msg.notes]
    assert kinds == ["leading_bytes", "trailing_bytes"]
    assert msg.notes[0].offset == 0
    assert "skipped" in msg.notes[0].text
    assert str(msg.notes[0]) == msg.notes[0].text
    assert repr(msg.notes[0]) == "<hl7rs.Note leading_bytes at byte 0>"
    assert hl7rs.parse(b"MSH|^~\\&|A\r").notes == []


def test_conveniences(adt: bytes) -> None:
    msg = hl7rs.parse(adt)
    assert msg.message_type == "ADT^A01^ADT_A01"
    assert msg.control_id == "MSG1"
    assert msg.version == "2.5.1"
    bare = hl7rs.parse(b"MSH|^~\\&|A\r")
    assert bare.message_type is None and bare.control_id is None and bare.version is None
    assert repr(msg) == f"<hl7rs.Message: 4 segments, {len(adt)} bytes>"


def test_strict() -> None:
    lf = b"MSH|^~\\&|A\nPID|1\n"
    assert len(hl7rs.parse(lf)) == 2
    with pytest.raises(hl7rs.ParseError) as e:
        hl7rs.parse(lf, strict=True)
    assert e.value.offset == 10


def test_validate_and_ack() -> None:
    msg = hl7rs.parse(b"MSH|^~\\&|LAB|H|EHR|H|20240101||ORU^R01|CTRL1|P|2.5.1\rPID|1||123^^^H^MR||DOE^JANE||19801301\r")
    found = hl7rs.validate(msg)
    month13 = [d for d in found if d.code == 102]
    assert month13 and month13[0].segment == "PID" and month13[0].field == 7
    assert month13[0].severity == "E"
    assert month13[0].offset > 0
    assert "102" in str(month13[0])
    aa = hl7rs.ack(msg, control_id="A1", timestamp="20240101120000")
    assert aa.startswith(b"MSH|^~\\&|EHR|H|LAB|H|20240101120000||ACK^R01^ACK|A1|P|2.5.1\r")
    assert b"MSA|AA|CTRL1\r" in aa
    ae = hl7rs.ack(msg, "AE", control_id="A2", timestamp="20240101120000")
    assert b"MSA|AE|CTRL1" in ae and b"207" in ae
    ar = hl7rs.ack(msg, "AR", control_id="A3", timestamp="20240101120000")
    assert b"MSA|AR|CTRL1" in ar
    assert hl7rs.parse(hl7rs.ack(msg)).control_id.startswith("ACK")  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        hl7rs.ack(msg, "XX")  # type: ignore[arg-type]
    incoming_ack = hl7rs.parse(b"MSH|^~\\&|A|B|C|D|||ACK^A01^ACK|9|P|2.5\rMSA|AA|1\r")
    with pytest.raises(hl7rs.Hl7Error):
        hl7rs.ack(incoming_ack)
