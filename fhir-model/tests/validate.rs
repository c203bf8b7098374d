//! Validation into a `ValidationReport` and from it an `OperationOutcome`.

#[path = "../../hl7-core/tests/common/shared.rs"]
mod shared;

use std::path::PathBuf;

use fhir_model::{
    validate_resource, IssueSeverity, IssueType, OperationOutcome, Primitive, ReadMode, Resource,
    ResourceValidationOptions, UsCoreVersion, ValidationReport,
};

fn read(json: &str) -> Resource {
    Resource::from_json(json.as_bytes(), ReadMode::Strict).unwrap_or_else(|e| panic!("reads: {e}"))
}

/// `(severity, code, expression)` of every issue.
fn issues(o: &ValidationReport) -> Vec<(String, String, String)> {
    o.issues()
        .iter()
        .map(|i| (i.severity().code().to_string(), i.code().code().to_string(), i.location().to_string()))
        .collect()
}

/// `(severity, code, expression)` of every issue of an `OperationOutcome`.
fn outcome_issues(o: &OperationOutcome) -> Vec<(String, String, String)> {
    o.issue
        .iter()
        .map(|i| {
            let s = |p: &Option<Primitive<String>>| p.as_ref().and_then(Primitive::as_str).unwrap_or("").to_string();
            (s(&i.severity), s(&i.code), i.expression.first().and_then(Primitive::as_str).unwrap_or("").to_string())
        })
        .collect()
}

fn has(o: &ValidationReport, code: &str, expression: &str) -> bool {
    issues(o).iter().any(|(_, c, e)| c == code && e == expression)
}

#[test]
fn valid_resource_has_one_informational_issue() {
    let r = read(
        r#"{"resourceType":"Observation","id":"o-1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"718-7"}]},"valueQuantity":{"value":13.4,"comparator":"<"}}"#,
    );
    let o = r.validate();
    assert!(!o.has_errors(), "{:?}", issues(&o));
    assert!(o.issues().is_empty());
    assert_eq!(o.to_string(), "no issues found");
    let outcome = o.to_operation_outcome();
    assert!(!outcome.has_errors());
    assert_eq!(outcome_issues(&outcome), vec![("information".to_string(), "informational".to_string(), String::new())]);
    assert_eq!(outcome.issue[0].diagnostics.as_ref().and_then(Primitive::as_str), Some("no issues found"));
}

