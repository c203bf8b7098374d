//! PHI canary (RELIABILITY.md "PHI"): synthetic FHIR JSON with a unique token in every value;
//! every read error kind is triggered, in strict and lenient mode, with tokens also placed where
//! the error happens; then validation of resources whose invalid values are the tokens. No token
//! may appear in an error's `Display` or `Debug`, nor in a `ValidationReport` or its issues
//! (`Display`, `Debug`, location, message), nor anywhere in the `OperationOutcome` made from it.
//!
//! Every case first checks that its input holds tokens and that it fails the intended way (the
//! error kind, the issue's expression), so no assertion here passes by testing nothing.
//!
//! `JsonErrorKind::Io` is not reachable through the public API: reading goes through
//! `from_json_slice`/`from_json_str` (a slice, no reader that can fail), and writing goes into a
//! `Vec` of JSON that `serde_json` produces as UTF-8. Its text is checked in `json.rs`'s unit tests.

use std::collections::BTreeSet;

use fhir_model::{
    from_json_str, to_json_string, validate_resource, JsonError, JsonErrorKind, OperationOutcome, Patient, Primitive,
    ReadMode, Resource, ResourceValidationOptions, UsCoreVersion, ValidationReport,
};
use serde_json::{json, Value};

/// Hands out unique tokens and remembers them for the search.
#[derive(Default)]
struct Tokens {
    all: Vec<String>,
}

/// Every token carries this word, so a partial leak (`PHICANARY00`) is caught too.
const MARK: &str = "CANARY";

impl Tokens {
    fn keep(&mut self, token: String) -> String {
        self.all.push(token.clone());
        token
    }

    /// A name-shaped token (`PHICANARY0001`): a value, never printed.
    fn text(&mut self) -> String {
        let n = self.all.len() + 1;
        self.keep(format!("PHICANARY{n:04}"))
    }

    /// A token that is not shaped like a FHIR name (`PHI CANARY 0007`), for keys and types.
    fn spaced(&mut self) -> String {
        let n = self.all.len() + 1;
        self.keep(format!("PHI CANARY {n:04}"))
    }

    fn s(&mut self) -> Value {
        Value::String(self.text())
    }

    /// A unique integer (`731000NNN`): its digit run is the token.
    fn int(&mut self) -> Value {
        let n = i64::try_from(self.all.len()).unwrap() + 1;
        let v = 731_000_000 + n;
        self.keep(v.to_string());
        json!(v)
    }

    /// A unique decimal: its integer digit run is the token.
    fn dec(&mut self) -> Value {
        let n = i64::try_from(self.all.len()).unwrap() + 1;
        let whole = 732_000_000 + n;
        self.keep(whole.to_string());
        serde_json::from_str(&format!("{whole}.25")).unwrap()
    }

    /// The tokens (or the mark) that occur in `text`.
    fn found<'a>(&'a self, text: &str) -> Vec<&'a str> {
        let mut hits: Vec<&str> = self.all.iter().map(String::as_str).filter(|t| text.contains(t)).collect();
        if text.to_ascii_uppercase().contains(MARK) {
            hits.push(MARK);
        }
        hits
    }

    fn assert_clean(&self, what: &str, text: &str) {
        let hits = self.found(text);
        assert!(hits.is_empty(), "{what}: tokens {hits:?} leaked into: {text}");
    }
}

/// JSON text with `resourceType` first in every object (the direct read path); everything else
/// in the map's order.
fn render(v: &Value) -> String {
    let mut out = String::new();
    render_into(v, &mut out);
    out
}

