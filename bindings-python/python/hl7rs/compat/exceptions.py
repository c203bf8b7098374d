"""The exception classes of python-hl7, under the same names.

Texts name what is wrong and where (segment ids, numbers), never field content.
"""

from __future__ import annotations

__all__ = [
    "HL7Exception",
    "MalformedBatchException",
    "MalformedFileException",
    "MalformedSegmentException",
    "ParseException",
]


class HL7Exception(Exception):
    """Base class of the compat layer's own errors."""


class MalformedSegmentException(HL7Exception):
    """A header or trailer segment of the wrong kind was given to a batch or file."""


class MalformedBatchException(HL7Exception):
    """A batch has a header without a trailer or the reverse."""


class MalformedFileException(HL7Exception):
    """A file has a header without a trailer or the reverse."""


class ParseException(HL7Exception):
    """The text is not an HL7 message, batch or file (the hl7rs error, if any, is ``__cause__``)."""
