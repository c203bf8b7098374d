"""Shared sample messages for the hl7rs tests."""

from __future__ import annotations

import pytest

ADT = (
    b"MSH|^~\\&|ADT|HOSP|EHR|HOSP|20240131093000-0500||ADT^A01^ADT_A01|MSG1|P|2.5.1\r"
    b"EVN|A01|20240131093000-0500\r"
    b"PID|1||12345^^^HOSP^MR~98765^^^SSA^SS||O'Brien\\T\\Sons^Mary||19800115|F\r"
    b"PV1|1|I\r"
)

ORU = (
    b"MSH|^~\\&|LAB|H|EHR|H|20240101||ORU^R01|CTRL1|P|2.5.1\r"
    b"PID|1||123^^^H^MR||DOE^JANE\r"
    b"OBR|1\r"
    b"OBX|1|NM|GLU^Glucose||5.4|mmol/L\r"
    b"NTE|1||fasting\r"
    b"OBX|2|ST|K^Potassium||a\\F\\b~c&d\r"
    b"ZPD|z1^z2&z3\r"
)


@pytest.fixture
def adt() -> bytes:
    return ADT


@pytest.fixture
def oru() -> bytes:
    return ORU
