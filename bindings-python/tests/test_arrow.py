"""hl7rs.to_arrow / to_pandas: flat rows built in Rust, errors as rows, pyarrow arrays as input."""

from __future__ import annotations

import pathlib

import pyarrow as pa
import pytest

import hl7rs

MSG = b"MSH|^~\\&|LAB|H|||20240101||ORU^R01|C1|P|2.5\rPID|1||7^^^H~8&x||O\\T\\B^JO\rOBX|1|NM|GLU||5.4\r"
CORPUS = pathlib.Path(__file__).resolve().parents[3] / "shared" / "corpus"


def rows(batch: pa.RecordBatch) -> list[tuple[object, ...]]:
    return [tuple(r.values()) for r in batch.to_pylist()]


def test_schema_and_rows() -> None:
    batch = hl7rs.to_arrow([MSG])
    assert batch.schema.names == list(hl7rs._arrow.COLUMNS)
    assert [str(t) for t in batch.schema.types] == [
        "int64", "string", "int32", "int32", "int32", "int32", "int32", "string", "string", "int64"
    ]
    pid = [r[1:8] for r in rows(batch) if r[1] == "PID"]
    assert pid == [
        ("PID", 2, 1, 1, 1, 1, "1"),
        ("PID", 2, 3, 1, 1, 1, "7"),
        ("PID", 2, 3, 1, 4, 1, "H"),
        ("PID", 2, 3, 2, 1, 1, "8"),
        ("PID", 2, 3, 2, 1, 2, "x"),
        ("PID", 2, 5, 1, 1, 1, "O&B"),  # escapes decoded
        ("PID", 2, 5, 1, 2, 1, "JO"),
    ]
    msh = [r[3:8] for r in rows(batch) if r[1] == "MSH"][:3]
    assert msh == [(1, 1, 1, 1, "|"), (2, 1, 1, 1, "^~\\&"), (3, 1, 1, 1, "LAB")]
    offsets = {r[7]: r[9] for r in rows(batch)}
    assert MSG[offsets["GLU"] : offsets["GLU"] + 3] == b"GLU"
    assert batch.column("kind").null_count == batch.num_rows


def test_errors_are_rows_never_exceptions() -> None:
    batch = hl7rs.to_arrow([b"", None, b"junk", MSG, "MSH|^^|x", bytearray(MSG)])
    errors = [(r[0], r[8], r[9]) for r in rows(batch) if r[8] is not None]
    assert errors == [(0, "empty", 0), (1, "null", 0), (2, "no_header", 0), (4, "too_few_encoding_characters", 5)]
    for r in rows(batch):
        if r[8] is not None:
            assert r[1:8] == (None,) * 7
    assert {r[0] for r in rows(batch)} == {0, 1, 2, 3, 4, 5}


@pytest.mark.parametrize("kind", [pa.binary(), pa.large_binary(), pa.string(), pa.large_string()])
def test_arrow_arrays_match_lists(kind: pa.DataType) -> None:
    items = [MSG, None, b"junk", MSG.replace(b"C1", b"C2")] * 3
    if kind in (pa.string(), pa.large_string()):
        arr = pa.array([i.decode() if i else None for i in items], kind)
    else:
        arr = pa.array(items, kind)
    want = hl7rs.to_arrow(items)
    assert hl7rs.to_arrow(arr).equals(want)
    # A sliced array (non-zero offset) and a chunked one.
    assert rows(hl7rs.to_arrow(arr.slice(2, 5))) == [
        (r[0] - 2, *r[1:]) for r in rows(want) if 2 <= r[0] < 7
    ]
    assert hl7rs.to_arrow(pa.chunked_array([arr.slice(0, 4), arr.slice(4)])).equals(want)


def test_messages_and_str_inputs() -> None:
    msg = hl7rs.parse(MSG)
    assert hl7rs.to_arrow([msg, MSG.decode()]).column("value").to_pylist() == hl7rs.to_arrow([MSG, MSG]).column(
        "value"
    ).to_pylist()
    with pytest.raises(TypeError):
        hl7rs.to_arrow([1])
    with pytest.raises(TypeError):
        hl7rs.to_arrow(pa.array([1, 2]))


def test_to_pandas() -> None:
    df = hl7rs.to_pandas([MSG])
    assert df[(df.segment == "OBX") & (df.field == 5)].value.tolist() == ["5.4"]


def test_corpus_values_match_views() -> None:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus absent")
    files = sorted(p for p in CORPUS.rglob("*.hl7"))[:150]
    data = [p.read_bytes() for p in files]
    batch = hl7rs.to_arrow(data)
    by_message: dict[int, list[tuple[object, ...]]] = {}
    for r in rows(batch):
        by_message.setdefault(int(r[0]), []).append(r)  # type: ignore[call-overload]
    checked = 0
    for i, d in enumerate(data):
        try:
            msg = hl7rs.parse(d)
        except hl7rs.Hl7Error:
            assert by_message[i][0][8] is not None
            continue
        segs = msg.segments()
        for _, seg_id, si, f, r, c, s, value, kind, _ in by_message.get(i, []):
            seg = segs[si - 1]  # type: ignore[operator]
            assert seg.id == seg_id and kind is None
            field = seg[f]
            assert field is not None
            if seg_id in ("MSH", "FHS", "BHS") and f in (1, 2):
                assert field.raw.decode() == value
                continue
            sub = field.repetitions[r - 1].components[c - 1].subcomponents[s - 1]  # type: ignore[operator]
            assert str(sub) == value
            checked += 1
    assert checked > 10_000
