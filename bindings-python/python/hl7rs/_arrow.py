"""``hl7rs.to_arrow`` and ``hl7rs.to_pandas``: messages as one flat Arrow table (pyarrow optional:
``pip install hl7rs[arrow]``)."""

from __future__ import annotations

import importlib
from typing import Any

from . import _native

# pyarrow and pandas are optional and untyped: their objects are `Any` here.

__all__ = ["COLUMNS", "to_arrow", "to_pandas"]

#: The columns of ``to_arrow``, in order.
COLUMNS = (
    "message",
    "segment",
    "segment_index",
    "field",
    "repetition",
    "component",
    "subcomponent",
    "value",
    "kind",
    "offset",
)


def _pyarrow() -> Any:
    try:
        return importlib.import_module("pyarrow")
    except ImportError as e:  # pragma: no cover - exercised only without pyarrow
        raise ImportError("hl7rs.to_arrow needs pyarrow: pip install hl7rs[arrow]") from e


def _batch(pa: Any, parts: tuple[Any, ...]) -> Any:
    # One bytes object holds every buffer; each is a zero-copy slice of it.
    rows, large, data, spans = parts
    whole = pa.py_buffer(data)
    message, seg_o, seg_d, seg_i, fld, rep, comp, sub, val_o, val_d, kind_o, kind_d, off, valid, errors = (
        None if span is None else whole.slice(span[0], span[1]) for span in spans
    )
    string = pa.large_string() if large else pa.string()

    def ints(kind: Any, buf: Any, validity: Any = None) -> Any:
        return pa.Array.from_buffers(kind, rows, [validity, buf])

    def strs(offsets: Any, buf: Any, validity: Any) -> Any:
        return pa.Array.from_buffers(string, rows, [validity, offsets, buf])

    arrays = [
        ints(pa.int64(), message),
        strs(seg_o, seg_d, valid),
        ints(pa.int32(), seg_i, valid),
        ints(pa.int32(), fld, valid),
        ints(pa.int32(), rep, valid),
        ints(pa.int32(), comp, valid),
        ints(pa.int32(), sub, valid),
        strs(val_o, val_d, valid),
        strs(kind_o, kind_d, errors),
        ints(pa.int64(), off),
    ]
    return pa.RecordBatch.from_arrays(arrays, names=list(COLUMNS))


def to_arrow(data: Any) -> Any:
    """Messages as a ``pyarrow.RecordBatch`` with one row per non-empty value.

    ``data`` is a list (or any iterable) of ``bytes``, ``str``, ``hl7rs.Message`` or ``None``, or a
    pyarrow ``binary``, ``large_binary``, ``string`` or ``large_string`` array (or chunked array),
    so that Spark's ``mapInArrow`` can pass its column as is. Columns: ``message`` (position of
    the input), ``segment`` (id), ``segment_index`` (1-based position in the message),
    ``field``, ``repetition``, ``component``, ``subcomponent`` (1-based), ``value`` (decoded text:
    escapes and MSH-18 charset; MSH-1 and MSH-2 as written) and ``offset`` (byte offset of the
    value in its message). A value ``a^b&c`` gives three rows (``(1,1)``, ``(2,1)``, ``(2,2)``);
    empty values give none. An input that does not parse (or a null) gives one row with ``kind``
    (the error kind: ``no_header``, ``invalid_field_separator``, ``null``…) and ``offset``, its
    other columns null: never an exception. The work runs on all cores with the GIL released.

    >>> import hl7rs
    >>> batch = hl7rs.to_arrow([b"MSH|^~\\\\&|LAB|||||ORU^R01|1|P|2.5\\rPID|1||7^^^H||DOE^JO", b"junk"])
    >>> rows = batch.to_pylist()
    >>> [(r["segment"], r["field"], r["component"], r["value"]) for r in rows if r["segment"] == "PID"]
    [('PID', 1, 1, '1'), ('PID', 3, 1, '7'), ('PID', 3, 4, 'H'), ('PID', 5, 1, 'DOE'), ('PID', 5, 2, 'JO')]
    >>> {k: rows[-1][k] for k in ("message", "segment", "kind", "offset")}
    {'message': 1, 'segment': None, 'kind': 'no_header', 'offset': 0}
    """
    pa = _pyarrow()
    if isinstance(data, pa.ChunkedArray):
        data = data.combine_chunks()
    if isinstance(data, pa.Array):
        kind = data.type
        if not (pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            raise TypeError("to_arrow takes a binary, large_binary, string or large_string array")
        large = pa.types.is_large_binary(kind) or pa.types.is_large_string(kind)
        validity, offsets, values = data.buffers()
        parts = _native._arrow_from_buffers(
            offsets.to_pybytes() if offsets is not None else b"",
            values.to_pybytes() if values is not None else b"",
            large,
            data.offset,
            len(data),
            validity.to_pybytes() if validity is not None and data.null_count else None,
        )
    else:
        parts = _native._arrow_from_items(data)
    return _batch(pa, parts)


def to_pandas(data: Any) -> Any:
    """``to_arrow(data).to_pandas()``: the same rows as a pandas ``DataFrame`` (needs pandas).

    >>> import hl7rs
    >>> df = hl7rs.to_pandas(["MSH|^~\\\\&|LAB|||||ORU^R01|1|P|2.5\\rOBX|1|NM|GLU||5.4"])
    >>> df[(df.segment == "OBX") & (df.field == 5)].value.tolist()
    ['5.4']
    """
    return to_arrow(data).to_pandas()
