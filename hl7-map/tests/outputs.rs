//! The conversion's extra outputs on corpus messages: coverage, the `AuditEvent`, transaction and
//! collection Bundles, the `OperationOutcome` of issues.

use fhir_model::{to_json_string, AuditEventEntityDetailValue, Resource};
use hl7_core::Message;
use hl7_map::bundles::{to_collection, to_resources, to_transaction};
use hl7_map::coverage::{by_field, uncovered};
use hl7_map::engine::{ConvertOptions, Engine, IssueKind};
use hl7_map::outcome::issues_outcome;

fn corpus(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../corpus/{rel}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

const ADT: &str = "basic/adt_a01_v251_cr.hl7";
const ZSEG: &str = "z-segments/adt_a04_zpd_zvn.hl7";

fn paths(c: &[hl7_map::coverage::Uncovered]) -> Vec<String> {
    c.iter().map(|u| u.path.to_string()).collect()
}

#[test]
fn coverage_lists_the_unmapped_fields_of_an_adt_a01() {
    let input = corpus(ADT);
    let msg = Message::parse(&input).unwrap();
    let out = Engine::builtin()
        .unwrap()
        .convert_with(&msg, ConvertOptions { coverage: true, lineage: true, ..Default::default() })
        .unwrap();
    let left = out.coverage.clone().unwrap();
    let p = paths(&left);
    // PID-1 (Set ID) and EVN-1 (kept for backward compatibility) have no row in the IG.
    for unmapped in ["PID-1[1]", "EVN-1[1]"] {
        assert!(p.contains(&unmapped.to_owned()), "{unmapped} not listed: {p:?}");
    }
    let pid1 = left.iter().find(|u| u.path.to_string() == "PID-1[1]").unwrap();
    assert_eq!(&input[pid1.span.clone()], b"1");
    // Mapped fields are not listed: PID-5 (name), PID-8 (gender), PID-3.1 (identifier value).
    for mapped in ["PID-5[1].1", "PID-8[1]", "PID-3[1].1", "PID-7[1]", "MSH-9[1].2"] {
        assert!(!p.contains(&mapped.to_owned()), "{mapped} listed: {p:?}");
    }
    // MSH-1 and MSH-2 are the delimiters, not data.
    assert!(!p.iter().any(|x| x.starts_with("MSH-1[") || x.starts_with("MSH-2[")));
    // Each listed leaf is what its path names, is valued, and no lineage span covers it.
    let lineage = out.lineage.as_deref().unwrap();
    for u in &left {
        let v = msg.get(&u.path).unwrap_or_else(|| panic!("{} does not resolve", u.path));
        assert_eq!(v.offset()..v.offset() + v.len(), u.span, "{}", u.path);
        assert!(!v.is_empty());
        assert!(!lineage.iter().any(|l| l.span.start <= u.span.start && u.span.end <= l.span.end), "{}", u.path);
    }
    // The summary counts by segment-field.
    assert_eq!(by_field(&left).get("PID-1"), Some(&1));
    assert_eq!(by_field(&left).values().sum::<usize>(), left.len());
    // The function on its own gives the same list from the same lineage.
    assert_eq!(uncovered(&msg, lineage), left);
}

#[test]
fn coverage_lists_every_leaf_of_z_segments() {
    let input = corpus(ZSEG);
    let msg = Message::parse(&input).unwrap();
    let out =
        Engine::builtin().unwrap().convert_with(&msg, ConvertOptions { coverage: true, ..Default::default() }).unwrap();
    // Lineage was recorded for coverage but not asked for.
    assert!(out.lineage.is_none());
    let left = out.coverage.unwrap();
    let z: Vec<String> = paths(&left).into_iter().filter(|p| p.starts_with('Z')).collect();
    // ZPD|1|TESTVALUE^ONE|Y||custom&sub&components ; ZVN|1|VIS0000001|20250102||| ; ZZ1|3-char Z id with digit
    assert_eq!(
        z,
        [
            "ZPD-1[1]",
            "ZPD-2[1].1",
            "ZPD-2[1].2",
            "ZPD-3[1]",
            "ZPD-5[1].1.1",
            "ZPD-5[1].1.2",
            "ZPD-5[1].1.3",
            "ZVN-1[1]",
            "ZVN-2[1]",
            "ZVN-3[1]",
            "ZZ1-1[1]",
        ]
    );
    let counts = by_field(&left);
    assert_eq!((counts["ZPD-2"], counts["ZPD-5"], counts["ZZ1-1"]), (2, 3, 1));
    // Spans, never values: the Debug form shows none.
    let debug = format!("{left:?}");
    assert!(!debug.contains("TESTVALUE") && !debug.contains("custom"));
}

#[test]
fn coverage_names_the_occurrence_of_repeated_segments() {
    let msg = Message::parse(b"MSH|^~\\&|A\rZXA|a~b\rZXA|c\r").unwrap();
    let p = paths(&uncovered(&msg, &[]));
    assert_eq!(p, ["MSH-3[1]", "ZXA[1]-1[1]", "ZXA[1]-1[2]", "ZXA[2]-1[1]"]);
}

#[test]
fn the_audit_event_records_who_what_and_which_fields() {
    let input = corpus(ADT);
    let msg = Message::parse(&input).unwrap();
    let engine = Engine::builtin().unwrap();
    let options = ConvertOptions { audit: true, recorded: Some("2025-02-03T04:05:06Z".into()), ..Default::default() };
    let out = engine.convert_with(&msg, options).unwrap();
    let audit = out.audit.clone().unwrap();
    let report = Resource::from(audit.clone()).validate();
    assert!(!report.has_errors(), "{report}");
    let j: serde_json::Value = serde_json::from_str(&to_json_string(&audit).unwrap()).unwrap();
    assert_eq!(j["recorded"], "2025-02-03T04:05:06Z");
    assert_eq!(j["type"]["code"], "transform");
    assert_eq!(j["type"]["system"], "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle");
    assert_eq!(j["action"], "E");
    assert_eq!(j["agent"][0]["type"]["coding"][0]["code"], "110153");
    assert_eq!(j["agent"][0]["who"]["display"], "TESTAPP (TESTFAC)");
    assert_eq!(j["agent"][0]["requestor"], true);
    assert_eq!(j["agent"][1]["who"]["display"], "TESTRCV (TESTRFAC)");
    assert_eq!(j["entity"][0]["role"]["code"], "1");
    assert_eq!(j["entity"][0]["what"]["identifier"]["value"], "TEST0000001");
    assert_eq!(j["entity"][1]["what"]["identifier"]["value"], "CTRL0001");
    let fields: Vec<&str> = audit.entity[1]
        .detail
        .iter()
        .filter_map(|d| match &d.value {
            Some(AuditEventEntityDetailValue::String(s)) => s.as_str(),
            _ => None,
        })
        .collect();
    assert!(fields.contains(&"PID-5") && fields.contains(&"MSH-9"), "{fields:?}");
    let mut sorted = fields.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted, fields, "distinct and in order");
    assert_eq!(j["entity"][2]["what"]["identifier"]["value"], format!("urn:uuid:{}", out.bundle.id.unwrap()));
    assert_eq!(j["outcome"], if out.issues.is_empty() { "0" } else { "4" });
    // Same input, same time: same bytes (no clock).
    let again = engine
        .convert_with(
            &msg,
            ConvertOptions { audit: true, recorded: Some("2025-02-03T04:05:06Z".into()), ..Default::default() },
        )
        .unwrap();
    assert_eq!(to_json_string(&again.audit.unwrap()).unwrap(), to_json_string(&audit).unwrap());
}

