"""``parse``, ``parse_batch``, ``parse_file``, ``parse_hl7``: text to containers.

A message is tokenized by the hl7rs parser (``hl7rs._native._compat_split``): header and
delimiters read from MSH-1/MSH-2, segments ended by ``\\r``, ``\\n`` or ``\\r\\n``, MLLP bytes and
whitespace around the message ignored, the library's size limits applied.
"""

from __future__ import annotations

import re
from typing import Any, Callable, List, Optional, Type, Union

from .. import _native
from .._errors import Hl7Error
from .containers import Batch, Factory, File, Message
from .exceptions import ParseException
from .util import isbatch, isfile, ishl7

__all__ = ["create_parse_plan", "parse", "parse_batch", "parse_file", "parse_hl7"]

_LINES = re.compile(r"\r\n|\r|\n")
_HEADERS = ("MSH", "FHS", "BHS")


def _text(lines: Union[str, bytes], encoding: str) -> str:
    if not isinstance(lines, bytes):
        return lines
    try:
        return lines.decode(encoding)
    except UnicodeDecodeError as e:
        # The original error holds the whole input (``.object``) and prints the bad byte: keep
        # only where and why.
        raise UnicodeDecodeError(e.encoding, b"", e.start, e.end, e.reason) from None


def _delimiters(text: str) -> tuple[str, str]:
    """python-hl7's ``(separators, escape)`` for a text starting with a header."""
    field = text[3:4]
    end = text.find(field, 4) if field else -1
    enc = text[4:end] if end >= 0 else text[4:]
    rep = enc[1] if len(enc) > 1 else "~"
    comp = enc[0] if enc else "^"
    sub = enc[3] if len(enc) > 3 else "&"
    esc = enc[2] if len(enc) > 2 else "\\"
    return "\r" + field + rep + comp + sub, esc


def _split_py(text: str) -> tuple[str, str, list[Any]]:
    """The tokenizing of ``_compat_split`` in Python, for text the Rust scanner cannot take as is
    (a lead-byte charset declared in MSH-18 and already decoded to ``str``)."""
    seps, esc = _delimiters(text)
    fsep, rsep, csep, ssep = seps[1], seps[2], seps[3], seps[4]

    def has(s: str, chars: str) -> bool:
        return any(c in s for c in chars)

    def field(f: str) -> Any:
        if not has(f, rsep + csep + ssep):
            return f
        reps: list[Any] = []
        for r in f.split(rsep):
            if not has(r, csep + ssep):
                reps.append(r)
            else:
                reps.append([c.split(ssep) if ssep in c else c for c in r.split(csep)])
        return reps

    segments: list[Any] = []
    for line in _LINES.split(text):
        if not line:
            continue
        if not has(line, fsep + rsep + csep + ssep):
            segments.append(line)
            continue
        if line[:3] in _HEADERS:
            rest = line[4:].split(fsep, 1)
            items: list[Any] = [line[:3], fsep, rest[0]]
            if len(rest) > 1:
                items += [field(f) for f in rest[1].split(fsep)]
        else:
            items = [field(f) for f in line.split(fsep)]
        segments.append(items)
    return seps, esc, segments


def _build(tree: list[Any], seps: str, esc: str, factory: Type[Factory]) -> Message:
    kw: dict[str, Any] = {"esc": esc, "separators": seps, "factory": factory}
    make_seg: Callable[..., Any] = factory.create_segment
    make_field: Callable[..., Any] = factory.create_field
    make_rep: Callable[..., Any] = factory.create_repetition
    make_comp: Callable[..., Any] = factory.create_component

    def comp(node: Any) -> Any:
        return make_comp(sequence=[node] if isinstance(node, str) else node, **kw)

    def rep(node: Any) -> Any:
        if isinstance(node, str):
            return make_rep(sequence=[node], **kw)
        return make_rep(sequence=[comp(c) for c in node], **kw)

    def field(node: Any) -> Any:
        if isinstance(node, str):
            return make_field(sequence=[node], **kw)
        return make_field(sequence=[rep(r) for r in node], **kw)

    segments = []
    for seg in tree:
        if isinstance(seg, str):
            segments.append(make_seg(sequence=[seg], **kw))
        else:
            segments.append(make_seg(sequence=[field(f) for f in seg], **kw))
    return factory.create_message(sequence=segments, **kw)  # type: ignore[no-any-return]


