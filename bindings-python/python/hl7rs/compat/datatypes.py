"""``parse_datetime``: an HL7 DTM value as a ``datetime``."""

from __future__ import annotations

import datetime
import re
from typing import Optional

__all__ = ["parse_datetime"]

_DTM = re.compile(r"(\d+)(?:\.(\d+))?(?:([+-])(\d{2})(\d{2}))?")


class _UTCOffset(datetime.tzinfo):
    """A fixed offset from UTC in minutes (negative west of UTC)."""

    def __init__(self, minutes: float) -> None:
        self.minutes = minutes

    def utcoffset(self, dt: Optional[datetime.datetime]) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.minutes)

    def tzname(self, dt: Optional[datetime.datetime]) -> str:
        total = int(abs(self.minutes))
        sign = "-" if self.minutes < 0 else "+"
        return f"{sign}{total // 60:02}{total % 60:02}"

    def dst(self, dt: Optional[datetime.datetime]) -> datetime.timedelta:
        return datetime.timedelta(0)


def parse_datetime(value: Optional[str]) -> Optional[datetime.datetime]:
    """``YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-HHMM]`` as a ``datetime`` (with a fixed-offset
    ``tzinfo`` when an offset is given); ``None`` for an empty value; ``ValueError`` otherwise.

    >>> parse_datetime("20240131093015.25-0500").isoformat()
    '2024-01-31T09:30:15.250000-05:00'
    >>> parse_datetime("2024")
    datetime.datetime(2024, 1, 1, 0, 0)
    """
    if not value:
        return None
    m = _DTM.match(value)
    if not m or len(m.group(1)) < 4:
        raise ValueError("malformed HL7 datetime")
    digits, frac, sign, tzh, tzm = m.groups()

    def part(start: int, default: int) -> int:
        return int(digits[start : start + 2]) if len(digits) >= start + 2 else default

    tz: Optional[datetime.tzinfo] = None
    if sign:
        minutes = int(tzh) * 60 + int(tzm)
        tz = _UTCOffset(-minutes if sign == "-" else minutes)
    second = part(12, 0)
    micro = int((frac or "").ljust(6, "0")[:6]) if len(digits) >= 14 else 0
    return datetime.datetime(
        int(digits[:4]), part(4, 1), part(6, 1), part(8, 0), part(10, 0), second, micro, tzinfo=tz
    )
