"""Paths: msg[path], get(), get_all(), absent values and bad paths."""

from __future__ import annotations

import pytest

import hl7rs


def test_getitem_and_get(adt: bytes) -> None:
    msg = hl7rs.parse(adt)
    assert msg["PID-3"] == "12345^^^HOSP^MR~98765^^^SSA^SS"
    assert msg["PID-3[2].4"] == "SSA"
    assert msg["PID-3.1"] == "12345"  # no repetition: the first
    assert msg["EVN[1]-1"] == "A01"
    assert msg.get("PID-3[2].1") == "98765"
    assert msg.get("PID-3[3].1") is None
    assert msg.get("PID-3[3].1", "n/a") == "n/a"
    assert msg["PID-4"] == ""  # present and empty is "" (not absent)


def test_absent_is_key_error(adt: bytes) -> None:
    msg = hl7rs.parse(adt)
    with pytest.raises(KeyError):
        msg["OBX-5"]
    with pytest.raises(KeyError):
        msg["PID-99"]


def test_get_all(adt: bytes) -> None:
    msg = hl7rs.parse(adt)
    assert msg.get_all("PID-3[*].1") == ["12345", "98765"]
    assert msg.get_all("OBX-3[*]") == []


@pytest.mark.parametrize("bad", ["", "PID-", "PID-x", "P", "PID-3[", "PID-3.1.2.3.4", "PID-3[0]x"])
def test_bad_path_is_path_error(adt: bytes, bad: str) -> None:
    msg = hl7rs.parse(adt)
    with pytest.raises(hl7rs.PathError) as e:
        msg[bad]
    assert e.value.path == bad
    assert isinstance(e.value.offset, int)
    with pytest.raises(hl7rs.PathError):
        msg.get(bad)
    assert isinstance(e.value, hl7rs.Hl7Error) and isinstance(e.value, ValueError)


def test_non_str_key_is_type_error(adt: bytes) -> None:
    msg = hl7rs.parse(adt)
    with pytest.raises(TypeError):
        msg[3]  # type: ignore[index]


def test_huge_and_negative_indexes_are_none(oru: bytes) -> None:
    msg = hl7rs.parse(oru)
    obx = msg.segment("OBX")
    assert obx is not None
    for n in [0, -1, -(10**30), 10**30, 2**64, 2**63]:
        assert obx[n] is None
        assert obx.field(n) is None
        assert obx[5][n] is None  # type: ignore[index]
        assert obx[5].repetitions[0][n] is None  # type: ignore[union-attr]
        assert msg.segment("OBX", n) is None
    with pytest.raises(TypeError):
        obx["5"]  # type: ignore[index]
    with pytest.raises(TypeError):
        obx[1.0]  # type: ignore[index]
