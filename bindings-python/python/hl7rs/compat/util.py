"""Message detection and splitting, control ids, and escaping (python-hl7's ``hl7.util``)."""

from __future__ import annotations

import datetime
import re
import secrets
import string
from typing import TYPE_CHECKING, Any, Mapping, Optional

if TYPE_CHECKING:
    from .containers import Container

__all__ = [
    "escape",
    "generate_message_control_id",
    "isbatch",
    "isfile",
    "ishl7",
    "split_file",
    "unescape",
]

_LINES = re.compile(r"\r\n|\r|\n")


def ishl7(line: Any) -> bool:
    """Whether ``line`` looks like one HL7 message: it starts with ``MSH`` and holds no second
    header (a cursory check, not validation).

    >>> ishl7("MSH|^~\\\\&|A\\rPID|1\\r"), ishl7("MSH|^~\\\\&|A\\rMSH|^~\\\\&|B\\r"), ishl7(None)
    (True, False, False)
    """
    if not line:
        return False
    head = line.strip()[:4]
    if len(head) != 4 or not head.startswith("MSH"):
        return False
    return ("\rMSH" + head[3]) not in line and ("\nMSH" + head[3]) not in line


def isbatch(line: Any) -> bool:
    """Whether ``line`` is a batch: it starts with ``BHS``, or holds several messages outside a file.

    >>> isbatch("BHS|^~\\\\&\\rMSH|^~\\\\&|A\\rBTS|1\\r")
    True
    """
    if not line:
        return False
    head = line.strip()[:3]
    return bool(head == "BHS" or (line.count("MSH") > 1 and head != "FHS"))


def isfile(line: Any) -> bool:
    """Whether ``line`` is a batch file: it starts with ``FHS``, or is a batch.

    >>> isfile("FHS|^~\\\\&\\rMSH|^~\\\\&|A\\rFTS|1\\r")
    True
    """
    if not line:
        return False
    return bool(line.strip()[:3] == "FHS" or isbatch(line))


def split_file(hl7file: str) -> list[str]:
    """The messages of a file or batch as texts, each segment ending in ``\\r``; the FHS, BHS, BTS
    and FTS envelope is dropped and nothing is validated. Lines may end in ``\\r``, ``\\n`` or
    ``\\r\\n``; lines before the first ``MSH`` are dropped.

    >>> split_file("FHS|^~\\\\&\\rMSH|^~\\\\&|A\\rPID|1\\rMSH|^~\\\\&|B\\rFTS|2\\r")
    ['MSH|^~\\\\&|A\\rPID|1\\r', 'MSH|^~\\\\&|B\\r']
    """
    messages: list[list[str]] = []
    for raw in _LINES.split(hl7file):
        line = raw.strip()
        head = line[:3]
        if head in ("FHS", "BHS", "FTS", "BTS"):
            continue
        if head == "MSH":
            messages.append([line])
        elif messages:
            messages[-1].append(line)
    out = []
    for segments in messages:
        text = "\r".join(segments)
        out.append(text if text.endswith("\r") else text + "\r")
    return out


_ID_CHARS = string.ascii_uppercase + string.digits


def generate_message_control_id() -> str:
    """A 20-character control id: 16 digits of UTC time (year digit, day of year, time to the
    microsecond), then 4 random letters or digits.

    >>> len(generate_message_control_id())
    20
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = now.strftime("%y%j%H%M%S%f")[1:]
    return stamp + "".join(secrets.choice(_ID_CHARS) for _ in range(4))


def escape(container: Container, field: str, app_map: Optional[Mapping[str, str]] = None) -> str:
    """``field`` with the container's delimiters written as ``\\F\\ \\R\\ \\S\\ \\T\\ \\E\\``, ``\\r`` as
    ``\\.br\\`` and characters outside printable ASCII as ``\\Xhh\\`` (the code point in hex);
    ``app_map`` maps further characters to escape names.
    """
    if not field:
        return field
    esc = container.esc
    seps = container.separators
    names = {seps[1]: "F", seps[2]: "R", seps[3]: "S", seps[4]: "T", esc: "E", "\r": ".br"}
    out = []
    for ch in field:
        if app_map and ch in app_map:
            out.append(f"{esc}{app_map[ch]}{esc}")
        elif ch in names:
            out.append(f"{esc}{names[ch]}{esc}")
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.append(f"{esc}X{ord(ch):02x}{esc}")
    return "".join(out)


_FORMATTING = {
    "H": "_",
    "N": "_",
    ".br": "\r",
    ".sp": "\r",
    ".fi": "",
    ".nf": "",
    ".in": "    ",
    ".ti": "    ",
    ".sk": " ",
    ".ce": "\r",
}


def _hex_chars(digits: str) -> Optional[str]:
    try:
        return "".join(chr(int(digits[i : i + 2], 16)) for i in range(0, len(digits), 2))
    except ValueError:
        return None


def unescape(container: Container, field: str, app_map: Optional[Mapping[str, str]] = None) -> str:
    """``field`` with its escape sequences replaced: delimiters (``\\F\\``…), ``\\E\\``, hex
    (``\\Xhh…\\``, each byte a character), formatting (``\\H\\`` and ``\\N\\`` as ``_``, ``\\.br\\`` as
    ``\\r``, ``\\.sp3\\`` repeated); ``app_map`` overrides or adds names. Sequences it cannot map
    (charset switches ``\\C…\\``, ``\\M…\\``, unknown names, a sequence left open) are dropped.
    Nothing is logged.
    """
    esc = container.esc
    if not field or esc not in field:
        return field
    seps = container.separators
    names = dict(_FORMATTING)
    names.update({"F": seps[1], "R": seps[2], "S": seps[3], "T": seps[4], "E": esc})
    if app_map:
        names.update(app_map)
    out = []
    pieces = field.split(esc)
    # Even pieces are text, odd ones escape names; an even count means the last sequence is open.
    last = len(pieces) if len(pieces) % 2 == 1 else len(pieces) - 1
    for i in range(last):
        piece = pieces[i]
        if i % 2 == 0:
            out.append(piece)
        elif not piece:
            continue
        elif piece in names:
            out.append(names[piece])
        elif piece[0] == "." and piece[:3] in names and piece[3:].isdigit():
            out.append(names[piece[:3]] * int(piece[3:]))
        elif piece[0] == "X":
            out.append(_hex_chars(piece[1:]) or "")
    return "".join(out)
