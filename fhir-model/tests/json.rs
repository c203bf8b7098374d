//! FHIR JSON rules on hand-written examples.

use fhir_model::{
    from_json_slice, to_json_string, CodeableConcept, Decimal, Extension, ExtensionValue, HumanName, JsonErrorKind,
    Observation, ObservationValue, Patient, Primitive, Quantity, ReadMode, Resource,
};
use serde_json::Value;

fn read(json: &str) -> Resource {
    Resource::from_json(json.as_bytes(), ReadMode::Strict).unwrap_or_else(|e| panic!("reads: {e}"))
}

fn write(r: &Resource) -> String {
    String::from_utf8(r.to_json().expect("writes")).expect("utf-8")
}

#[test]
fn decimal_keeps_lexical_form() {
    let json = r#"{"resourceType":"Observation","status":"final","code":{"text":"w"},"valueQuantity":{"value":1.50,"unit":"kg"}}"#;
    assert_eq!(write(&read(json)), json);
    let Resource::Observation(obs) = read(json) else { panic!("an Observation") };
    let Some(ObservationValue::Quantity(q)) = &obs.value else { panic!("valueQuantity") };
    assert_eq!(q.value.as_ref().and_then(Primitive::value).map(Decimal::as_str), Some("1.50"));
    for lexical in ["0.10", "1e3", "-0.0", "100"] {
        let json = format!(
            r#"{{"resourceType":"Observation","status":"final","code":{{"text":"w"}},"valueQuantity":{{"value":{lexical}}}}}"#
        );
        assert_eq!(write(&read(&json)), json);
    }
}

#[test]
fn decimal_as_string_is_rejected() {
    let json = r#"{"resourceType":"Observation","status":"final","code":{"text":"w"},"valueQuantity":{"value":"1.5"}}"#;
    let err = Resource::from_json(json.as_bytes(), ReadMode::Strict).unwrap_err();
    assert_eq!(err.kind(), JsonErrorKind::NotANumber);
    assert_eq!(err.path(), "Observation.valueQuantity.value");
}

#[test]
fn primitive_extension_without_value_round_trips() {
    let json = r#"{"resourceType":"Patient","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]}}"#;
    let r = read(json);
    let Resource::Patient(p) = &r else { panic!("a Patient") };
    let birth = p.birth_date.as_ref().expect("element present");
    assert!(birth.value.is_none());
    assert_eq!(birth.extension().len(), 1);
    assert_eq!(write(&r), json);
}

#[test]
fn repeating_primitives_keep_alignment() {
    let json = r#"{"resourceType":"Patient","name":[{"given":["Ann",null,"Lee"],"_given":[null,{"id":"g2"},{"extension":[{"url":"http://x","valueString":"y"}]}]}]}"#;
    let r = read(json);
    let Resource::Patient(p) = &r else { panic!("a Patient") };
    assert_eq!(p.name[0].given.len(), 3);
    assert!(p.name[0].given[1].value.is_none());
    assert_eq!(write(&r), json);
    // `_given` read before `given` gives the same value.
    let swapped = r#"{"resourceType":"Patient","name":[{"_given":[null,{"id":"g2"},{"extension":[{"url":"http://x","valueString":"y"}]}],"given":["Ann",null,"Lee"]}]}"#;
    assert_eq!(read(swapped), r);
}

#[test]
fn nothing_empty_is_written() {
    let p = Patient {
        id: Some(String::new()),
        name: vec![
            HumanName::default(),
            HumanName { family: Some("".into()), given: vec![Primitive::default(), "Jo".into()], ..Default::default() },
        ],
        marital_status: Some(CodeableConcept::default()),
        extension: vec![Extension { url: Some("http://x".into()), ..Default::default() }],
        ..Default::default()
    };
    assert_eq!(
        to_json_string(&p).unwrap(),
        r#"{"resourceType":"Patient","extension":[{"url":"http://x"}],"name":[{"given":["Jo"]}]}"#
    );
}

