"""``Accessor``: a parsed location key such as ``PID.F3.R1.C2.S1`` (python-hl7's key syntax)."""

from __future__ import annotations

from typing import NamedTuple, Optional

__all__ = ["Accessor"]


class _Key(NamedTuple):
    segment: str
    segment_num: int
    field_num: Optional[int]
    repeat_num: Optional[int]
    component_num: Optional[int]
    subcomponent_num: Optional[int]


class Accessor(_Key):
    """Segment id, segment number (1-based, default 1) and optional field, repetition, component
    and subcomponent numbers (1-based).

    >>> Accessor("PID", 1, 3, 1, 2).key
    'PID.3.1.2'
    >>> Accessor.parse_key("OBX2.F5.R1.C2")
    Accessor(segment='OBX', segment_num=2, field_num=5, repeat_num=1, component_num=2, subcomponent_num=None)
    """

    __slots__ = ()

    def __new__(
        cls,
        segment: str,
        segment_num: int = 1,
        field_num: Optional[int] = None,
        repeat_num: Optional[int] = None,
        component_num: Optional[int] = None,
        subcomponent_num: Optional[int] = None,
    ) -> Accessor:
        return super().__new__(cls, segment, segment_num, field_num, repeat_num, component_num, subcomponent_num)

    @property
    def key(self) -> str:
        """The key text: the segment number is written only when it is not 1."""
        head = self.segment if self.segment_num == 1 else f"{self.segment}{self.segment_num}"
        nums = (self.field_num, self.repeat_num, self.component_num, self.subcomponent_num)
        return ".".join([head] + [str(n) for n in nums if n is not None])

    def __str__(self) -> str:
        return self.key

    @classmethod
    def parse_key(cls, key: str) -> Accessor:
        """Reads ``SEG[n].F.R.C.S``; each number may carry its letter (``F3``, ``R1``, ``C2``, ``S1``)."""
        parts = key.split(".")
        head = parts[0]
        seg_num = int(head[3:]) if len(head) > 3 else 1
        nums: list[Optional[int]] = []
        for i, letter in enumerate("FRCS", start=1):
            if i < len(parts):
                text = parts[i]
                if text[:1].upper() == letter:
                    text = text[1:]
                nums.append(int(text))
            else:
                nums.append(None)
        return cls(head[:3], seg_num, nums[0], nums[1], nums[2], nums[3])
