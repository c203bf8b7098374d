//! Optional US Core checks: mandatory elements (min ≥ 1) and required bindings of the US Core
//! profiles, from the US Core 9.0.0 summary shipped in `data/` (a copy of
//! `shared/us-core/summary.txt`).
//!
//! Which profiles apply to a resource: the US Core profiles it declares in `meta.profile`;
//! when it declares none, the elements mandatory in *every* US Core profile of its type.
//!
//! Limits, stated plainly: a slice (`category:us-core`) is checked only as its base element
//! being present, paths below a slice are not checked, and bindings to US Core value sets
//! (not part of the FHIR R4 definitions compiled here) are not checked.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde_json::Value;

use crate::report::{FhirPath, IssueSeverity, IssueType};
use crate::validate::Ctx;
use crate::Resource;

/// A US Core version; the validator's rules follow it where versions differ.
///
/// ```
/// use fhir_model::UsCoreVersion;
/// assert!(UsCoreVersion::new(7, 0, 0) < UsCoreVersion::V9_0_0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UsCoreVersion {
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
    /// Patch version.
    pub patch: u16,
}

impl UsCoreVersion {
    /// US Core 9.0.0, whose profiles the shipped summary describes.
    pub const V9_0_0: Self = Self::new(9, 0, 0);

    /// A version by its numbers.
    pub const fn new(major: u16, minor: u16, patch: u16) -> Self {
        Self { major, minor, patch }
    }
}

const SUMMARY: &str = include_str!("../data/us-core-9.0.0-summary.txt");
const PROFILE_BASE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/";

/// One US Core profile's requirements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Profile id (`us-core-patient`).
    pub name: String,
    /// Resource type it constrains.
    pub resource_type: String,
    /// Element paths with min ≥ 1, relative to the resource (`identifier.system`).
    pub mandatory: Vec<String>,
    /// `(element path, value set id)` of required bindings.
    pub required_bindings: Vec<(String, String)>,
}

fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty())
}

/// Reads the summary text format (`## name (Type)` then `MANDATORY(min>=1):` and
/// `REQUIRED-BINDINGS:` lines).
pub fn parse_summary(text: &str) -> Vec<Profile> {
    let mut out: Vec<Profile> = Vec::new();
    for line in text.lines() {
        if let Some(head) = line.strip_prefix("## ") {
            let (name, ty) = head.split_once(" (").unwrap_or((head, ""));
            out.push(Profile {
                name: name.trim().to_string(),
                resource_type: ty.trim_end_matches(')').to_string(),
                mandatory: Vec::new(),
                required_bindings: Vec::new(),
            });
        } else if let Some(p) = out.last_mut() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("MANDATORY(min>=1):") {
                p.mandatory.extend(split_list(rest).map(str::to_string));
            } else if let Some(rest) = line.strip_prefix("REQUIRED-BINDINGS:") {
                p.required_bindings.extend(
                    split_list(rest).filter_map(|b| b.split_once('=')).map(|(e, v)| (e.to_string(), v.to_string())),
                );
            }
        }
    }
    out
}

/// The US Core profiles and their requirements for `version`.
pub fn profiles(version: UsCoreVersion) -> Vec<Profile> {
    static BASE: OnceLock<Vec<Profile>> = OnceLock::new();
    let mut all = BASE.get_or_init(|| parse_summary(SUMMARY)).clone();
    // Patient.gender is mandatory up to US Core 7.0.0; from 8.0.0 the us-core-sex extension replaced it.
    if version.major < 8 {
        for p in all.iter_mut().filter(|p| p.name == "us-core-patient") {
            p.mandatory.push("gender".to_string());
        }
    }
    all
}

