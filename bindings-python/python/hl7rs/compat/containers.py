"""python-hl7's containers: ``list`` subclasses from ``File`` down to ``Component``.

A ``Message`` is a list of ``Segment``; a segment a list of ``Field`` (item 0 the id, so
``seg[3]`` is field 3); a field a list of strings or ``Repetition``; a repetition a list of
strings or ``Component``; a component a list of strings (subcomponents). A level is a list of
children only where its text held a delimiter: ``X`` is ``Field(["X"])``, ``X^Y`` is
``Field([Repetition([Component(["X"]), Component(["Y"])])])``. ``str()`` writes the text back.
"""

from __future__ import annotations

import datetime
from typing import Any, Iterable, Mapping, Optional, SupportsIndex, Type, Union

from .accessor import Accessor
from .exceptions import MalformedBatchException, MalformedFileException, MalformedSegmentException
from .util import escape, generate_message_control_id, unescape

__all__ = [
    "Batch",
    "Component",
    "Container",
    "Factory",
    "Field",
    "File",
    "Message",
    "Repetition",
    "Segment",
    "Sequence",
]

_UNSET: Any = object()
_DEFAULT_SEPARATORS = "\r|~^&"


class Sequence(list):  # type: ignore[type-arg]
    """A list that can also be called with a 1-based index: ``s(1)`` is ``s[0]``; ``s(2, v)`` sets
    ``s[1]``.

    >>> s = Sequence(["a", "b"])
    >>> s(1), s(2, "c"), s
    ('a', None, ['a', 'c'])
    """

    def __call__(self, index: SupportsIndex, value: Any = _UNSET) -> Any:
        i = self._adjust_index(int(index))
        if value is _UNSET:
            return self[i]
        self[i] = value
        return None

    def _adjust_index(self, index: int) -> int:
        return index - 1 if index >= 1 else index


class Container(Sequence):
    """A level of a message: a list with the delimiter that joins its items (``separator``), the
    message's ``separators`` (``"\\r" + field + repetition + component + subcomponent``), its
    escape character ``esc`` and the ``factory`` that makes child containers.

    >>> c = Container("|", ["1", "b"])
    >>> str(c)
    '1|b'
    """

    def __init__(
        self,
        separator: str,
        sequence: Iterable[Any] = (),
        esc: str = "\\",
        separators: str = _DEFAULT_SEPARATORS,
        factory: Optional[Type[Factory]] = None,
    ) -> None:
        if separator not in separators:
            raise ValueError("separator is not one of separators")
        super().__init__(sequence)
        self.separator = separator
        self.esc = esc
        self.separators = separators
        self.factory: Type[Factory] = factory if factory is not None else Factory

    def _child(self, kind: str, seq: Iterable[Any]) -> Any:
        make = getattr(self.factory, kind)
        return make(sequence=seq, esc=self.esc, separators=self.separators, factory=self.factory)

    def create_file(self, seq: Iterable[Any]) -> File:
        """A ``File`` with this container's delimiters and factory."""
        return self._child("create_file", seq)  # type: ignore[no-any-return]

    def create_batch(self, seq: Iterable[Any]) -> Batch:
        """A ``Batch`` with this container's delimiters and factory."""
        return self._child("create_batch", seq)  # type: ignore[no-any-return]

    def create_message(self, seq: Iterable[Any]) -> Message:
        """A ``Message`` with this container's delimiters and factory."""
        return self._child("create_message", seq)  # type: ignore[no-any-return]

    def create_segment(self, seq: Iterable[Any]) -> Segment:
        """A ``Segment`` with this container's delimiters and factory."""
        return self._child("create_segment", seq)  # type: ignore[no-any-return]

    def create_field(self, seq: Iterable[Any]) -> Field:
        """A ``Field`` with this container's delimiters and factory."""
        return self._child("create_field", seq)  # type: ignore[no-any-return]

    def create_repetition(self, seq: Iterable[Any]) -> Repetition:
        """A ``Repetition`` with this container's delimiters and factory."""
        return self._child("create_repetition", seq)  # type: ignore[no-any-return]

    def create_component(self, seq: Iterable[Any]) -> Component:
        """A ``Component`` with this container's delimiters and factory."""
        return self._child("create_component", seq)  # type: ignore[no-any-return]

    def __getitem__(self, item: Any) -> Any:
        got = super().__getitem__(item)
        if isinstance(item, slice):
            # A slice keeps the container type (a slice of a segment is a segment).
            return type(self)(self.separator, got, self.esc, self.separators, factory=self.factory)
        return got

    def __str__(self) -> str:
        return self.separator.join(str(x) for x in self)