#[test]
fn unknown_elements_strict_and_lenient() {
    let json = r#"{"resourceType":"Patient","active":true,"name":[{"family":"X","nickname":"Y"}],"shoeSize":44}"#;
    let err = Resource::from_json(json.as_bytes(), ReadMode::Strict).unwrap_err();
    assert_eq!(err.kind(), JsonErrorKind::UnknownElement);
    assert_eq!(err.path(), "Patient.name");
    assert!(err.to_string().starts_with("unknown element `nickname` at Patient.name"), "{err}");

    let lenient = Resource::from_json(json.as_bytes(), ReadMode::Lenient).expect("lenient read");
    let Resource::Patient(p) = &lenient else { panic!("a Patient") };
    assert_eq!(p.unknown.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["shoeSize"]);
    assert_eq!(p.name[0].unknown.iter().count(), 1);
    let back: Value = serde_json::from_slice(&lenient.to_json().unwrap()).unwrap();
    assert_eq!(back, serde_json::from_str::<Value>(json).unwrap());
}

#[test]
fn resource_type_need_not_come_first() {
    let json = r#"{"id":"o1","status":"final","code":{"text":"t"},"resourceType":"Observation"}"#;
    let r = read(json);
    assert_eq!(r.resource_type(), "Observation");
    assert_eq!(r.id(), Some("o1"));
    assert_eq!(write(&r), r#"{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"t"}}"#);
}

#[test]
fn choice_types_and_their_extensions() {
    let json = r#"{"resourceType":"Observation","status":"final","code":{"text":"t"},"valueString":"pos","_valueString":{"id":"v"}}"#;
    let r = read(json);
    let Resource::Observation(o) = &r else { panic!("an Observation") };
    match &o.value {
        Some(ObservationValue::String(p)) => {
            assert_eq!(p.as_str(), Some("pos"));
            assert_eq!(p.element.as_ref().and_then(|e| e.id.as_deref()), Some("v"));
        }
        other => panic!("valueString expected, got {other:?}"),
    }
    assert_eq!(write(&r), json);

    let ext = Extension {
        url: Some("http://x".into()),
        value: Some(ExtensionValue::Quantity(Box::new(Quantity { unit: Some("mg".into()), ..Default::default() }))),
        ..Default::default()
    };
    assert_eq!(to_json_string(&ext).unwrap(), r#"{"url":"http://x","valueQuantity":{"unit":"mg"}}"#);
}

#[test]
fn contained_resources() {
    let json = r##"{"resourceType":"Observation","contained":[{"resourceType":"Patient","id":"p"}],"status":"final","code":{"text":"t"},"subject":{"reference":"#p"}}"##;
    let r = read(json);
    assert_eq!(r.contained().len(), 1);
    assert_eq!(r.contained()[0].resource_type(), "Patient");
    assert_eq!(write(&r), json);
}

#[test]
fn null_is_only_for_array_alignment() {
    let err = Resource::from_json(br#"{"resourceType":"Patient","birthDate":null}"#, ReadMode::Strict).unwrap_err();
    assert_eq!((err.kind(), err.path()), (JsonErrorKind::InvalidValue, "Patient.birthDate"));
    assert!(Resource::from_json(br#"{"resourceType":"Patient","birthDate":null}"#, ReadMode::Lenient).is_ok());
}

#[test]
fn wrong_and_unsupported_resource_types() {
    let err = from_json_slice::<Patient>(br#"{"resourceType":"Observation"}"#, ReadMode::Strict).unwrap_err();
    assert_eq!(err.kind(), JsonErrorKind::WrongResourceType);
    let err = Resource::from_json(br#"{"resourceType":"Questionnaire"}"#, ReadMode::Lenient).unwrap_err();
    assert_eq!(err.kind(), JsonErrorKind::UnsupportedResourceType);
    let err = Resource::from_json(br#"{"id":"x"}"#, ReadMode::Strict).unwrap_err();
    assert_eq!(err.kind(), JsonErrorKind::MissingResourceType);
}

#[test]
fn errors_name_paths_not_values() {
    for json in [
        r#"{"resourceType":"Patient","active":"SECRET-VALUE"}"#,
        r#"{"resourceType":"Patient","name":[{"family":["SECRET-VALUE"]}]}"#,
        r#"{"resourceType":"Patient","multipleBirthInteger":"SECRET-VALUE"}"#,
        r#"{"resourceType":"Patient","SECRET-VALUE":1}"#,
    ] {
        let err = Resource::from_json(json.as_bytes(), ReadMode::Strict).unwrap_err();
        let shown = format!("{err} {err:?}");
        if err.kind() == JsonErrorKind::UnknownElement {
            continue; // an unknown element is named by its key, which is structure, not a value
        }
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(err.path().starts_with("Patient."), "{shown}");
    }
}

#[test]
fn typed_values_survive_serde_json_value() {
    let obs = Observation {
        status: Some("final".into()),
        code: Some(CodeableConcept { text: Some("Hb".into()), ..Default::default() }),
        value: Some(ObservationValue::Quantity(Box::new(Quantity {
            value: Some("13.40".parse::<Decimal>().unwrap().into()),
            ..Default::default()
        }))),
        ..Default::default()
    };
    let json = to_json_string(&obs).unwrap();
    assert_eq!(
        json,
        r#"{"resourceType":"Observation","status":"final","code":{"text":"Hb"},"valueQuantity":{"value":13.40}}"#
    );
    let back: Observation = from_json_slice(json.as_bytes(), ReadMode::Strict).unwrap();
    assert_eq!(back, obs);
}

/// Hostile JSON (RELIABILITY class 7/14 in JSON form): deep nesting is a typed error at the
/// nesting limit of `serde_json` (128 levels), never a stack overflow; huge literals and many
/// entries read in memory proportional to the input.
#[test]
fn hostile_nesting_and_sizes_are_bounded() {
    // A million open brackets, and a million nested objects where a resource belongs.
    let brackets = "[".repeat(1_000_000);
    let e = Resource::from_json(brackets.as_bytes(), ReadMode::Strict).unwrap_err();
    assert_eq!(e.kind(), JsonErrorKind::InvalidValue, "an array where a resource belongs: {e}");
    let inside = format!(r#"{{"resourceType":"Patient","name":{brackets}"#);
    for mode in [ReadMode::Strict, ReadMode::Lenient] {
        let e = Resource::from_json(inside.as_bytes(), mode).unwrap_err();
        assert!(matches!(e.kind(), JsonErrorKind::Syntax | JsonErrorKind::InvalidValue), "{e}");
    }
    let objects = format!(r#"{{"resourceType":"Patient","x":{}"#, r#"{"a":"#.repeat(1_000_000));
    assert!(Resource::from_json(objects.as_bytes(), ReadMode::Lenient).is_err());
    // Extensions inside extensions are legal FHIR recursion: deep chains stop at the limit.
    let depth = 10_000;
    let nested = format!(
        r#"{{"resourceType":"Patient",{}"url":"http://e"{}}}"#,
        r#""extension":[{"#.repeat(depth),
        "}]".repeat(depth)
    );
    for mode in [ReadMode::Strict, ReadMode::Lenient] {
        let e = Resource::from_json(nested.as_bytes(), mode).unwrap_err();
        assert_eq!(e.kind(), JsonErrorKind::Syntax, "{e}");
    }
    // Within the limit the chain reads and writes back unchanged (written in FHIR element order).
    let shallow = format!(
        r#"{{"resourceType":"Patient","extension":[{}{{"url":"http://e","valueString":"v"}}{}]}}"#,
        r#"{"extension":["#.repeat(20),
        r#"],"url":"http://e"}"#.repeat(20)
    );
    assert_eq!(write(&read(&shallow)), shallow);
    // Contained resources inside contained resources: the same limit.
    let contained = format!(
        r#"{{"resourceType":"Patient",{}"resourceType":"Patient"{}}}"#,
        r#""contained":[{"#.repeat(depth),
        "}]".repeat(depth)
    );
    assert!(Resource::from_json(contained.as_bytes(), ReadMode::Strict).is_err());
    // A 16 MiB string value reads and writes back.
    let big = format!(r#"{{"resourceType":"Patient","id":"p","name":[{{"text":"{}"}}]}}"#, "x".repeat(16 << 20));
    assert_eq!(write(&read(&big)).len(), big.len());
    // 100 000 Bundle entries read.
    let entries = vec![r#"{"resource":{"resourceType":"Patient"}}"#; 100_000].join(",");
    let bundle = format!(r#"{{"resourceType":"Bundle","type":"collection","entry":[{entries}]}}"#);
    let Resource::Bundle(b) = read(&bundle) else { panic!("a Bundle") };
    assert_eq!(b.entry.len(), 100_000);
}

/// Regression (fuzz target `fhir_json`, 30-minute run): an element whose only content is a list of
/// empty items (`"activity":{"coding":[{}]}`) was written as `"activity":{}`, which FHIR JSON
/// forbids and which read back into a different value (write was not a fixed point).
#[test]
fn element_holding_only_empty_items_is_not_written() {
    for (json, want) in [
        (r#"{"resourceType":"Provenance","activity":{"coding":[{}]}}"#, r#"{"resourceType":"Provenance"}"#),
        (
            r#"{"resourceType":"Provenance","activity":{"coding":[{},{"code":"x"}]}}"#,
            r#"{"resourceType":"Provenance","activity":{"coding":[{"code":"x"}]}}"#,
        ),
        (
            r#"{"resourceType":"Patient","name":[{"given":[null]}],"contact":[{"telecom":[{}]}]}"#,
            r#"{"resourceType":"Patient"}"#,
        ),
    ] {
        for mode in [ReadMode::Strict, ReadMode::Lenient] {
            let r = Resource::from_json(json.as_bytes(), mode).unwrap_or_else(|e| panic!("reads: {e}"));
            let written = write(&r);
            assert_eq!(written, want);
            let again = Resource::from_json(written.as_bytes(), mode).expect("reads back");
            assert_eq!(write(&again), written, "write is a fixed point");
        }
    }
}

/// The mode reaches every nested read (Bundle entries, contained resources, `_name` elements,
/// choice types, a resource buffered because `resourceType` came late), and a failure deep
/// inside still names its path. No global state carries it: a plain `Deserialize` is strict,
/// and a lenient seed read in between changes nothing for the next read.
#[test]
fn read_mode_reaches_nested_reads_without_global_state() {
    use fhir_model::{from_json_str, ReadSeed};
    use serde::de::DeserializeSeed;

    let nested = r#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":
        {"id":"p","resourceType":"Patient","contained":[{"resourceType":"Patient","x1":1}],
         "gender":"female","_gender":{"x2":2},"extension":[{"url":"http://e","valueCoding":{"x3":3}}]}}]}"#;
    let lenient = from_json_str::<Resource>(nested, ReadMode::Lenient).expect("lenient keeps unknown elements");
    let written = write(&lenient);
    for kept in ["\"x1\":1", "\"x2\":2", "\"x3\":3"] {
        assert!(written.contains(kept), "{kept} kept: {written}");
    }
    let err = from_json_str::<Resource>(nested, ReadMode::Strict).unwrap_err();
    assert_eq!(err.kind(), JsonErrorKind::UnknownElement);
    assert_eq!(err.path(), "Bundle.entry.resource.contained");
    assert_eq!(err.element(), Some("x1"));

    // A deeper failure, inside a choice type of an extension of an entry's resource.
    let deep = r#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient",
        "extension":[{"url":"http://e","valueQuantity":{"value":"1"}}]}}]}"#;
    for mode in [ReadMode::Strict, ReadMode::Lenient] {
        let err = from_json_str::<Resource>(deep, mode).unwrap_err();
        assert_eq!(err.kind(), JsonErrorKind::NotANumber, "{mode:?}");
        assert_eq!(err.path(), "Bundle.entry.resource.extension.valueQuantity.value", "{mode:?}");
    }

    // Through serde directly: `Deserialize` is strict, a seed carries the mode.
    assert!(serde_json::from_str::<Resource>(nested).is_err());
    let mut de = serde_json::Deserializer::from_str(nested);
    let seeded = ReadSeed::<Resource>::new(ReadMode::Lenient).deserialize(&mut de).expect("the seed is lenient");
    assert_eq!(seeded, lenient);
    assert!(serde_json::from_str::<Resource>(nested).is_err(), "a lenient read leaves nothing behind");
    assert!(serde_json::from_str::<Patient>(r#"{"resourceType":"Patient","gender":"female"}"#).is_ok());
}
