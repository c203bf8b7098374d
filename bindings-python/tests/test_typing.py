"""Typing: the package ships py.typed and stubs; a typed use of the API passes mypy --strict."""

from __future__ import annotations

import importlib.util
import pathlib
import subprocess
import sys

import pytest

import hl7rs

PACKAGE = pathlib.Path(hl7rs.__file__).parent

USE = '''
import hl7rs
msg: hl7rs.Message = hl7rs.parse(b"MSH|^~\\\\&|A\\r")
value: str = msg["MSH-3"]
maybe: str | None = msg.get("PID-3")
seg = msg.segment("MSH")
if seg is not None:
    f = seg[3]
    text: str = str(f) if f is not None else ""
diags: list[hl7rs.Diagnostic] = hl7rs.validate(msg)
ack: bytes = hl7rs.ack(msg, "AE")
err: type[hl7rs.Hl7Error] = hl7rs.LimitError
'''


def test_marker_and_stubs_are_installed() -> None:
    assert (PACKAGE / "py.typed").is_file()
    assert (PACKAGE / "_native.pyi").is_file()


def test_every_public_name_is_exported() -> None:
    for name in hl7rs.__all__:
        assert hasattr(hl7rs, name), name


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy not installed")
def test_typed_use_passes_mypy_strict(tmp_path: pathlib.Path) -> None:
    src = tmp_path / "use.py"
    src.write_text(USE)
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.10", str(src)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stdout + r.stderr