class _Enveloped(Container):
    """A batch or file: items joined by ``\\r``, with an optional header and trailer segment."""

    _header_id = ""
    _trailer_id = ""
    _malformed: Type[Exception] = MalformedBatchException

    def __init__(
        self,
        separator: Optional[str] = None,
        sequence: Iterable[Any] = (),
        esc: str = "\\",
        separators: str = _DEFAULT_SEPARATORS,
        factory: Optional[Type[Factory]] = None,
    ) -> None:
        if separator and separator != separators[0]:
            raise ValueError("separator must be the segment separator")
        super().__init__(separators[0], sequence, esc, separators, factory)
        self._header: Optional[Segment] = None
        self._trailer: Optional[Segment] = None

    @staticmethod
    def _check(segment: Optional[Segment], want: str) -> None:
        if segment and _segment_id(segment) != want:
            raise MalformedSegmentException(f'segment must begin with "{want}"')

    @property
    def header(self) -> Optional[Segment]:
        """The header segment (``BHS`` for a batch, ``FHS`` for a file), or ``None``."""
        return self._header

    @header.setter
    def header(self, segment: Optional[Segment]) -> None:
        self._check(segment, self._header_id)
        self._header = segment

    @property
    def trailer(self) -> Optional[Segment]:
        """The trailer segment (``BTS`` for a batch, ``FTS`` for a file), or ``None``."""
        return self._trailer

    @trailer.setter
    def trailer(self, segment: Optional[Segment]) -> None:
        self._check(segment, self._trailer_id)
        self._trailer = segment

    def create_header(self) -> Segment:
        """A new header segment with this container's delimiters."""
        s = self.separators
        return self.create_segment(
            [
                self.create_field([self._header_id]),
                self.create_field([s[1]]),
                self.create_field([s[3] + s[2] + self.esc + s[4]]),
            ]
        )

    def create_trailer(self) -> Segment:
        """A new, empty trailer segment."""
        return self.create_segment([self.create_field([self._trailer_id])])

    def __str__(self) -> str:
        if bool(self.header) != bool(self.trailer):
            raise self._malformed("Either both header and trailer must be present or neither")
        body = super().__str__()
        if not self.header:
            return body
        return str(self.header) + self.separator + body + str(self.trailer) + self.separator


class File(_Enveloped):
    """A batch file: a list of ``Batch``, with optional ``FHS``/``FTS`` segments."""

    _header_id = "FHS"
    _trailer_id = "FTS"
    _malformed = MalformedFileException


class Batch(_Enveloped):
    """A batch: a list of ``Message``, with optional ``BHS``/``BTS`` segments."""

    _header_id = "BHS"
    _trailer_id = "BTS"
    _malformed = MalformedBatchException


def _segment_id(segment: Any) -> Any:
    head = segment[0] if len(segment) else ""
    while isinstance(head, list):
        head = head[0] if head else ""
    return head


class _Level(Container):
    """A container whose separator is fixed by its level (``_level``: index in ``separators``)."""

    _level = 0

    def __init__(
        self,
        separator: Optional[str] = None,
        sequence: Iterable[Any] = (),
        esc: str = "\\",
        separators: str = _DEFAULT_SEPARATORS,
        factory: Optional[Type[Factory]] = None,
    ) -> None:
        own = separators[self._level]
        if separator and separator != own:
            raise ValueError("separator does not match this level")
        super().__init__(own, sequence, esc, separators, factory)


