"""hl7rs.to_fhir: a message to a FHIR R4 message Bundle through the built-in mapping matrix."""

from pathlib import Path

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