/// Checks `resource` against the US Core profiles that apply to it (see the module docs).
pub(crate) fn check(resource: &Resource, version: UsCoreVersion, cx: &mut Ctx<'_>) {
    let ty = resource.resource_type();
    let all = profiles(version);
    let of_type: Vec<&Profile> = all.iter().filter(|p| p.resource_type == ty).collect();
    if of_type.is_empty() {
        return;
    }
    let declared: Vec<&Profile> = resource
        .meta()
        .map(|m| m.profile.iter().filter_map(|p| p.as_str()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|url| url.split('|').next()?.strip_prefix(PROFILE_BASE))
        .filter_map(|name| of_type.iter().copied().find(|p| p.name == name))
        .collect();
    let (mandatory, bindings, label): (BTreeSet<String>, BTreeSet<(String, String)>, String) = if declared.is_empty() {
        let mut m: Option<BTreeSet<String>> = None;
        let mut b: Option<BTreeSet<(String, String)>> = None;
        for p in &of_type {
            let pm: BTreeSet<String> = p.mandatory.iter().map(|x| base_path(x)).collect();
            let pb: BTreeSet<(String, String)> = p.required_bindings.iter().cloned().collect();
            m = Some(m.map_or(pm.clone(), |acc| acc.intersection(&pm).cloned().collect()));
            b = Some(b.map_or(pb.clone(), |acc| acc.intersection(&pb).cloned().collect()));
        }
        (m.unwrap_or_default(), b.unwrap_or_default(), format!("every US Core {ty} profile"))
    } else {
        let names: Vec<&str> = declared.iter().map(|p| p.name.as_str()).collect();
        (
            declared.iter().flat_map(|p| p.mandatory.iter().map(|x| base_path(x))).collect(),
            declared.iter().flat_map(|p| p.required_bindings.iter().cloned()).collect(),
            names.join(", "),
        )
    };
    // Work on the JSON form: paths in the summary are JSON element names.
    let Ok(bytes) = crate::to_json_vec(resource) else { return };
    let Ok(json) = serde_json::from_slice::<Value>(&bytes) else { return };
    for path in mandatory.iter().filter(|p| !p.is_empty()) {
        let segments: Vec<&str> = path.split('.').collect();
        let at = cx.path().clone();
        missing(&json, &segments, &at, &label, cx);
    }
    for (path, vs_id) in &bindings {
        if path.contains(':') {
            continue;
        }
        let Some(vs) = crate::valueset::by_url(&format!("http://hl7.org/fhir/ValueSet/{vs_id}")) else { continue };
        let segments: Vec<&str> = path.split('.').collect();
        let mut found = Vec::new();
        let at = cx.path().clone();
        collect(&json, &segments, &at, &mut found);
        for (at, v) in found {
            let ok = match v {
                Value::String(code) => vs.contains_code(code),
                Value::Object(o) => codings(o).any(|(s, c)| vs.contains(s, c)),
                _ => true,
            };
            if !ok {
                cx.issue_at(
                    at,
                    IssueSeverity::Error,
                    IssueType::CodeInvalid,
                    format!("{label}: not in the required value set {}", vs.url),
                );
            }
        }
    }
}

/// `category:us-core` → `category`; a path below a slice is dropped (empty).
fn base_path(path: &str) -> String {
    match path.split_once(':') {
        Some((base, rest)) if !rest.contains('.') => base.to_string(),
        Some(_) => String::new(),
        None => path.to_string(),
    }
}

fn codings(o: &serde_json::Map<String, Value>) -> impl Iterator<Item = (&str, &str)> {
    let single = std::iter::once(o);
    let many = o.get("coding").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_object);
    single.chain(many).filter_map(|c| Some((c.get("system")?.as_str()?, c.get("code")?.as_str()?)))
}

/// The FHIR R4 data types a choice element (`value[x]`) may take (the "open type" list), as
/// they appear capitalised in a choice element's JSON name.
const CHOICE_TYPES: &[&str] = &[
    "Base64Binary",
    "Boolean",
    "Canonical",
    "Code",
    "Date",
    "DateTime",
    "Decimal",
    "Id",
    "Instant",
    "Integer",
    "Markdown",
    "Oid",
    "PositiveInt",
    "String",
    "Time",
    "UnsignedInt",
    "Uri",
    "Url",
    "Uuid",
    "Address",
    "Age",
    "Annotation",
    "Attachment",
    "CodeableConcept",
    "Coding",
    "ContactPoint",
    "Count",
    "Distance",
    "Duration",
    "HumanName",
    "Identifier",
    "Money",
    "Period",
    "Quantity",
    "Range",
    "Ratio",
    "Reference",
    "SampledData",
    "Signature",
    "Timing",
    "ContactDetail",
    "Contributor",
    "DataRequirement",
    "Expression",
    "ParameterDefinition",
    "RelatedArtifact",
    "TriggerDefinition",
    "UsageContext",
    "Dosage",
    "Meta",
];