/// The report converts to the `OperationOutcome` validation gave before the report existed:
/// one issue per finding, in order, with severity, code, message as diagnostics and the path
/// as the one expression.
#[test]
fn report_converts_to_operation_outcome() {
    let o = read(r#"{"resourceType":"Patient","gender":"F","link":[{"type":"seealso"}],"photo":[{"contentType":"image/png","size":-1}]}"#)
        .validate();
    let outcome = o.to_operation_outcome();
    assert_eq!(outcome_issues(&outcome), issues(&o));
    assert_eq!(outcome.issue.len(), o.issues().len());
    for (typed, fhir) in o.issues().iter().zip(&outcome.issue) {
        assert_eq!(fhir.diagnostics.as_ref().and_then(Primitive::as_str), Some(typed.message()));
        assert_eq!(fhir.expression.len(), 1);
    }
    assert_eq!(OperationOutcome::from(o.clone()), outcome);
    assert!(outcome.has_errors() && o.has_errors());
    let first = &o.issues()[0];
    assert_eq!((first.severity(), first.code()), (IssueSeverity::Error, IssueType::CodeInvalid));
    assert_eq!(first.location().as_str(), "Patient.gender");
    assert_eq!(
        first.message(),
        "code is not in the required value set http://hl7.org/fhir/ValueSet/administrative-gender"
    );
    assert_eq!(o.errors().count(), o.issues().len());
    let messages: Vec<&str> = o.iter().map(fhir_model::ValidationIssue::message).collect();
    assert!(messages.contains(&"minimum cardinality 1 not met"), "{messages:?}");
}

#[test]
fn cardinality() {
    let o = read(r#"{"resourceType":"Observation","status":"final"}"#).validate();
    assert!(has(&o, "required", "Observation.code"), "{:?}", issues(&o));
    // Nested: Patient.link.other and Patient.link.type are 1..1.
    let o = read(r#"{"resourceType":"Patient","link":[{"type":"seealso"}]}"#).validate();
    assert!(has(&o, "required", "Patient.link[0].other"), "{:?}", issues(&o));
    // Extension.url is 1..1.
    let o = read(r#"{"resourceType":"Patient","extension":[{"valueString":"x"}]}"#).validate();
    assert!(has(&o, "required", "Patient.extension[0].url"), "{:?}", issues(&o));
}

#[test]
fn required_bindings() {
    let o = read(r#"{"resourceType":"Patient","gender":"F"}"#).validate();
    assert!(has(&o, "code-invalid", "Patient.gender"), "{:?}", issues(&o));
    let o =
        read(r#"{"resourceType":"Patient","gender":"female","telecom":[{"system":"phone","use":"cell"}]}"#).validate();
    assert!(has(&o, "code-invalid", "Patient.telecom[0].use"), "{:?}", issues(&o));
    assert_eq!(o.issues().len(), 1);
    // A CodeableConcept bound as required needs a coding from the value set.
    let o = read(
        r#"{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/1"},
            "clinicalStatus":{"coding":[{"system":"http://snomed.info/sct","code":"55561003"}]}}"#,
    )
    .validate();
    assert!(has(&o, "code-invalid", "AllergyIntolerance.clinicalStatus"), "{:?}", issues(&o));
    let o = read(
        r#"{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/1"},
            "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]}}"#,
    )
    .validate();
    assert!(!o.has_errors(), "{:?}", issues(&o));
    // Codes from a value set whose system is external (mime types) are accepted.
    let o = read(r#"{"resourceType":"Patient","photo":[{"contentType":"image/png"}]}"#).validate();
    assert!(!o.has_errors(), "{:?}", issues(&o));
}

#[test]
fn primitive_formats() {
    let o = read(
        r#"{"resourceType":"Patient","id":"bad id","birthDate":"1970-13-01","active":true,
            "name":[{"given":["ok",""]}],"multipleBirthInteger":-1,
            "telecom":[{"system":"phone","value":"1","rank":0}],
            "identifier":[{"system":"urn:oid:9.9"}],"contact":[{"organization":{"reference":"Organization/1"}}],"photo":[{"url":"a b","creation":"2020-01-01T10:00"}]}"#,
    )
    .validate();
    for at in [
        "Patient.id",
        "Patient.birthDate",
        "Patient.telecom[0].rank",
        "Patient.name[0].given[1]", // FHIR strings are never empty
        "Patient.photo[0].url",
        "Patient.photo[0].creation",
    ] {
        assert!(has(&o, "value", at), "{at}: {:?}", issues(&o));
    }
    // A negative `integer` and any non-blank `uri` are fine.
    assert!(!issues(&o).iter().any(|(_, _, e)| e.starts_with("Patient.multipleBirth")), "{:?}", issues(&o));
    assert!(!issues(&o).iter().any(|(_, _, e)| e.starts_with("Patient.identifier")), "{:?}", issues(&o));
    assert_eq!(o.issues().len(), 6, "{:?}", issues(&o));
    // Choice paths use ofType().
    let o = read(r#"{"resourceType":"Observation","status":"final","code":{"text":"t"},"valueDateTime":"2020-02"}"#)
        .validate();
    assert!(!o.has_errors());
    let o =
        read(r#"{"resourceType":"Observation","status":"final","code":{"text":"t"},"effectiveDateTime":"yesterday"}"#)
            .validate();
    assert!(has(&o, "value", "Observation.effective.ofType(dateTime)"), "{:?}", issues(&o));
}

#[test]
fn messages_do_not_quote_values() {
    let o =
        read(r#"{"resourceType":"Patient","id":"SECRET SECRET","gender":"SECRET","birthDate":"SECRET"}"#).validate();
    assert_eq!(o.issues().len(), 3, "{:?}", issues(&o));
    let text = fhir_model::to_json_string(&o.to_operation_outcome()).unwrap();
    assert!(!text.contains("SECRET"), "{text}");
    let text = format!("{o}{o:?}");
    assert!(!text.contains("SECRET"), "{text}");
}

#[test]
fn bundle_references() {
    let bundle = read(
        r##"{"resourceType":"Bundle","type":"collection","entry":[
            {"fullUrl":"urn:uuid:0e3c8bd2-7e3b-4b68-9d3f-34d6c4a0f0a1","resource":{"resourceType":"Patient"}},
            {"fullUrl":"http://example.org/fhir/Organization/o1","resource":{"resourceType":"Organization","id":"o1"}},
            {"resource":{"resourceType":"Observation","status":"final","code":{"text":"t"},
              "subject":{"reference":"urn:uuid:0e3c8bd2-7e3b-4b68-9d3f-34d6c4a0f0a1"},
              "performer":[{"reference":"Organization/o1"},{"reference":"Practitioner/missing"},
                           {"reference":"http://elsewhere.example/Practitioner/9"},{"reference":"#nope"}]}}]}"##,
    );
    let o = bundle.validate();
    let all = issues(&o);
    assert!(!all.iter().any(|(_, _, e)| e.contains("subject") || e.contains("performer[0]")), "{all:?}");
    assert!(
        all.contains(&("error".into(), "not-found".into(), "Bundle.entry[2].resource.performer[1].reference".into())),
        "{all:?}"
    );
    assert!(
        all.contains(&("warning".into(), "not-found".into(), "Bundle.entry[2].resource.performer[2].reference".into())),
        "{all:?}"
    );
    assert!(
        all.contains(&("error".into(), "not-found".into(), "Bundle.entry[2].resource.performer[3].reference".into())),
        "{all:?}"
    );
    // Bundle references can be switched off.
    let opts = ResourceValidationOptions::default().with_bundle_references(false);
    let o = validate_resource(&bundle, &opts);
    assert!(!issues(&o).iter().any(|(_, _, e)| e.ends_with("performer[1].reference")));
}

#[test]
fn contained_references() {
    let r = read(
        r##"{"resourceType":"Observation","contained":[{"resourceType":"Patient","id":"p"}],"status":"final",
            "code":{"text":"t"},"subject":{"reference":"#p"},"performer":[{"reference":"#q"}]}"##,
    );
    let o = r.validate();
    assert_eq!(issues(&o), vec![("error".into(), "not-found".into(), "Observation.performer[0].reference".into())]);
}

#[test]
fn us_core() {
    let patient = read(r#"{"resourceType":"Patient","name":[{"family":"X"}],"telecom":[{"system":"phone"}]}"#);
    let v9 = ResourceValidationOptions::default().with_us_core(UsCoreVersion::V9_0_0);
    let o = validate_resource(&patient, &v9);
    assert!(has(&o, "required", "Patient.identifier"), "{:?}", issues(&o));
    assert!(has(&o, "required", "Patient.telecom[0].value"), "{:?}", issues(&o));
    assert!(!has(&o, "required", "Patient.gender"));
    let v7 = ResourceValidationOptions::default().with_us_core(UsCoreVersion::new(7, 0, 0));
    assert!(has(&validate_resource(&patient, &v7), "required", "Patient.gender"));
    // Without US Core none of this is required.
    assert!(!patient.validate().has_errors());
    // A declared profile picks its own requirements; undeclared uses what all profiles of the type share.
    let obs = read(r#"{"resourceType":"Observation","status":"final","code":{"text":"t"}}"#);
    let o = validate_resource(&obs, &v9);
    assert!(has(&o, "required", "Observation.category"), "{:?}", issues(&o));
    assert!(!has(&o, "required", "Observation.subject"), "{:?}", issues(&o));
    let obs = read(
        r#"{"resourceType":"Observation","meta":{"profile":["http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-clinical-result"]},
            "status":"final","code":{"text":"t"}}"#,
    );
    assert!(has(&validate_resource(&obs, &v9), "required", "Observation.subject"));
    // Inside a Bundle, paths lead from the Bundle.
    let b = read(
        r#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","name":[{"family":"X"}]}}]}"#,
    );
    assert!(has(&validate_resource(&b, &v9), "required", "Bundle.entry[0].resource.identifier"));
}

/// Every `.fhir` file under `dir`.
fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "fhir") {
            out.push(p);
        }
    }
}

#[test]
fn conformance_bundles_validate() {
    let Some(dir) = shared::shared_dir("conformance/cases") else { return };
    let mut files = Vec::new();
    walk(&dir, &mut files);
    assert!(!files.is_empty(), "no .fhir file under {}", dir.display());
    files.sort();
    let mut with_errors = 0;
    let mut kinds = std::collections::BTreeMap::new();
    for f in &files {
        let r = Resource::from_json(&std::fs::read(f).unwrap(), ReadMode::Strict).unwrap();
        let o = r.validate();
        for (_, _, e) in issues(&o) {
            assert!(e.is_empty() || e.starts_with("Bundle"), "{}: {e}", f.display());
        }
        with_errors += usize::from(o.has_errors());
        for (sev, code, e) in issues(&o) {
            if sev == "error" {
                let shape: String = e.chars().filter(|c| !c.is_ascii_digit()).collect();
                *kinds.entry(format!("{code} {shape}")).or_insert(0usize) += 1;
            }
        }
    }
    eprintln!("{} of {} conformance bundles have validation errors:", with_errors, files.len());
    for (k, n) in &kinds {
        eprintln!("  {n:4} {k}");
    }
    // The negative XTN-18 case is the one known-invalid input (ContactPoint.rank must be positive).
    let neg = dir.join("xtn/contact-point/xtn_23_xtn18_has_negative_value.fhir");
    if neg.exists() {
        let o = Resource::from_json(&std::fs::read(&neg).unwrap(), ReadMode::Strict).unwrap().validate();
        assert!(issues(&o).iter().any(|(_, c, e)| c == "value" && e.ends_with(".telecom[0].rank")), "{:?}", issues(&o));
    }
}
