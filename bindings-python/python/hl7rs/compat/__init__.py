"""hl7rs.compat: python-hl7's API (``import hl7``, version 0.4.5) on the hl7rs parser.

Change ``import hl7`` to ``from hl7rs import compat as hl7``: the same functions and ``list``
based containers, with messages tokenized by the Rust parser (``\\n`` and ``\\r\\n`` segment
endings, MLLP bytes around a message, size limits). Where the behaviour differs from python-hl7,
bindings-python/DIFFERENCES.md says how and why.

>>> from hl7rs import compat as hl7
>>> msg = hl7.parse("MSH|^~\\\\&|LAB|H|EHR|H|20240101||ORU^R01|C1|P|2.5\\rOBX|1|NM|GLU||5.4\\r")
>>> isinstance(msg, list), msg["OBX.F5"], msg.segment("OBX")[3]
(True, '5.4', ['GLU'])
>>> ack = msg.create_ack(message_id="A1")
>>> str(ack).split("\\r")[1]
'MSA|AA|C1'
"""

from __future__ import annotations

from . import client, mllp, parser, util, version
from .accessor import Accessor
from .containers import Batch, Component, Container, Factory, Field, File, Message, Repetition, Segment, Sequence
from .datatypes import parse_datetime
from .exceptions import (
    HL7Exception,
    MalformedBatchException,
    MalformedFileException,
    MalformedSegmentException,
    ParseException,
)
from .parser import parse, parse_batch, parse_file, parse_hl7
from .util import generate_message_control_id, isbatch, isfile, ishl7, split_file
from .version import get_version

__version__ = get_version()

#: The HL7 null value: a field present and explicitly empty.
NULL = '""'

__all__ = [
    "NULL",
    "Accessor",
    "Batch",
    "Component",
    "Container",
    "Factory",
    "Field",
    "File",
    "HL7Exception",
    "MalformedBatchException",
    "MalformedFileException",
    "MalformedSegmentException",
    "Message",
    "ParseException",
    "Repetition",
    "Segment",
    "Sequence",
    "client",
    "generate_message_control_id",
    "isbatch",
    "isfile",
    "ishl7",
    "mllp",
    "parse",
    "parse_batch",
    "parse_datetime",
    "parse_file",
    "parse_hl7",
    "parser",
    "split_file",
    "util",
    "version",
]
