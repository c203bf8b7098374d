"""The exceptions of hl7rs.

Every error derives from :class:`Hl7Error`, itself a :class:`ValueError`. Texts and attributes hold
kinds, numbers, byte offsets, segment numbers and the path you gave — never field content, so they
are safe to log (no PHI).

>>> import hl7rs
>>> try:
...     hl7rs.parse(b"PID|1||12345\\r")
... except hl7rs.ParseError as e:
...     print(e, "| offset:", e.offset)
no MSH, FHS or BHS header at byte 0 | offset: 0
"""

from __future__ import annotations

from typing import Optional

__all__ = ["Hl7Error", "ParseError", "PathError", "LimitError", "MapError"]


class Hl7Error(ValueError):
    """Base class of every hl7rs error.

    Attributes (``None`` when not known or not relevant):

    - ``offset``: byte offset in the input (for a :class:`PathError`, the character in the path);
    - ``segment``: 1-based segment number in the input;
    - ``path``: the path text, for path errors;
    - ``index``: position of the failed input in ``parse_many`` / ``iter_messages``.
    """

    offset: Optional[int]
    segment: Optional[int]
    path: Optional[str]
    index: Optional[int]

    def __init__(
        self,
        message: str,
        *,
        offset: Optional[int] = None,
        segment: Optional[int] = None,
        path: Optional[str] = None,
        index: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.offset = offset
        self.segment = segment
        self.path = path
        self.index = index

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.args[0] if self.args else ''!r}, offset={self.offset!r}, "
            f"segment={self.segment!r}, path={self.path!r}, index={self.index!r})"
        )


class ParseError(Hl7Error):
    """The input is not an HL7 v2 message (or breaks a ``strict=True`` rule)."""


class PathError(Hl7Error):
    """A path such as ``PID-3[2].1`` that does not follow the grammar, or cannot be written to."""


class LimitError(Hl7Error):
    """A configured limit (message bytes, segments, fields, repetitions…) was exceeded."""


class MapError(Hl7Error):
    """The v2 → FHIR conversion failed (the matrix does not load, or the output is not FHIR R4)."""