#[test]
fn no_audit_event_without_a_time_and_the_issue_says_so() {
    // The corpus ADT's MSH-7 has no zone: not an instant.
    let input = corpus(ADT);
    let msg = Message::parse(&input).unwrap();
    let out =
        Engine::builtin().unwrap().convert_with(&msg, ConvertOptions { audit: true, ..Default::default() }).unwrap();
    assert!(out.audit.is_none());
    assert!(out
        .issues
        .iter()
        .any(|i| matches!(&i.kind, IssueKind::ResourceDropped { resource, .. } if resource == "AuditEvent")
            && i.source.to_string() == "MSH-7"));
    // MSH-7 with a zone is enough.
    let zoned = String::from_utf8(input).unwrap().replace("|20250102030405||ADT", "|20250102030405+0100||ADT");
    let msg = Message::parse(zoned.as_bytes()).unwrap();
    let out =
        Engine::builtin().unwrap().convert_with(&msg, ConvertOptions { audit: true, ..Default::default() }).unwrap();
    let recorded = out.audit.unwrap().recorded.unwrap();
    assert_eq!(recorded.value().unwrap().as_str(), "2025-01-02T03:04:05+01:00");
}

/// Every corpus message that converts: the transaction and collection Bundles validate.
#[test]
fn transaction_and_collection_bundles_validate() {
    let engine = Engine::builtin().unwrap();
    let mut seen = 0;
    for dir in ["basic", "message-types", "z-segments"] {
        let mut files: Vec<_> = std::fs::read_dir(format!("{}/../corpus/{dir}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "hl7"))
            .collect();
        files.sort();
        for f in files {
            let input = std::fs::read(&f).unwrap();
            let Ok(msg) = Message::parse(&input) else { continue };
            let out = engine.convert(&msg).unwrap();
            let message_errors = Resource::from(out.bundle.clone()).validate().errors().count();
            for (kind, b) in [("transaction", to_transaction(&out.bundle)), ("collection", to_collection(&out.bundle))]
            {
                assert_eq!(b.type_.as_ref().and_then(|t| t.as_str()), Some(kind));
                assert_eq!(b.entry.len(), out.bundle.entry.len());
                let report = Resource::from(b.clone()).validate();
                // No error of the reshaping's own: at most those of the message Bundle's resources.
                let errors: Vec<String> = report.errors().map(ToString::to_string).collect();
                assert!(errors.len() <= message_errors, "{}: {kind}: {errors:?}", f.display());
                assert!(!errors.iter().any(|e| e.contains(".request")), "{}: {errors:?}", f.display());
                for e in &b.entry {
                    let r = e.resource.as_ref().unwrap();
                    match (kind, &e.request) {
                        ("transaction", Some(req)) => {
                            assert_eq!(req.method.as_ref().and_then(|m| m.as_str()), Some("POST"));
                            assert_eq!(req.url.as_ref().and_then(|m| m.as_str()), Some(r.resource_type()));
                        }
                        ("collection", None) => {}
                        _ => panic!("{kind}: request {:?}", e.request.is_some()),
                    }
                }
            }
            // NDJSON resources: no reference left to a urn:uuid of the Bundle.
            for r in to_resources(&out.bundle) {
                assert!(!to_json_string(&r).unwrap().contains("\"reference\":\"urn:uuid:"));
            }
            seen += 1;
        }
    }
    assert!(seen >= 5);
}

#[test]
fn resources_are_created_conditionally_on_a_first_identifier_with_a_system() {
    let input = corpus(ADT);
    let msg = Message::parse(&input).unwrap();
    let mut bundle = Engine::builtin().unwrap().convert(&msg).unwrap().bundle;
    let at =
        bundle.entry.iter().position(|e| e.resource.as_ref().is_some_and(|r| r.resource_type() == "Patient")).unwrap();
    // The built-in matrix gives PID-3 without a system (PID-3.4 has no universal id): no condition,
    // since an identifier without a system could match another assigner's patient.
    let tx = to_transaction(&bundle);
    assert!(tx.entry[at].request.as_ref().unwrap().if_none_exist.is_none());
    let Some(Resource::Patient(p)) = bundle.entry[at].resource.as_mut() else { panic!() };
    p.identifier.insert(
        0,
        fhir_model::Identifier {
            system: Some("urn:oid:2.16.840.1.113883.19.5".into()),
            value: Some("MRN 7".into()),
            ..Default::default()
        },
    );
    let tx = to_transaction(&bundle);
    let condition = tx.entry[at].request.as_ref().unwrap().if_none_exist.as_ref().and_then(|c| c.as_str()).unwrap();
    assert_eq!(condition, "identifier=urn:oid:2.16.840.1.113883.19.5|MRN%207");
    // The MessageHeader has no identifier: a plain create.
    assert!(tx.entry[0].request.as_ref().unwrap().if_none_exist.is_none());
    assert!(!Resource::from(tx).validate().errors().any(|e| e.location().to_string().contains("request")));
}

#[test]
fn the_issues_outcome_validates_and_quotes_no_value() {
    let msg = Message::parse(
        b"MSH|^~\\&|APP|FAC|||20240131093000||ADT^A01|42|P|2.5.1\rPID|1||123^^^H^MR||Doe^Jane||19800101|QZCANARY\r",
    )
    .unwrap();
    let out = Engine::builtin().unwrap().convert(&msg).unwrap();
    assert!(!out.issues.is_empty());
    let outcome = issues_outcome(&out.issues);
    assert_eq!(outcome.issue.len(), out.issues.len());
    assert!(!Resource::from(outcome.clone()).validate().has_errors());
    let json = to_json_string(&outcome).unwrap();
    assert!(!json.contains("QZCANARY"), "{json}");
    let unmapped =
        outcome.issue.iter().find(|i| i.code.as_ref().and_then(|c| c.as_str()) == Some("code-invalid")).unwrap();
    let diagnostics = unmapped.diagnostics.as_ref().and_then(|d| d.as_str()).unwrap();
    assert!(diagnostics.starts_with("unmapped code") && diagnostics.contains("PID-8") && diagnostics.contains("row "));
    // The dropped time (MSH-7 without a zone) is information, not a warning.
    assert!(outcome.issue.iter().any(|i| i.severity.as_ref().and_then(|s| s.as_str()) == Some("information")));
}
