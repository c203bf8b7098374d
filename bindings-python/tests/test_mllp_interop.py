"""`hl7rs mllp listen/send` against an MLLP peer no one here wrote: python-hl7 (hl7==0.4.5).

- python-hl7's `MLLPClient` and its `mllp_send` command send the project corpus's valid messages
  (corpus/basic, corpus/message-types) to `hl7rs mllp listen`: each is answered AA, and each is
  in the listener's journal (read back with `hl7rs mllp export`) byte for byte.
- `hl7rs mllp send` sends the same messages to python-hl7's asyncio server
  (`hl7.mllp.start_hl7_server`), which answers each with `Message.create_ack()`: every message is
  accepted (exit 0) and the server got every one.

Everything runs on loopback, and every wait is bounded. The hl7rs binary comes from $HL7RS_BIN
(scripts/test-python.sh sets it). Without the binary or python-hl7 the tests are skipped with a
notice, and fail when HL7RS_REQUIRE_SHARED=1 (CI).
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"
TIMEOUT = 60


def required(what: str) -> None:
    """Skips with a notice, or fails under HL7RS_REQUIRE_SHARED=1."""
    if os.environ.get("HL7RS_REQUIRE_SHARED") == "1":
        pytest.fail(f"{what} and HL7RS_REQUIRE_SHARED=1")
    print(f"notice: {what}; MLLP interop tests skipped")
    pytest.skip(what)


@pytest.fixture
def hl7rs_bin() -> str:
    path = os.environ.get("HL7RS_BIN")
    if not path or not os.access(path, os.X_OK):
        required(f"the hl7rs binary is not at HL7RS_BIN={path!r}")
    assert path is not None
    return path


@pytest.fixture
def pyhl7() -> Any:
    try:
        import hl7  # type: ignore[import-untyped]
        import hl7.client  # type: ignore[import-untyped]
        import hl7.mllp  # type: ignore[import-untyped]
    except ImportError:
        required("python-hl7 (hl7==0.4.5) is not installed")
    assert hl7.__version__ == "0.4.5", hl7.__version__
    return hl7


@pytest.fixture
def workdir() -> Iterator[pathlib.Path]:
    d = pathlib.Path(tempfile.mkdtemp(prefix="hl7rs-interop-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def messages() -> list[tuple[pathlib.Path, bytes]]:
    """The corpus's complete, valid messages that ask for an acknowledgment (ACKs left out)."""
    found = []
    for folder in ("basic", "message-types"):
        for path in sorted((CORPUS / folder).glob("*.hl7")):
            data = path.read_bytes()
            msh = data.split(b"\r", 1)[0].split(b"|")
            if msh[8].startswith(b"ACK"):
                continue
            found.append((path, data))
    assert len(found) >= 8
    return found


def control_id(data: bytes) -> str:
    return data.split(b"\r", 1)[0].split(b"|")[9].decode()


def msa(ack: bytes) -> list[str]:
    for segment in ack.strip(b"\x0b\x1c\r").split(b"\r"):
        if segment.startswith(b"MSA|"):
            return segment.decode().split("|")
    raise AssertionError("no MSA segment in the answer")