def parse(lines: Union[str, bytes], encoding: str = "utf-8", factory: Type[Factory] = Factory) -> Message:
    """One message as a ``Message`` (``bytes`` are decoded with ``encoding`` first).

    >>> from hl7rs import compat as hl7
    >>> msg = hl7.parse("MSH|^~\\\\&|LAB|H|||20240101||ORU^R01|C1|P|2.5\\rPID|1||12^^^H~34^^^S||DOE^JANE\\r")
    >>> msg["PID.F5.R1.C2"], msg.segment("PID")[3][1][0][0], str(msg.segment("PID")(5))
    ('JANE', '34', 'DOE^JANE')
    >>> str(msg) == "MSH|^~\\\\&|LAB|H|||20240101||ORU^R01|C1|P|2.5\\rPID|1||12^^^H~34^^^S||DOE^JANE\\r"
    True

    ``ParseException`` when the text does not start with ``MSH``, ``FHS`` or ``BHS`` or when hl7rs
    refuses it (the hl7rs error, with its byte offset, is the ``__cause__``).
    """
    text = _text(lines, encoding).strip()
    if text[:3] not in _HEADERS:
        raise ParseException("First segment must be one of MSH, FHS or BHS")
    try:
        split = _native._compat_split(text)
    except Hl7Error as e:
        raise ParseException(f"not an HL7 message: {e}") from e
    seps, esc, tree = split if split is not None else _split_py(text)
    return _build(tree, seps, esc, factory)


def _envelope(kind: Type[Any], header: Optional[str], items: list[Any], encoding: str, factory: Type[Factory]) -> Any:
    """A ``Batch`` or ``File`` of ``items`` with the header (and trailer) segments in ``header``."""
    make = factory.create_batch if kind is Batch else factory.create_file
    if not header:
        return make(sequence=items)
    env = parse(header, encoding=encoding, factory=factory)
    out = make(sequence=items, esc=env.esc, separators=env.separators, factory=env.factory)
    head_id, tail_id = ("BHS", "BTS") if kind is Batch else ("FHS", "FTS")
    out.header = env.segment(head_id)
    try:
        out.trailer = env.segment(tail_id)
    except KeyError:
        out.trailer = out.create_trailer()
    return out


def _lines(text: str) -> List[str]:
    return [line.strip() for line in _LINES.split(text.strip()) if line.strip()]


def parse_batch(lines: Union[str, bytes], encoding: str = "utf-8", factory: Type[Factory] = Factory) -> Batch:
    """A batch (``BHS``/``BTS`` optional) as a ``Batch`` of ``Message``.

    >>> from hl7rs import compat as hl7
    >>> b = hl7.parse_batch("BHS|^~\\\\&|A\\rMSH|^~\\\\&|A||||||ADT^A01|1|P|2.5\\rMSH|^~\\\\&|A||||||ADT^A01|2|P|2.5\\rBTS|2\\r")
    >>> len(b), b[1]["MSH.10"], b.trailer[1][0]
    (2, '2', '2')
    """
    text = _text(lines, encoding)
    header: Optional[str] = None
    messages: list[list[str]] = []
    for line in _lines(text):
        head = line[:3]
        if head == "BHS":
            if header:
                raise ParseException("Batch cannot have more than one BHS segment")
            header = line
        elif head == "BTS":
            if header and "\rBTS" not in header:
                header += "\r" + line
        elif head == "MSH":
            messages.append([line])
        elif messages:
            messages[-1].append(line)
        else:
            raise ParseException("Segment received before message header")
    parsed = [parse("\r".join(m), encoding=encoding, factory=factory) for m in messages]
    return _envelope(Batch, header, parsed, encoding, factory)  # type: ignore[no-any-return]


