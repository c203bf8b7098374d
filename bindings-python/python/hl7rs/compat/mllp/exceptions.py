"""The MLLP error of the asyncio streams."""

from __future__ import annotations

__all__ = ["InvalidBlockError"]


class InvalidBlockError(Exception):
    """A block that breaks MLLP framing (no start block byte)."""
