"""hl7rs.to_fhir: a message to a FHIR R4 message Bundle through the built-in mapping matrix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import hl7rs

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def adt() -> hl7rs.Message:
    return hl7rs.parse((CORPUS / "basic" / "adt_a01_v251_cr.hl7").read_bytes())


def test_adt_a01_becomes_a_message_bundle() -> None:
    bundle = hl7rs.to_fhir(adt())
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "message"
    resources = [e["resource"] for e in bundle["entry"]]
    assert resources[0]["resourceType"] == "MessageHeader"
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    assert patient["name"][0]["family"] == "TESTPATIENT"


def test_conversion_is_deterministic() -> None:
    assert hl7rs.to_fhir(adt()) == hl7rs.to_fhir(adt())


def test_issues_carry_paths_not_values() -> None:
    msg = adt()
    msg["PID-8"] = "Q"  # not in the sex vocabulary: an issue, never a default
    bundle, issues = hl7rs.to_fhir(msg, issues=True)
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert "gender" not in patient
    kinds = {(i["kind"], i["path"]) for i in issues}
    assert any(kind == "unmapped_code" and path.startswith("PID") for kind, path in kinds), kinds
    for issue in issues:
        assert set(issue) == {"kind", "path", "offset", "row"}
        assert "TESTPATIENT" not in str(issue)


MAPPINGS = Path(__file__).resolve().parents[2] / "hl7-map" / "mappings"
SITE = Path(__file__).resolve().parents[2] / "hl7-map" / "tests" / "site" / "ok"


def patient(bundle: dict) -> dict:  # type: ignore[type-arg]
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")


def test_engine_builtin_and_from_dir_agree() -> None:
    msg = adt()
    builtin = hl7rs.Engine.builtin()
    assert builtin.convert(msg) == hl7rs.to_fhir(msg) == hl7rs.to_fhir(msg.raw, engine=builtin)
    assert hl7rs.Engine.from_dir(MAPPINGS).convert(msg) == builtin.convert(msg)


def test_engine_with_site_changes_the_mapping() -> None:
    msg = adt()
    site = hl7rs.Engine.builtin().with_site(SITE)
    base_gender = patient(hl7rs.to_fhir(msg)).get("gender")
    assert base_gender is not None
    msg["PID-8"] = "2"  # a local code only the site's vocabulary knows
    assert "gender" not in patient(hl7rs.to_fhir(msg))
    assert patient(site.convert(msg))["gender"] == "female"


def test_lineage_points_into_the_message() -> None:
    msg = adt()
    bundle, lineage = hl7rs.Engine.builtin().convert(msg, lineage=True)
    assert bundle == hl7rs.to_fhir(msg)
    family = next(e for e in lineage if e["element"].startswith("Patient.name[0].family"))
    assert family["path"].startswith("PID-5")
    assert msg.raw[family["offset"] : family["offset"] + family["length"]] == b"TESTPATIENT"
    assert set(family) == {"element", "path", "offset", "length", "row"}
    b2, issues, lin2 = hl7rs.to_fhir(msg, issues=True, lineage=True)
    assert b2 == bundle and lin2 == lineage and isinstance(issues, list)


def test_errors_from_engine_loaders() -> None:
    with pytest.raises(hl7rs.MapError) as info:
        hl7rs.Engine.from_dir(Path(__file__).parent / "no-such-matrix")
    assert "TESTPATIENT" not in str(info.value)


def test_convert_many_matches_one_by_one() -> None:
    msg = adt()
    items = [msg, msg.raw, b"junk", msg.raw.decode("latin-1")] * 10
    out = hl7rs.convert_many(items, errors="return")
    want = hl7rs.to_fhir(msg)
    for i, got in enumerate(out):
        if i % 4 == 2:
            assert isinstance(got, hl7rs.ParseError) and got.index == i
        else:
            assert got == want
    assert hl7rs.convert_many(items[:2], workers=1) == [want, want]
    with pytest.raises(hl7rs.ParseError):
        hl7rs.convert_many(items)


@pytest.mark.parametrize("workers", [1, 2, 3, None])
def test_convert_many_workers_keep_order_and_report_the_first_error(workers: int | None) -> None:
    raw = adt().raw
    items = [raw.replace(b"TESTPATIENT", f"P{i}".encode()) for i in range(37)]
    out = hl7rs.convert_many(items, workers)
    families = [next(e["resource"]["name"][0]["family"] for e in b["entry"] if e["resource"]["resourceType"] == "Patient") for b in out]
    assert families == [f"P{i}" for i in range(37)]
    bad = items[:5] + [b"junk"] + items[5:20] + [b"MSH|^"] + items[20:]
    with pytest.raises(hl7rs.ParseError) as e:
        hl7rs.convert_many(bad, workers)
    assert e.value.index == 5
    returned = hl7rs.convert_many(bad, workers, errors="return")
    assert [i for i, r in enumerate(returned) if isinstance(r, hl7rs.ParseError)] == [5, 21]
    assert [r.index for r in returned if isinstance(r, hl7rs.ParseError)] == [5, 21]
    assert hl7rs.convert_many([], workers) == []


def test_convert_many_as_json_gives_the_bundle_json() -> None:
    msg = adt()
    items = [msg, msg.raw, bytearray(msg.raw), msg.raw.decode("latin-1"), b"junk"]
    out = hl7rs.convert_many(items, 2, as_json=True, errors="return")
    want = hl7rs.to_fhir(msg)
    for got in out[:4]:
        assert isinstance(got, bytes)
        assert json.loads(got) == want
    assert isinstance(out[4], hl7rs.ParseError)
    # Compact JSON, the same text for the same message.
    assert out[0] == out[1] and b"\n" not in out[0] and b'"resourceType":"Bundle"' in out[0]
    pairs = hl7rs.convert_many([msg], as_json=True, lineage=True)
    assert json.loads(pairs[0][0]) == want
    assert pairs[0][1] == hl7rs.to_fhir(msg, lineage=True)[1]