/// Members of `obj` named `name`, or for `name[x]` any `name<Type>` with a FHIR type (an unknown
/// element kept by a lenient read, such as `valueFoo`, does not count).
fn member<'v>(obj: &'v serde_json::Map<String, Value>, name: &str) -> Option<(String, &'v Value)> {
    if let Some(base) = name.strip_suffix("[x]") {
        obj.iter()
            .find(|(k, _)| k.strip_prefix(base).is_some_and(|t| CHOICE_TYPES.contains(&t)))
            .map(|(k, v)| (k.clone(), v))
    } else {
        obj.get(name).map(|v| (name.to_string(), v))
    }
}

fn items(v: &Value) -> Vec<(Option<usize>, &Value)> {
    match v {
        Value::Array(a) => a.iter().enumerate().map(|(i, x)| (Some(i), x)).collect(),
        other => vec![(None, other)],
    }
}

fn step(path: &FhirPath, key: &str, index: Option<usize>) -> FhirPath {
    let step = path.clone().element(key);
    match index {
        Some(i) => step.index(i),
        None => step,
    }
}

/// Reports where the last segment is absent under every present instance of its parent.
fn missing(v: &Value, segments: &[&str], path: &FhirPath, label: &str, cx: &mut Ctx<'_>) {
    let (Some((first, rest)), Some(obj)) = (segments.split_first(), v.as_object()) else { return };
    match member(obj, first) {
        None => {
            if rest.is_empty() || segments.len() == 1 {
                cx.issue_at(
                    path.clone().element(first),
                    IssueSeverity::Error,
                    IssueType::Required,
                    format!("{label}: minimum cardinality 1 not met"),
                );
            }
        }
        Some((key, value)) => {
            if !rest.is_empty() {
                for (i, item) in items(value) {
                    missing(item, rest, &step(path, &key, i), label, cx);
                }
            }
        }
    }
}

fn collect<'v>(v: &'v Value, segments: &[&str], path: &FhirPath, out: &mut Vec<(FhirPath, &'v Value)>) {
    let (Some((first, rest)), Some(obj)) = (segments.split_first(), v.as_object()) else { return };
    if let Some((key, value)) = member(obj, first) {
        for (i, item) in items(value) {
            let p = step(path, &key, i);
            if rest.is_empty() {
                out.push((p, item));
            } else {
                collect(item, rest, &p, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_parses() {
        let all = profiles(UsCoreVersion::V9_0_0);
        let patient = all.iter().find(|p| p.name == "us-core-patient").unwrap();
        assert_eq!(patient.resource_type, "Patient");
        assert!(patient.mandatory.contains(&"identifier.system".to_string()));
        assert!(!patient.mandatory.contains(&"gender".to_string()));
        assert!(patient
            .required_bindings
            .contains(&("telecom.system".to_string(), "contact-point-system".to_string())));
        let v7 = profiles(UsCoreVersion::new(7, 0, 0));
        assert!(v7.iter().any(|p| p.name == "us-core-patient" && p.mandatory.contains(&"gender".to_string())));
    }

    #[test]
    fn shipped_summary_matches_shared() {
        let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/us-core/summary.txt");
        match std::fs::read_to_string(shared) {
            Ok(text) => {
                assert_eq!(text, SUMMARY, "data/us-core-9.0.0-summary.txt differs from ../shared/us-core/summary.txt");
            }
            Err(_) => eprintln!("skipping: ../shared/us-core/summary.txt absent"),
        }
    }

    #[test]
    fn choice_members_need_a_fhir_type_name() {
        let obj = |json: &str| serde_json::from_str::<Value>(json).unwrap().as_object().unwrap().clone();
        let typed = obj(r#"{"valueQuantity":{"value":1}}"#);
        assert_eq!(member(&typed, "value[x]").map(|(k, _)| k), Some("valueQuantity".to_string()));
        let date = obj(r#"{"effectiveDateTime":"2024"}"#);
        assert_eq!(member(&date, "effective[x]").map(|(k, _)| k), Some("effectiveDateTime".to_string()));
        // Unknown elements a lenient read kept are not a value of the choice.
        assert!(member(&obj(r#"{"valueFoo":1,"valuequantity":2,"value":3}"#), "value[x]").is_none());
        assert!(member(&obj(r#"{"valueString ":"x"}"#), "value[x]").is_none());
    }
}