class Message(_Level):
    """A message: a list of ``Segment``. Besides list indexing, ``msg["OBX"]`` is every OBX
    segment, ``msg["PID.F3.R1.C1"]`` (or an ``Accessor``) one value, unescaped, and
    ``msg["PID.F3.R1.C1"] = "x"`` sets one.
    """

    _level = 0

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            if len(key) == 3:
                return self.segments(key)
            return self.extract_field(*Accessor.parse_key(key))
        if isinstance(key, Accessor):
            return self.extract_field(*key)
        return super().__getitem__(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, str) and len(key) > 3 and isinstance(value, str):
            self.assign_field(value, *Accessor.parse_key(key))
        elif isinstance(key, Accessor):
            self.assign_field(value, *key)
        else:
            super().__setitem__(key, value)

    def segments(self, segment_id: str) -> Sequence:
        """The segments with this id, in order (a ``Sequence``: also callable 1-based); ``KeyError``
        when there is none."""
        found = Sequence(s for s in self if _segment_id(s) == segment_id)
        if not found:
            raise KeyError(f"No {segment_id} segments")
        return found

    def segment(self, segment_id: str) -> Segment:
        """The first segment with this id; ``KeyError`` when there is none."""
        return self.segments(segment_id)[0]  # type: ignore[no-any-return]

    def extract_field(
        self,
        segment: str,
        segment_num: int = 1,
        field_num: Optional[int] = 1,
        repeat_num: Optional[int] = 1,
        component_num: Optional[int] = 1,
        subcomponent_num: Optional[int] = 1,
    ) -> str:
        """The unescaped value at a location (see ``Segment.extract_field``); ``KeyError`` when the
        message has no such segment."""
        return self.segments(segment)(segment_num).extract_field(  # type: ignore[no-any-return]
            segment_num, field_num, repeat_num, component_num, subcomponent_num
        )

    def assign_field(
        self,
        value: str,
        segment: str,
        segment_num: int = 1,
        field_num: Optional[int] = None,
        repeat_num: Optional[int] = None,
        component_num: Optional[int] = None,
        subcomponent_num: Optional[int] = None,
    ) -> None:
        """Sets the value at a location of an existing segment (see ``Segment.assign_field``)."""
        self.segments(segment)(segment_num).assign_field(value, field_num, repeat_num, component_num, subcomponent_num)

    def escape(self, field: str, app_map: Optional[Mapping[str, str]] = None) -> str:
        """``field`` escaped with this message's delimiters (``hl7rs.compat.util.escape``)."""
        return escape(self, field, app_map)

    def unescape(self, field: str, app_map: Optional[Mapping[str, str]] = None) -> str:
        """``field`` unescaped with this message's delimiters (``hl7rs.compat.util.unescape``)."""
        return unescape(self, field, app_map)

    def create_ack(
        self,
        ack_code: str = "AA",
        message_id: Optional[str] = None,
        application: Optional[str] = None,
        facility: Optional[str] = None,
    ) -> Message:
        """An original-mode acknowledgment of this message: MSH with sender and receiver swapped
        (``application``/``facility`` override MSH-3/4), the time now (UTC), ``ACK^<trigger>^ACK``,
        a new control id (or ``message_id``), MSH-11/12 copied; then ``MSA|<ack_code>|<MSH-10>``.
        """
        src = self.segment("MSH")

        def text(n: int) -> str:
            return str(src(n)) if n < len(src) else ""

        msh = self.create_segment([self.create_field(["MSH"])])
        for n, v in (
            (1, text(1)),
            (2, text(2)),
            (3, text(5) if application is None else str(application)),
            (4, text(6) if facility is None else str(facility)),
            (5, text(3)),
            (6, text(4)),
            (7, datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%S")),
        ):
            msh.assign_field(v, n)
        trigger = self.extract_field("MSH", 1, 9, 1, 2) if len(src) > 9 else ""
        msh.assign_field("ACK", 9, 1, 1)
        msh.assign_field(trigger, 9, 1, 2)
        msh.assign_field("ACK", 9, 1, 3)
        msh.assign_field(message_id if message_id is not None else generate_message_control_id(), 10)
        msh.assign_field(text(11), 11)
        msh.assign_field(text(12), 12)
        msa = self.create_segment([self.create_field(["MSA"])])
        msa.assign_field(str(ack_code), 1)
        msa.assign_field(text(10), 2)
        return self.create_message([msh, msa])

    def __str__(self) -> str:
        # A message ends with its segment terminator.
        return super().__str__() + self.separator


def _level_child(container: Container, n: int, make: str) -> Any:
    """Child ``n`` (1-based) of ``container``, appending empty children of kind ``make`` up to it;
    a plain string child is wrapped so that a deeper level can be set inside it."""
    while len(container) < n:
        container.append(getattr(container, make)([]))
    child = container[n - 1]
    if isinstance(child, str):
        child = getattr(container, make)([child])
        container[n - 1] = child
    return child


class Segment(_Level):
    """A segment: item 0 is the id, item ``n`` field ``n`` (``MSH``: item 1 is MSH-1, the field
    separator, item 2 MSH-2). Calling it with a number does not shift: ``seg(3) is seg[3]``.
    """

    _level = 1

    def extract_field(
        self,
        segment_num: int = 1,
        field_num: Optional[int] = 1,
        repeat_num: Optional[int] = 1,
        component_num: Optional[int] = 1,
        subcomponent_num: Optional[int] = 1,
    ) -> str:
        """The unescaped value at field/repetition/component/subcomponent (1-based, ``None`` as 1).
        Where the tree is shallower than the path, the leaf is returned when every remaining number
        is 1; where it is deeper, the first child is followed. An absent optional part is ``""``;
        a path that cannot be followed is ``IndexError`` (naming the path, not the content).
        """
        key = Accessor(str(_segment_id(self)), segment_num, field_num, repeat_num, component_num, subcomponent_num)
        f = field_num or 1
        r = repeat_num or 1
        c = component_num or 1
        s = subcomponent_num or 1
        if f >= len(self):
            if r == c == s == 1:
                return ""
            raise IndexError(f"Field not present: {key.key}")
        rep = self(f)(r)
        if not isinstance(rep, Repetition):
            if c == s == 1:
                # MSH-1 and MSH-2 are the delimiters themselves: never unescaped.
                if key.segment in ("MSH", "FHS", "BHS") and f in (1, 2):
                    return str(rep)
                return unescape(self, rep)
            raise IndexError(f"Field reaches leaf node before completing path: {key.key}")
        if c > len(rep):
            if s == 1:
                return ""
            raise IndexError(f"Component not present: {key.key}")
        comp = rep(c)
        if not isinstance(comp, Component):
            if s == 1:
                return unescape(self, comp)
            raise IndexError(f"Field reaches leaf node before completing path: {key.key}")
        if s <= len(comp):
            return unescape(self, comp(s))
        return ""

    def assign_field(
        self,
        value: str,
        field_num: Optional[int] = None,
        repeat_num: Optional[int] = None,
        component_num: Optional[int] = None,
        subcomponent_num: Optional[int] = None,
    ) -> None:
        """Sets field (or repetition, component, subcomponent) to ``value`` as given (not escaped),
        adding empty fields and levels as needed."""
        if field_num is None:
            raise IndexError("a field number is required")
        while len(self) <= field_num:
            self.append(self.create_field([]))
        fld = self[field_num]
        if repeat_num is None:
            fld[:] = [value]
            return
        rep = _level_child(fld, repeat_num, "create_repetition")
        if component_num is None:
            rep[:] = [value]
            return
        comp = _level_child(rep, component_num, "create_component")
        if subcomponent_num is None:
            comp[:] = [value]
            return
        while len(comp) < subcomponent_num:
            comp.append("")
        comp[subcomponent_num - 1] = value

    def _adjust_index(self, index: int) -> int:
        return index

    def __str__(self) -> str:
        if len(self) >= 3 and str(self[0]) in ("MSH", "FHS", "BHS"):
            sep = str(self[1])
            return str(self[0]) + sep + str(self[2]) + sep + self.separator.join(str(x) for x in self[3:])
        return super().__str__()


class Field(_Level):
    """A field: a list of strings or ``Repetition`` (joined by the repetition separator)."""

    _level = 2


class Repetition(_Level):
    """A repetition: a list of strings or ``Component`` (joined by the component separator)."""

    _level = 3


class Component(_Level):
    """A component: a list of subcomponent strings (joined by the subcomponent separator)."""

    _level = 4


class Factory:
    """The container classes the parser makes; subclass it to get subclasses of the containers
    (``hl7rs.compat.parse(text, factory=MyFactory)``)."""

    create_file: Any = File
    create_batch: Any = Batch
    create_message: Any = Message
    create_segment: Any = Segment
    create_field: Any = Field
    create_repetition: Any = Repetition
    create_component: Any = Component


# The union of what a message level may hold, for annotations.
Node = Union[str, Container]