class Listener:
    """`hl7rs mllp listen --port 0` on loopback; stopped with SIGTERM (killed if it hangs)."""

    def __init__(self, binary: str, out: pathlib.Path) -> None:
        self.proc = subprocess.Popen(
            [binary, "mllp", "listen", "--port", "0", "--out", str(out), "--idle-timeout", "30"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()
        assert line.isdigit(), f"no port: {line!r}"
        self.port = int(line)

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            raise
        assert self.proc.returncode == 0, err.decode()
        return err.decode()


def exported(binary: str, out: pathlib.Path, to: pathlib.Path) -> dict[str, bytes]:
    subprocess.run(
        [binary, "mllp", "export", str(out), "--out", str(to), "-q"], check=True, timeout=TIMEOUT
    )
    return {p.stem: p.read_bytes() for p in to.glob("*.hl7")}


def test_python_hl7_client_to_hl7rs_listen(hl7rs_bin: str, pyhl7: Any, workdir: pathlib.Path) -> None:
    out = workdir / "journal"
    listener = Listener(hl7rs_bin, out)
    sent = messages()
    try:
        with pyhl7.client.MLLPClient("127.0.0.1", listener.port) as client:
            client.socket.settimeout(TIMEOUT)
            for path, data in sent:
                answer = client.send_message(data)
                fields = msa(answer)
                assert fields[1] == "AA", (path.name, fields[1])
                assert fields[2] == control_id(data), path.name
        # The mllp_send command of python-hl7: a file of MLLP frames (it strips the final CR).
        extra = (CORPUS / "basic" / "adt_a01_v251_cr.hl7").read_bytes()
        copy = workdir / "again.hl7"
        copy.write_bytes(extra.replace(b"|CTRL0001|", b"|CTRL9001|"))
        framed = workdir / "again.mllp"
        framed.write_bytes(b"\x0b" + copy.read_bytes() + b"\x1c\r")
        mllp_send = shutil.which("mllp_send") or str(pathlib.Path(sys.executable).parent / "mllp_send")
        run = subprocess.run(
            [mllp_send, "--port", str(listener.port), "--file", str(framed), "127.0.0.1"],
            capture_output=True,
            timeout=TIMEOUT,
            check=True,
        )
        assert msa(run.stdout)[1:3] == ["AA", "CTRL9001"], run.stdout
    finally:
        log = listener.stop()
    stored = exported(hl7rs_bin, out, workdir / "files")
    assert len(stored) == len(sent) + 1, log
    for path, data in sent:
        assert stored[control_id(data)] == data, path.name
    assert stored["CTRL9001"] == copy.read_bytes().rstrip(b"\r")
    for ack in (workdir / "files").glob("*.ack"):
        assert msa(ack.read_bytes())[1] == "AA", ack.name
    # No content in the listener's log.
    assert "MSH|" not in log and "TESTPATIENT" not in log, log


def test_hl7rs_send_to_python_hl7_server(hl7rs_bin: str, pyhl7: Any, workdir: pathlib.Path) -> None:
    received: list[str] = []
    ready = threading.Event()
    stop = threading.Event()
    port: list[int] = []
    failures: list[BaseException] = []

    async def answer(reader: Any, writer: Any) -> None:
        try:
            while not writer.is_closing():
                message = await reader.readmessage()
                received.append(str(message.segment("MSH")(10)))
                writer.writemessage(message.create_ack())
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    async def serve() -> None:
        try:
            server = await pyhl7.mllp.start_hl7_server(answer, "127.0.0.1", 0)
            port.append(server.sockets[0].getsockname()[1])
        except BaseException as e:
            failures.append(e)
            ready.set()
            raise
        ready.set()
        async with server:
            while not stop.is_set():
                await asyncio.sleep(0.02)

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert ready.wait(TIMEOUT) and not failures, failures
    inputs = workdir / "in"
    inputs.mkdir()
    sent = messages()
    for path, data in sent:
        (inputs / path.name).write_bytes(data)
    try:
        for window in ("1", "8"):
            run = subprocess.run(
                [hl7rs_bin, "mllp", "send", str(inputs), "--to", f"127.0.0.1:{port[0]}",
                 "--timeout", "10", "--retries", "1", "--window", window],
                capture_output=True,
                timeout=TIMEOUT,
            )
            assert run.returncode == 0, run.stderr.decode()
            lines = run.stdout.decode().splitlines()
            assert len(lines) == len(sent) and all(line.endswith(": AA") for line in lines), lines
    finally:
        stop.set()
        thread.join(TIMEOUT)
    assert sorted(received) == sorted([control_id(d) for _, d in sent] * 2)