def parse_file(lines: Union[str, bytes], encoding: str = "utf-8", factory: Type[Factory] = Factory) -> File:
    """A batch file (``FHS``/``FTS`` optional) as a ``File`` of ``Batch``; messages outside any
    ``BHS`` go to a last batch without header.

    >>> from hl7rs import compat as hl7
    >>> f = hl7.parse_file("FHS|^~\\\\&\\rBHS|^~\\\\&\\rMSH|^~\\\\&|A||||||ADT^A01|1|P|2.5\\rBTS|1\\rFTS|1\\r")
    >>> len(f), len(f[0]), f.header[0][0]
    (1, 1, 'FHS')
    """
    text = _text(lines, encoding)
    header: Optional[str] = None
    batches: list[tuple[list[str], list[list[str]]]] = []
    loose: list[list[str]] = []
    in_batch = False
    for line in _lines(text):
        head = line[:3]
        if head == "FHS":
            if header:
                raise ParseException("File cannot have more than one FHS segment")
            header = line
        elif head == "FTS":
            if header and "\rFTS" not in header:
                header += "\r" + line
        elif head == "BHS":
            if in_batch:
                raise ParseException("Batch cannot have more than one BHS segment")
            batches.append(([line], []))
            in_batch = True
        elif head == "BTS":
            if in_batch:
                batches[-1][0].append(line)
                in_batch = False
        else:
            target = batches[-1][1] if in_batch else loose
            if head == "MSH":
                target.append([line])
            elif target:
                target[-1].append(line)
            else:
                raise ParseException("Segment received before message header")
    groups: list[tuple[Optional[str], list[list[str]]]] = [("\r".join(h), m) for h, m in batches]
    if loose:
        groups.append((None, loose))
    parsed = [
        _envelope(Batch, h, [parse("\r".join(m), encoding=encoding, factory=factory) for m in ms], encoding, factory)
        for h, ms in groups
    ]
    return _envelope(File, header, parsed, encoding, factory)  # type: ignore[no-any-return]


def parse_hl7(
    line: Union[str, bytes], encoding: str = "utf-8", factory: Type[Factory] = Factory
) -> Union[Message, Batch, File]:
    """A ``Message``, ``Batch`` or ``File``, whichever the text is (``ishl7``, ``isbatch``,
    ``isfile``); ``ValueError`` when it is none of them."""
    text = _text(line, encoding)
    if ishl7(text):
        return parse(text, encoding=encoding, factory=factory)
    if isbatch(text):
        return parse_batch(text, encoding=encoding, factory=factory)
    if isfile(text):
        return parse_file(text, encoding=encoding, factory=factory)
    raise ValueError("line is not HL7")


class _ParsePlan:
    """How one level of a message is split: its separator, all separators, and the container
    classes from this level down (python-hl7's plan object, kept for code that inspects it)."""

    def __init__(self, separator: str, separators: str, containers: list[Any], esc: str, factory: Type[Factory]):
        self.separator = separator
        self.separators = separators
        self.containers = containers
        self.esc = esc
        self.factory = factory

    def container(self, data: Any) -> Any:
        """A container of this level holding ``data``."""
        return self.containers[0](sequence=data, esc=self.esc, separators=self.separators, factory=self.factory)

    def next(self) -> Optional[_ParsePlan]:
        """The plan of the level below, or ``None`` at the last level."""
        if len(self.containers) < 2:
            return None
        sep = self.separators[self.separators.find(self.separator) + 1]
        return type(self)(sep, self.separators, self.containers[1:], self.esc, self.factory)

    def applies(self, text: str) -> bool:
        """Whether ``text`` holds this level's separator or a lower level's."""
        return any(s in text for s in self.separators[self.separators.find(self.separator) :])


def create_parse_plan(strmsg: str, factory: Type[Factory] = Factory) -> _ParsePlan:
    """The plan for a message text (delimiters from its header; defaults where MSH-2 is short)."""
    if strmsg[:3] not in _HEADERS:
        raise ParseException("First segment must be one of MSH, FHS or BHS")
    seps, esc = _delimiters(strmsg)
    containers = [
        factory.create_message,
        factory.create_segment,
        factory.create_field,
        factory.create_repetition,
        factory.create_component,
    ]
    return _ParsePlan(seps[0], seps, containers, esc, factory)