fn render_into(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            out.push('{');
            let mut members: Vec<(&String, &Value)> = m.iter().collect();
            members.sort_by_key(|(k, _)| k.as_str() != "resourceType");
            for (i, (k, x)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                render_into(x, out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                render_into(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn set(v: &mut Value, pointer: &str, key: &str, x: Value) {
    let target = v.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer} exists"));
    target.as_object_mut().unwrap().insert(key.to_string(), x);
}

fn patient(t: &mut Tokens) -> Value {
    json!({
        "resourceType": "Patient",
        "id": t.s(),
        "identifier": [{"system": t.s(), "value": t.s(), "assigner": {"display": t.s()}}],
        "name": [{"family": t.s(), "given": [t.s(), t.s()], "prefix": [t.s()], "text": t.s()}],
        "telecom": [{"system": "phone", "value": t.s(), "rank": t.int()}, {"system": "email", "value": t.s()}],
        "gender": "female",
        "birthDate": t.s(),
        "address": [{"line": [t.s(), t.s()], "city": t.s(), "district": t.s(), "state": t.s(),
                     "postalCode": t.s(), "country": t.s()}],
        "multipleBirthInteger": t.int(),
        "maritalStatus": {"text": t.s()},
        "contact": [{"name": {"family": t.s(), "given": [t.s()]}, "telecom": [{"value": t.s()}],
                     "address": {"text": t.s()}}],
        "communication": [{"language": {"text": t.s()}}],
        "generalPractitioner": [{"reference": t.s(), "display": t.s()}],
    })
}

fn observation(t: &mut Tokens) -> Value {
    json!({
        "resourceType": "Observation",
        "id": t.s(),
        "status": "final",
        "code": {"coding": [{"system": t.s(), "code": t.s(), "display": t.s()}], "text": t.s()},
        "subject": {"reference": t.s(), "display": t.s()},
        "effectiveDateTime": t.s(),
        "issued": t.s(),
        "valueQuantity": {"value": t.dec(), "unit": t.s(), "system": t.s(), "code": t.s()},
        "note": [{"text": t.s()}],
        "component": [{"code": {"text": t.s()}, "valueString": t.s()},
                      {"code": {"text": t.s()}, "valueInteger": t.int()}],
    })
}

fn encounter(t: &mut Tokens) -> Value {
    json!({
        "resourceType": "Encounter",
        "id": t.s(),
        "status": "finished",
        "class": {"system": t.s(), "code": t.s(), "display": t.s()},
        "subject": {"reference": t.s()},
        "period": {"start": t.s(), "end": t.s()},
        "length": {"value": t.dec(), "unit": t.s()},
        "reasonCode": [{"text": t.s()}],
        "location": [{"location": {"display": t.s()}}],
    })
}

fn bundle(t: &mut Tokens) -> Value {
    let (p, o, e) = (patient(t), observation(t), encounter(t));
    json!({
        "resourceType": "Bundle",
        "id": t.s(),
        "type": "collection",
        "identifier": {"value": t.s()},
        "entry": [
            {"fullUrl": t.s(), "resource": p},
            {"fullUrl": t.s(), "resource": o},
            {"fullUrl": t.s(), "resource": e},
        ],
    })
}

#[derive(Clone, Copy, Debug)]
enum Target {
    Resource,
    Patient,
}

struct ReadCase {
    name: &'static str,
    json: String,
    target: Target,
    /// The kind expected in each mode the case runs in.
    kinds: Vec<(ReadMode, JsonErrorKind)>,
}

const STRICT: ReadMode = ReadMode::Strict;
const LENIENT: ReadMode = ReadMode::Lenient;

fn both(kind: JsonErrorKind) -> Vec<(ReadMode, JsonErrorKind)> {
    vec![(STRICT, kind), (LENIENT, kind)]
}

fn case(name: &'static str, json: String, kinds: Vec<(ReadMode, JsonErrorKind)>) -> ReadCase {
    ReadCase { name, json, target: Target::Resource, kinds }
}

/// Appends members to the outermost object of rendered JSON.
fn append(json: &str, members: &str) -> String {
    let body = json.strip_suffix('}').unwrap();
    format!("{body},{members}}}")
}

/// Removes the quotes around a string token, which makes the JSON malformed right there.
fn unquote(json: &str, token: &str) -> String {
    let quoted = format!("\"{token}\"");
    assert!(json.contains(&quoted), "{token} is in the input");
    json.replacen(&quoted, token, 1)
}

/// The JSON cut off just after `token` (inside its string or number).
fn cut_after(json: &str, token: &str) -> String {
    let at = json.find(token).unwrap() + token.len();
    json[..at].to_string()
}

fn token_of(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer).unwrap_or_else(|| panic!("{pointer} exists")) {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string().split('.').next().unwrap().to_string(),
        other => panic!("{pointer} is a token, not {other}"),
    }
}

#[allow(clippy::too_many_lines)] // one flat list of cases reads best
fn read_cases(t: &mut Tokens) -> Vec<ReadCase> {
    use JsonErrorKind::{
        Eof, InvalidValue, MissingResourceType, NotANumber, Syntax, UnknownElement, UnsupportedResourceType,
        WrongResourceType,
    };
    let mut cases = Vec::new();

    // ---- Syntax: the malformed spot is the token itself ----
    let patient_json = render(&patient(t));
    let bare = t.text();
    cases.push(case(
        "syntax: bare token as a value",
        append(&patient_json, &format!(r#""active":{bare}"#)),
        both(Syntax),
    ));
    let bun = bundle(t);
    let inner = token_of(&bun, "/entry/1/resource/code/text");
    cases.push(case("syntax: unquoted token inside a Bundle entry", unquote(&render(&bun), &inner), both(Syntax)));
    let bad_escape = t.text();
    cases.push(case(
        "syntax: bad escape inside a token string",
        append(&patient_json, &format!(r#""language":"{bad_escape}\q""#)),
        both(Syntax),
    ));
    let control = t.text();
    cases.push(case(
        "syntax: control character inside a token string",
        append(&patient_json, &format!("\"language\":\"{control}\u{1}\"")),
        both(Syntax),
    ));
    let key = t.spaced();
    // Strict stops at the unknown key; lenient reads on for its value and finds `}`.
    cases.push(case(
        "syntax: token key without a value",
        append(&patient_json, &format!(r#""{key}""#)),
        vec![(STRICT, UnknownElement), (LENIENT, Syntax)],
    ));

    // ---- Eof: cut inside a token ----
    let obs = observation(t);
    let code_text = token_of(&obs, "/code/text");
    cases.push(case("eof: inside a token string", cut_after(&render(&obs), &code_text), both(Eof)));
    let bun = bundle(t);
    let number = token_of(&bun, "/entry/1/resource/valueQuantity/value");
    cases.push(case("eof: inside a token number in a Bundle", cut_after(&render(&bun), &number), both(Eof)));

    // ---- InvalidValue: the misfit value is the token ----
    let mut v = patient(t);
    set(&mut v, "", "active", t.s());
    cases.push(case("invalid: token string for a boolean", render(&v), both(InvalidValue)));
    let mut v = patient(t);
    set(&mut v, "", "name", t.s());
    cases.push(case("invalid: token string for an object array", render(&v), both(InvalidValue)));
    let mut v = patient(t);
    set(&mut v, "", "birthDate", t.int());
    cases.push(case("invalid: token number for a date", render(&v), both(InvalidValue)));
    let mut v = patient(t);
    let next = t.all.len() + 1;
    let too_big = t.keep(format!("{}", 7_330_000_000_u64 + u64::try_from(next).unwrap()));
    set(&mut v, "", "multipleBirthInteger", serde_json::from_str(&too_big).unwrap());
    cases.push(case("invalid: token integer beyond i32", render(&v), both(InvalidValue)));
    let mut bun = bundle(t);
    set(&mut bun, "/entry/2/resource", "status", t.int());
    cases.push(case("invalid: token number for a code in a Bundle entry", render(&bun), both(InvalidValue)));
    let mut v = patient(t);
    set(&mut v, "", "gender", Value::Null);
    cases.push(case("invalid: null outside an array (strict)", render(&v), vec![(STRICT, InvalidValue)]));

    // ---- NotANumber: the decimal written as a token string ----
    let mut obs = observation(t);
    set(&mut obs, "/valueQuantity", "value", t.s());
    cases.push(case("nan: token string for a decimal", render(&obs), both(NotANumber)));
    let mut bun = bundle(t);
    set(&mut bun, "/entry/2/resource/length", "value", t.s());
    cases.push(case("nan: token string for a decimal in a Bundle entry", render(&bun), both(NotANumber)));

    // ---- UnknownElement (strict); lenient keeps the element and reads on ----
    let mut v = patient(t);
    set(&mut v, "", &t.spaced(), t.s());
    cases.push(case("unknown: spaced token key at the root", render(&v), vec![(STRICT, UnknownElement)]));
    let mut v = patient(t);
    let hyphen = t.keep(format!("PHICANARY-{:04}", t.all.len() + 1));
    set(&mut v, "/name/0", &hyphen, json!({"x": t.s()}));
    cases.push(case("unknown: hyphenated token key in a name", render(&v), vec![(STRICT, UnknownElement)]));
    let mut bun = bundle(t);
    let long = t.keep(format!("PHICANARY{:04}{}", t.all.len() + 1, "x".repeat(60)));
    set(&mut bun, "/entry/1/resource/valueQuantity", &long, t.int());
    cases.push(case("unknown: over-long token key in a Bundle entry", render(&bun), vec![(STRICT, UnknownElement)]));
    let mut v = patient(t);
    let accented = t.keep(format!("PHICANARYé{:04}", t.all.len() + 1));
    set(&mut v, "/address/0", &accented, t.s());
    cases.push(case("unknown: non-ASCII token key", render(&v), vec![(STRICT, UnknownElement)]));
    // The key sorts before `active`: strict stops at it, lenient keeps it and fails on `active`.
    let mut v = patient(t);
    set(&mut v, "", &t.spaced(), json!([t.s(), {"y": t.int()}]));
    set(&mut v, "", "active", t.s());
    cases.push(case(
        "unknown then invalid: token key kept in lenient mode",
        render(&v),
        vec![(STRICT, UnknownElement), (LENIENT, InvalidValue)],
    ));

    // ---- WrongResourceType: reading a Patient ----
    let mut v = patient(t);
    set(&mut v, "", "resourceType", Value::String(t.spaced()));
    cases.push(ReadCase {
        name: "wrong type: token resourceType read as Patient",
        json: render(&v),
        target: Target::Patient,
        kinds: both(WrongResourceType),
    });
    cases.push(ReadCase {
        name: "wrong type: Observation read as Patient",
        json: render(&observation(t)),
        target: Target::Patient,
        kinds: both(WrongResourceType),
    });

    // ---- UnsupportedResourceType: the type is the token ----
    let mut v = patient(t);
    set(&mut v, "", "resourceType", Value::String(t.spaced()));
    let json = render(&v);
    cases.push(case("unsupported: spaced token type, first", json, both(UnsupportedResourceType)));
    let mut v = patient(t);
    set(&mut v, "", "resourceType", Value::String(t.spaced()));
    // serde_json writes keys sorted: `address`… come before `resourceType` (the buffering path).
    let json = serde_json::to_string(&v).unwrap();
    assert!(!json.starts_with(r#"{"resourceType""#));
    cases.push(case("unsupported: spaced token type, not first", json, both(UnsupportedResourceType)));
    let mut bun = bundle(t);
    set(&mut bun, "/entry/1/resource", "resourceType", Value::String(t.spaced()));
    cases.push(case("unsupported: token type in a Bundle entry", render(&bun), both(UnsupportedResourceType)));
    let mut v = patient(t);
    let long_type = t.keep(format!("PHICANARY{:04}{}", t.all.len() + 1, "T".repeat(60)));
    set(&mut v, "", "contained", json!([{"resourceType": long_type, "id": t.s()}]));
    cases.push(case("unsupported: over-long token type, contained", render(&v), both(UnsupportedResourceType)));

    // ---- MissingResourceType ----
    let mut v = patient(t);
    v.as_object_mut().unwrap().remove("resourceType");
    cases.push(case("missing type: a Patient body", render(&v), both(MissingResourceType)));
    let mut bun = bundle(t);
    bun.pointer_mut("/entry/0/resource").unwrap().as_object_mut().unwrap().remove("resourceType");
    cases.push(case("missing type: a Bundle entry", render(&bun), both(MissingResourceType)));

    cases
}

fn read(target: Target, json: &str, mode: ReadMode) -> Result<(), JsonError> {
    match target {
        Target::Resource => from_json_str::<Resource>(json, mode).map(drop),
        Target::Patient => from_json_str::<Patient>(json, mode).map(drop),
    }
}

#[test]
fn read_errors_print_no_tokens() {
    let mut t = Tokens::default();
    let cases = read_cases(&mut t);
    let mut seen = BTreeSet::new();
    for c in &cases {
        assert!(!t.found(&c.json).is_empty(), "{}: the input holds tokens", c.name);
        for &(mode, kind) in &c.kinds {
            let Err(err) = read(c.target, &c.json, mode) else {
                panic!("{} ({mode:?}) should fail: {}", c.name, c.json);
            };
            assert_eq!(err.kind(), kind, "{} ({mode:?}): {err}", c.name);
            seen.insert(format!("{kind:?}"));
            let what = format!("{} ({mode:?})", c.name);
            t.assert_clean(&what, &err.to_string());
            t.assert_clean(&what, &format!("{err:?}"));
            t.assert_clean(&what, &format!("{err:#?}"));
            t.assert_clean(&what, err.path());
        }
    }
    // Every kind but `Io` (not reachable, see the module docs) was triggered.
    let all = [
        "Syntax",
        "Eof",
        "InvalidValue",
        "NotANumber",
        "UnknownElement",
        "WrongResourceType",
        "UnsupportedResourceType",
        "MissingResourceType",
    ];
    assert_eq!(seen, all.iter().map(|s| (*s).to_string()).collect::<BTreeSet<_>>());
}

#[test]
fn token_inputs_read_cleanly_without_errors() {
    // The fixtures themselves are valid FHIR JSON: errors above come from the injected faults.
    let mut t = Tokens::default();
    for v in [patient(&mut t), observation(&mut t), encounter(&mut t), bundle(&mut t)] {
        let json = render(&v);
        for mode in [STRICT, LENIENT] {
            if let Err(e) = from_json_str::<Resource>(&json, mode) {
                panic!("{mode:?}: {e}");
            }
        }
    }
}

#[test]
fn the_search_finds_a_leak() {
    let mut t = Tokens::default();
    let (a, b, n) = (t.text(), t.spaced(), t.int());
    assert_eq!(t.found(&format!("x{a}y")), vec![a.as_str(), MARK]);
    assert_eq!(t.found(&format!("at {b}")), vec![b.as_str(), MARK]);
    assert_eq!(t.found(&format!("n={n}")), vec![n.to_string().as_str()]);
    assert_eq!(t.found("partial phicanary0"), vec![MARK]);
    assert!(t.found("unknown element `<15 bytes>` at Patient (line 1, column 38)").is_empty());
}

// ---- validation ----

/// `(code, expression)` of every issue of a report.
fn report_issues(r: &ValidationReport) -> Vec<(String, String)> {
    r.issues().iter().map(|i| (i.code().code().to_string(), i.location().to_string())).collect()
}

/// `(code, expression)` of every issue.
fn issues(o: &OperationOutcome) -> Vec<(String, String)> {
    o.issue
        .iter()
        .map(|i| {
            let code = i.code.as_ref().and_then(Primitive::as_str).unwrap_or("").to_string();
            let at = i.expression.first().and_then(Primitive::as_str).unwrap_or("").to_string();
            (code, at)
        })
        .collect()
}

struct Check {
    name: &'static str,
    resource: Value,
    mode: ReadMode,
    options: ResourceValidationOptions,
    /// `(issue code, expression)` that must be reported.
    expect: Vec<(&'static str, &'static str)>,
}

fn check(name: &'static str, resource: Value, expect: Vec<(&'static str, &'static str)>) -> Check {
    Check { name, resource, mode: STRICT, options: ResourceValidationOptions::default(), expect }
}

#[allow(clippy::too_many_lines)] // one flat list of cases reads best
fn validation_checks(t: &mut Tokens) -> Vec<Check> {
    let mut checks = Vec::new();

    let mut p = patient(t);
    set(&mut p, "", "id", Value::String(t.spaced()));
    set(&mut p, "", "gender", t.s());
    set(&mut p, "", "language", Value::String(format!(" {}", t.text())));
    set(&mut p, "", "meta", json!({"lastUpdated": t.s(), "profile": [t.spaced()], "versionId": t.s()}));
    set(&mut p, "", "text", json!({"status": t.s(), "div": t.s()}));
    set(&mut p, "/identifier/0", "system", Value::String(t.spaced()));
    set(&mut p, "/name/0", "period", json!({"start": t.s(), "end": t.s()}));
    set(&mut p, "/telecom/0", "system", t.s());
    set(&mut p, "/telecom/0", "rank", json!(-(731_000_000 + i64::try_from(t.all.len()).unwrap())));
    let rank = t.keep(token_of(&p, "/telecom/0/rank").trim_start_matches('-').to_string());
    assert!(!rank.is_empty());
    set(&mut p, "/address/0", "use", t.s());
    set(&mut p, "", "photo", json!([{"data": format!("{}!", t.spaced()), "url": t.s(), "title": t.s()}]));
    set(
        &mut p,
        "",
        "extension",
        json!([
            {"url": t.spaced(), "valueOid": format!("urn:oid:{}", t.text())},
            {"url": "http://example.org/uuid", "valueUuid": format!("urn:uuid:{}", t.text())},
            {"url": "http://example.org/time", "valueTime": t.s()},
            {"url": "http://example.org/dt", "valueDateTime": t.s()},
            {"url": "http://example.org/code", "valueCode": format!("{}  x", t.text())},
        ]),
    );
    set(&mut p, "/contact/0", "gender", t.s());
    set(&mut p, "/generalPractitioner/0", "reference", Value::String(format!("#{}", t.text())));
    checks.push(check(
        "Patient: every format and binding",
        p,
        vec![
            ("value", "Patient.id"),
            ("code-invalid", "Patient.gender"),
            ("value", "Patient.language"),
            ("value", "Patient.meta.lastUpdated"),
            ("value", "Patient.meta.profile[0]"),
            ("code-invalid", "Patient.text.status"),
            ("value", "Patient.text.div"),
            ("value", "Patient.identifier[0].system"),
            ("value", "Patient.name[0].period.start"),
            ("value", "Patient.name[0].period.end"),
            ("code-invalid", "Patient.telecom[0].system"),
            ("value", "Patient.telecom[0].rank"),
            ("code-invalid", "Patient.address[0].use"),
            ("value", "Patient.photo[0].data"),
            ("value", "Patient.photo[0].url"),
            ("value", "Patient.extension[0].url"),
            ("value", "Patient.extension[0].value.ofType(oid)"),
            ("value", "Patient.extension[1].value.ofType(uuid)"),
            ("value", "Patient.extension[2].value.ofType(time)"),
            ("value", "Patient.extension[3].value.ofType(dateTime)"),
            ("value", "Patient.extension[4].value.ofType(code)"),
            ("code-invalid", "Patient.contact[0].gender"),
            ("not-found", "Patient.generalPractitioner[0].reference"),
            ("value", "Patient.birthDate"),
        ],
    ));

    let mut b = bundle(t);
    set(&mut b, "", "type", t.s());
    set(&mut b, "/entry/0/resource", "id", Value::String(t.text()));
    set(&mut b, "/entry/1/resource", "status", t.s());
    set(&mut b, "/entry/1/resource/subject", "reference", Value::String(format!("Patient/{}", t.text())));
    set(
        &mut b,
        "/entry/1/resource",
        "performer",
        json!([{"reference": format!("http://example.org/fhir/Practitioner/{}", t.text())}]),
    );
    set(&mut b, "/entry/1/resource/valueQuantity", "system", Value::String(t.spaced()));
    set(&mut b, "/entry/2/resource", "status", t.s());
    set(&mut b, "/entry/2/resource/subject", "reference", Value::String(format!("Patient/{}", t.text())));
    set(
        &mut b,
        "/entry/2/resource",
        "contained",
        json!([{"resourceType": "Location", "id": t.spaced(), "name": t.s()}]),
    );
    set(&mut b, "/entry/2/resource", "serviceProvider", json!({"reference": format!("#{}", t.text())}));
    checks.push(check(
        "Bundle: entries with token ids, codes and references",
        b,
        vec![
            ("code-invalid", "Bundle.type"),
            ("code-invalid", "Bundle.entry[1].resource.status"),
            ("value", "Bundle.entry[1].resource.effective.ofType(dateTime)"),
            ("value", "Bundle.entry[1].resource.issued"),
            ("value", "Bundle.entry[1].resource.value.ofType(Quantity).system"),
            ("not-found", "Bundle.entry[1].resource.subject.reference"),
            ("not-found", "Bundle.entry[1].resource.performer[0].reference"),
            ("code-invalid", "Bundle.entry[2].resource.status"),
            ("value", "Bundle.entry[2].resource.period.start"),
            ("not-found", "Bundle.entry[2].resource.subject.reference"),
            ("value", "Bundle.entry[2].resource.contained[0].id"),
            ("not-found", "Bundle.entry[2].resource.serviceProvider.reference"),
        ],
    ));

    // US Core: declared profile, token codes in its required bindings, mandatory elements absent.
    let mut p = patient(t);
    set(
        &mut p,
        "",
        "meta",
        json!({"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient",
                           format!("http://hl7.org/fhir/us/core/StructureDefinition/{}", t.text())]}),
    );
    set(&mut p, "/telecom/1", "system", t.s());
    set(&mut p, "/telecom/1", "use", t.s());
    p.as_object_mut().unwrap().remove("identifier");
    checks.push(Check {
        name: "US Core Patient: token codes, missing identifier",
        resource: p,
        mode: STRICT,
        options: ResourceValidationOptions::default().with_us_core(UsCoreVersion::V9_0_0),
        expect: vec![
            ("code-invalid", "Patient.telecom[1].system"),
            ("code-invalid", "Patient.telecom[1].use"),
            ("required", "Patient.identifier"),
        ],
    });

    // US Core without a declared profile, on a lenient read that kept token-named elements.
    let mut o = observation(t);
    set(&mut o, "", "status", t.s());
    set(&mut o, "", &t.spaced(), t.s());
    set(&mut o, "/code", &t.spaced(), json!({"k": t.s()}));
    let value_key = format!("value{}", t.spaced());
    set(&mut o, "", &t.keep(value_key), t.s());
    o.as_object_mut().unwrap().remove("subject");
    checks.push(Check {
        name: "US Core Observation, lenient read with token elements",
        resource: o,
        mode: LENIENT,
        options: ResourceValidationOptions::default().with_us_core(UsCoreVersion::V9_0_0),
        expect: vec![("code-invalid", "Observation.status")],
    });

    checks
}

#[test]
fn validation_output_holds_no_tokens() {
    let mut t = Tokens::default();
    for c in validation_checks(&mut t) {
        let json = render(&c.resource);
        assert!(!t.found(&json).is_empty(), "{}: the input holds tokens", c.name);
        let r = from_json_str::<Resource>(&json, c.mode).unwrap_or_else(|e| panic!("{}: reads: {e}", c.name));
        let report = validate_resource(&r, &c.options);
        let outcome = report.to_operation_outcome();
        let got = issues(&outcome);
        assert_eq!(report_issues(&report), got, "{}: the report and the OperationOutcome agree", c.name);
        for (code, at) in &c.expect {
            assert!(
                got.iter().any(|(c2, a2)| c2 == code && a2 == at),
                "{}: expected {code} at {at}; got {got:?}",
                c.name
            );
        }
        let what = c.name;
        t.assert_clean(what, &report.to_string());
        t.assert_clean(what, &format!("{report:?}"));
        t.assert_clean(what, &format!("{report:#?}"));
        for issue in &report {
            t.assert_clean(what, &issue.to_string());
            t.assert_clean(what, &format!("{issue:?}"));
            t.assert_clean(what, &format!("{:?}", issue.location()));
            t.assert_clean(what, issue.message());
        }
        t.assert_clean(what, &to_json_string(&outcome).unwrap());
        t.assert_clean(what, &format!("{outcome:?}"));
        t.assert_clean(what, &format!("{:?}", Resource::from(outcome)));
    }
}
