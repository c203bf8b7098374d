"""MLLP framing on asyncio streams.

``MLLPStreamReader.readblock()`` returns the payload of the next ``<SB>payload<EB><CR>`` block;
``MLLPStreamWriter.writeblock(data)`` frames and writes one. The HL7 variants read and write
``Message`` objects (``hl7rs.compat.parse`` and ``str()``), with an encoding (default ASCII).
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Optional, Union

from ..containers import Message
from ..parser import parse
from .exceptions import InvalidBlockError

__all__ = [
    "HL7StreamProtocol",
    "HL7StreamReader",
    "HL7StreamWriter",
    "MLLPStreamReader",
    "MLLPStreamWriter",
    "open_hl7_connection",
    "start_hl7_server",
]

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c"
CARRIAGE_RETURN = b"\x0d"
_LIMIT = 2**16

_Callback = Callable[["HL7StreamReader", "HL7StreamWriter"], Union[None, Awaitable[None]]]


class MLLPStreamReader(asyncio.StreamReader):
    """A ``StreamReader`` that reads MLLP blocks."""

    def __init__(self, limit: int = _LIMIT, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        super().__init__(limit, loop)

    async def readblock(self) -> bytes:
        """The payload of the next block (start and end bytes removed). ``ValueError`` when it is
        longer than the limit (the block is discarded), ``InvalidBlockError`` when it does not start
        with the start block byte, ``asyncio.IncompleteReadError`` at end of stream."""
        end = END_BLOCK + CARRIAGE_RETURN
        try:
            block = await self.readuntil(end)
        except asyncio.LimitOverrunError as e:
            buf: bytearray = getattr(self, "_buffer")
            if buf.startswith(end, e.consumed):
                del buf[: e.consumed + len(end)]
            else:
                buf.clear()
            getattr(self, "_maybe_resume_transport")()
            raise ValueError("MLLP block longer than the stream limit") from None
        if not block.startswith(START_BLOCK):
            raise InvalidBlockError("Block does not begin with Start Block character <VT>")
        return block[1 : -len(end)]


class MLLPStreamWriter(asyncio.StreamWriter):
    """A ``StreamWriter`` that writes MLLP blocks."""

    def writeblock(self, data: bytes) -> None:
        """Writes ``<SB>data<EB><CR>``."""
        self.write(START_BLOCK + data + END_BLOCK + CARRIAGE_RETURN)


def _check_encoding(value: Optional[str], name: str) -> None:
    if value and not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None")


class HL7StreamReader(MLLPStreamReader):
    """Reads whole messages: ``await reader.readmessage()`` is a ``Message``."""

    def __init__(
        self,
        limit: int = _LIMIT,
        loop: Optional[asyncio.AbstractEventLoop] = None,
        encoding: Optional[str] = None,
        encoding_errors: Optional[str] = None,
    ) -> None:
        super().__init__(limit=limit, loop=loop)
        self.encoding = encoding
        self.encoding_errors = encoding_errors

    @property
    def encoding(self) -> str:
        """The text encoding of the payload (default ``ascii``)."""
        return self._encoding

    @encoding.setter
    def encoding(self, value: Optional[str]) -> None:
        _check_encoding(value, "encoding")
        self._encoding = value or "ascii"

    @property
    def encoding_errors(self) -> str:
        """The decoding error handler (default ``strict``)."""
        return self._encoding_errors

    @encoding_errors.setter
    def encoding_errors(self, value: Optional[str]) -> None:
        _check_encoding(value, "encoding_errors")
        self._encoding_errors = value or "strict"

    async def readmessage(self) -> Message:
        """The next block, decoded and parsed (see ``readblock`` for the errors)."""
        block = await self.readblock()
        return parse(block.decode(self.encoding, self.encoding_errors))


class HL7StreamWriter(MLLPStreamWriter):
    """Writes whole messages: ``writer.writemessage(msg)``."""

    def __init__(
        self,
        transport: asyncio.WriteTransport,
        protocol: asyncio.BaseProtocol,
        reader: Optional[asyncio.StreamReader],
        loop: asyncio.AbstractEventLoop,
        encoding: Optional[str] = None,
        encoding_errors: Optional[str] = None,
    ) -> None:
        super().__init__(transport, protocol, reader, loop)
        self.encoding = encoding
        self.encoding_errors = encoding_errors

    @property
    def encoding(self) -> str:
        """The text encoding of the payload (default ``ascii``)."""
        return self._encoding

    @encoding.setter
    def encoding(self, value: Optional[str]) -> None:
        _check_encoding(value, "encoding")
        self._encoding = value or "ascii"

    @property
    def encoding_errors(self) -> str:
        """The encoding error handler (default ``strict``)."""
        return self._encoding_errors

    @encoding_errors.setter
    def encoding_errors(self, value: Optional[str]) -> None:
        _check_encoding(value, "encoding_errors")
        self._encoding_errors = value or "strict"

    def writemessage(self, message: Message) -> None:
        """Writes ``str(message)`` encoded, as one block."""
        self.writeblock(str(message).encode(self.encoding, self.encoding_errors))


class HL7StreamProtocol(asyncio.StreamReaderProtocol):
    """The protocol of ``start_hl7_server``: hands the callback an ``HL7StreamWriter``."""

    def __init__(
        self,
        stream_reader: asyncio.StreamReader,
        client_connected_cb: Optional[_Callback] = None,
        loop: Optional[asyncio.AbstractEventLoop] = None,
        encoding: Optional[str] = None,
        encoding_errors: Optional[str] = None,
    ) -> None:
        self._hl7_encoding = encoding
        self._hl7_encoding_errors = encoding_errors
        wrapped: Optional[Callable[[Any, Any], Any]] = None
        if client_connected_cb is not None:
            user_cb = client_connected_cb

            def wrapped(reader: Any, writer: asyncio.StreamWriter) -> Any:
                hl7_writer = HL7StreamWriter(
                    writer.transport,
                    self, reader, asyncio.get_running_loop(), encoding, encoding_errors
                )
                return user_cb(reader, hl7_writer)

        super().__init__(stream_reader, wrapped, loop)


async def open_hl7_connection(
    host: Optional[str] = None,
    port: Optional[int] = None,
    *,
    limit: int = _LIMIT,
    encoding: Optional[str] = None,
    encoding_errors: Optional[str] = None,
    **kwds: Any,
) -> tuple[HL7StreamReader, HL7StreamWriter]:
    """Connects to an MLLP server: ``(reader, writer)``; further keywords go to
    ``loop.create_connection``."""
    loop = asyncio.get_running_loop()
    reader = HL7StreamReader(limit=limit, loop=loop, encoding=encoding, encoding_errors=encoding_errors)
    protocol = HL7StreamProtocol(reader, loop=loop, encoding=encoding, encoding_errors=encoding_errors)
    # host and port may be None when kwds give a sock (as for loop.create_connection itself).
    transport, _ = await loop.create_connection(lambda: protocol, host, port, **kwds)  # type: ignore[arg-type]
    writer = HL7StreamWriter(transport, protocol, reader, loop, encoding, encoding_errors)
    return reader, writer


async def start_hl7_server(
    client_connected_cb: _Callback,
    host: Optional[str] = None,
    port: Optional[int] = None,
    *,
    limit: int = _LIMIT,
    encoding: Optional[str] = None,
    encoding_errors: Optional[str] = None,
    **kwds: Any,
) -> asyncio.AbstractServer:
    """Starts an MLLP server; ``client_connected_cb(reader, writer)`` (a function or a coroutine
    function) runs for each connection. Further keywords go to ``loop.create_server``."""
    loop = asyncio.get_running_loop()

    def factory() -> HL7StreamProtocol:
        reader = HL7StreamReader(limit=limit, loop=loop, encoding=encoding, encoding_errors=encoding_errors)
        return HL7StreamProtocol(reader, client_connected_cb, loop=loop, encoding=encoding, encoding_errors=encoding_errors)

    return await loop.create_server(factory, host, port, **kwds)
