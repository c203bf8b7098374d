"""hl7rs: fast, lossless HL7 v2 parsing for Python, backed by the Rust hl7rs library.

Parse, read values by path (decoded text: escapes and charset), walk segments:

>>> import hl7rs
>>> msg = hl7rs.parse(
...     b"MSH|^~\\\\&|LAB|HOSP|EHR|HOSP|20240101120000||ORU^R01|MSG1|P|2.5.1\\r"
...     b"PID|1||12345^^^HOSP^MR~98765^^^SSA^SS||O'Brien\\\\T\\\\Sons^Mary\\r"
...     b"OBX|1|NM|GLU||5.4\\rOBX|2|NM|K||4.1\\r"
... )
>>> msg["PID-5.1"]
"O'Brien&Sons"
>>> msg.get("PID-3[2].1")
'98765'
>>> msg.get("PID-3[3].1") is None
True
>>> [str(obx[5]) for obx in msg.segments("OBX")]
['5.4', '4.1']
>>> len(msg), msg.message_type, msg.control_id, msg.version
(4, 'ORU^R01', 'MSG1', '2.5.1')
>>> msg.to_er7() == msg.raw
True

Views are 1-based like the standard; 0 or a number past the end gives ``None``:

>>> pid = msg.segment("PID")
>>> pid.id, str(pid[3]), str(pid[3][1]), pid[0], pid[10**30]
('PID', '12345^^^HOSP^MR~98765^^^SSA^SS', '12345', None, None)
>>> [str(r[4]) for r in pid[3].repetitions]
['HOSP', 'SSA']

Editing escapes on write:

>>> msg["PID-5.1"] = "Smith|Jones"
>>> msg.segment("PID").raw
b'PID|1||12345^^^HOSP^MR~98765^^^SSA^SS||Smith\\\\F\\\\Jones^Mary'
>>> msg["PID-5.1"]
'Smith|Jones'

The JSON tree (the same as ``hl7rs parse --json``):

>>> msg.to_dict()["segments"][1]["fields"][4]
[['Smith|Jones', 'Mary']]

Validation and acknowledgments:

>>> [(d.code, d.segment, d.field) for d in hl7rs.validate(msg)][:1]
[(100, 'OBR', None)]
>>> hl7rs.ack(msg, "AA", control_id="ACK1", timestamp="20240101120001").split(b"\\r")[1]
b'MSA|AA|MSG1'

FHIR R4 through the built-in mapping matrix (the V2-to-FHIR IG's rows):

>>> bundle = hl7rs.to_fhir(msg)
>>> bundle["type"], bundle["entry"][0]["resource"]["resourceType"]
('message', 'MessageHeader')
>>> [e["resource"]["name"][0]["family"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
['Smith|Jones']

Errors carry offsets, never content:

>>> hl7rs.parse(b"")
Traceback (most recent call last):
  ...
hl7rs._errors.ParseError: empty input at byte 0
"""

from __future__ import annotations

from ._arrow import to_arrow, to_pandas
from ._errors import Hl7Error, LimitError, MapError, ParseError, PathError
from ._native import (
    Component,
    Diagnostic,
    Engine,
    Field,
    Message,
    MessageIterator,
    Note,
    Repetition,
    Segment,
    Subcomponent,
    ack,
    convert_many,
    iter_messages,
    parse,
    parse_many,
    to_fhir,
    validate,
)

__all__ = [
    "Component",
    "Diagnostic",
    "Engine",
    "Field",
    "Hl7Error",
    "LimitError",
    "MapError",
    "Message",
    "MessageIterator",
    "Note",
    "ParseError",
    "PathError",
    "Repetition",
    "Segment",
    "Subcomponent",
    "ack",
    "convert_many",
    "iter_messages",
    "parse",
    "parse_many",
    "to_arrow",
    "to_fhir",
    "to_pandas",
    "validate",
]
