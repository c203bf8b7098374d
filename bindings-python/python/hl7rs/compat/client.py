"""A blocking MLLP client and the ``mllp_send`` command (python-hl7's ``hl7.client``).

>>> wrap = SB + b"MSH|^~\\\\&|A" + EB + CR
>>> list(read_stream(__import__("io").BytesIO(wrap + wrap)))
[b'MSH|^~\\\\&|A', b'MSH|^~\\\\&|A']
"""

from __future__ import annotations

import io
import os.path
import socket
import sys
from optparse import OptionParser
from typing import IO, Any, Iterator, Optional, Union

from .containers import Message

__all__ = ["CR", "EB", "FF", "SB", "MLLPClient", "MLLPException", "mllp_send", "read_loose", "read_stream"]

SB = b"\x0b"  #: MLLP start block (vertical tab)
EB = b"\x1c"  #: MLLP end block (file separator)
CR = b"\x0d"  #: carriage return, after the end block
FF = b"\x0c"  #: form feed: some files separate messages with it

RECV_BUFFER = 4096


class MLLPException(Exception):
    """An MLLP stream ended inside a frame (the text says how many bytes, never which)."""


class MLLPClient:
    """A blocking MLLP client over TCP; a context manager that closes its socket.

    ``send_message`` frames ``bytes`` as they are, and ``str`` or ``Message`` encoded with
    ``encoding``; ``send`` writes already framed bytes. Both return what the server answers (one
    ``recv``, continued until the end block when the answer is a frame).
    """

    def __init__(self, host: str, port: int, encoding: str = "utf-8") -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.connect((host, port))
        self.encoding = encoding

    def __enter__(self) -> MLLPClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the socket."""
        self.socket.close()

    def send_message(self, message: Union[bytes, str, Message]) -> Any:
        """Frames ``message`` (``<SB>message<EB><CR>``), sends it and returns the answer."""
        if isinstance(message, bytes):
            data = message
        else:
            data = str(message).encode(self.encoding)
        return self.send(SB + data + EB + CR)

    def send(self, data: Any) -> Any:
        """Sends framed ``data`` and returns the answer."""
        sent = self.socket.send(data)
        if isinstance(sent, int) and 0 <= sent < len(data):
            # socket.send may write only part: the rest goes out before waiting for the answer.
            self.socket.sendall(data[sent:])
        answer = self.socket.recv(RECV_BUFFER)
        if isinstance(answer, bytes) and answer.lstrip().startswith(SB):
            while EB not in answer:
                more = self.socket.recv(RECV_BUFFER)
                if not more:
                    break
                answer += more
        return answer


def stdout(content: Union[str, bytes]) -> None:
    """Writes a line to standard output (bytes to its buffer)."""
    if isinstance(content, bytes):
        sys.stdout.buffer.write(content + b"\n")
    else:
        sys.stdout.write(content + "\n")


def stdin() -> IO[Any]:
    """Standard input (a function so that it can be replaced in tests)."""
    return sys.stdin


def stderr() -> IO[str]:
    """Standard error (a function so that it can be replaced in tests)."""
    return sys.stderr


def read_stream(stream: Any) -> Iterator[bytes]:
    """The messages of an MLLP stream, unframed; ``MLLPException`` when it ends inside a frame."""
    pending = b""
    while True:
        data = stream.read(RECV_BUFFER)
        if data == b"":
            break
        # Frames end with EB; some files separate them with FF instead.
        parts = (pending + data).split(FF if FF in data else EB)
        pending = parts.pop()
        for part in parts:
            yield part.strip(SB + CR)
    if pending.strip():
        raise MLLPException(f"stream ended inside a frame ({len(pending)} bytes unterminated)")


def read_loose(stream: Any) -> Iterator[bytes]:
    """Messages from HL7-like text: MLLP bytes dropped, ``\\r\\n`` and ``\\n`` made ``\\r``, a
    message starting at each ``MSH|^~\\&|``."""
    start = b"MSH|^~\\&|"
    data = stream.read()
    data = data.translate(None, EB + FF + SB)
    data = data.replace(b"\r\n", b"\r").replace(b"\n", b"\r")
    for chunk in data.split(start)[1:]:
        yield start + chunk.strip(CR + b"\n ")


def mllp_send() -> None:
    """The ``mllp_send`` command: sends the messages of a file (or standard input) to an MLLP
    server and prints the answers."""
    parser = OptionParser(usage=os.path.basename(sys.argv[0]) + " [options] <server>")
    parser.add_option("--version", action="store_true", dest="version", default=False, help="print the version and exit")
    parser.add_option("-p", "--port", action="store", type="int", dest="port", default=6661, help="port to connect to")
    parser.add_option("-f", "--file", dest="filename", metavar="FILE", help="read from FILE instead of stdin")
    parser.add_option(
        "-q", "--quiet", action="store_false", dest="verbose", default=True, help="do not print the answers"
    )
    parser.add_option(
        "--loose",
        action="store_true",
        dest="loose",
        default=False,
        help='take HL7-like text (\\r\\n or \\n line ends; messages start with "MSH|^~\\&|"); needs --file',
    )
    options, args = parser.parse_args()
    if options.version:
        from . import __version__

        stdout(__version__)
        return
    if len(args) != 1:
        parser.print_usage()
        stderr().write("server required\n")
        sys.exit(1)
        return
    stream: Optional[Any]
    if options.filename is not None:
        with open(options.filename, "rb") as f:
            stream = io.BytesIO(f.read())
    else:
        if options.loose:
            stderr().write("--loose requires --file\n")
            sys.exit(1)
            return
        stream = stdin()
    with MLLPClient(args[0], options.port) as client:
        messages = read_loose(stream) if options.loose else read_stream(stream)
        for message in messages:
            answer = client.send_message(message)
            if options.verbose:
                stdout(answer)


if __name__ == "__main__":
    mllp_send()
