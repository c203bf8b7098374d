"""The python-hl7 API level this compat layer follows (``hl7rs.compat.__version__``)."""

from __future__ import annotations

from typing import Tuple, Union

__all__ = ["VERSION", "get_version"]

#: (major, minor, patch[, kind]) of the python-hl7 release whose API is mirrored.
VERSION: Union[Tuple[int, int, int], Tuple[int, int, int, object]] = (0, 4, 5, "final")


def get_version() -> str:
    """The version text: ``0.4.5``, ``0.4.5rc1``, ``0.4.5.dev``.

    >>> get_version()
    '0.4.5'
    """
    # VERSION is read on each call so that it can be patched.
    numbers = ".".join(str(n) for n in VERSION[:3])
    kind = VERSION[3] if len(VERSION) > 3 else None
    if not kind or kind == "final":
        return numbers
    if kind == "dev":
        return numbers + ".dev"
    return f"{numbers}{kind}"
