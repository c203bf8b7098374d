//! Other shapes of a converted Bundle: a `transaction` to POST to a FHIR server, a `collection`,
//! and the resources alone with `Type/id` references (for NDJSON, Bulk Data style).
//!
//! A transaction keeps every entry (the `MessageHeader` too: it records the event) with its
//! `urn:uuid:` fullUrl; each gets `request` `POST <Type>`, and a resource whose first identifier
//! has both a `system` and a `value` gets `ifNoneExist: identifier=<system>|<value>` (a conditional
//! create: the server keeps the resource it already has). An identifier without a system gives no
//! condition: `identifier=|value` would match another assigner's record with the same value (two
//! hospitals' MRN 1001), and a wrong match merges two patients, where a duplicate can be merged
//! later. References stay `urn:uuid:` fullUrls:
//! the server rewrites them to the resource created *or matched* (FHIR R4 §3.1.0.11.2), so
//! conditional references would add nothing.
//!
//! ```
//! use hl7_core::Message;
//! use hl7_map::bundles::to_transaction;
//! use hl7_map::engine::Engine;
//!
//! let msg = Message::parse(b"MSH|^~\\&|APP|FAC|||20240131093000-0500||ADT^A01|42|P|2.5.1\rPID|1||123^^^H^MR||Doe^Jane||19800101|F\r")?;
//! let out = Engine::builtin()?.convert(&msg)?;
//! let tx = to_transaction(&out.bundle);
//! assert_eq!(tx.type_.as_ref().and_then(|t| t.as_str()), Some("transaction"));
//! assert!(!fhir_model::Resource::from(tx.clone()).validate().has_errors());
//! let patient = tx.entry.iter().find(|e| e.resource.as_ref().is_some_and(|r| r.resource_type() == "Patient")).unwrap();
//! let request = patient.request.as_ref().unwrap();
//! assert_eq!(request.url.as_ref().and_then(|u| u.as_str()), Some("Patient"));
//! // PID-3.4 `H` has no universal id, so the identifier has no system: no condition.
//! assert!(request.if_none_exist.is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;

use fhir_model::{from_json_slice, to_json_vec, Bundle, BundleEntry, BundleEntryRequest, ReadMode, Resource};
use serde_json::Value;

/// The Bundle as a `transaction`: every entry `POST`ed to its resource type, with a conditional
/// create on the first identifier where it has a system and a value.
///
/// ```
/// use fhir_model::{Bundle, BundleEntry, Identifier, Patient, Resource};
/// let patient = Patient {
///     id: Some("p".into()),
///     identifier: vec![Identifier { system: Some("urn:oid:1.2".into()), value: Some("A&B|1".into()), ..Default::default() }],
///     ..Default::default()
/// };
/// let b = Bundle {
///     type_: Some("message".into()),
///     entry: vec![BundleEntry { full_url: Some("urn:uuid:p".into()), resource: Some(Resource::from(patient)), ..Default::default() }],
///     ..Default::default()
/// };
/// let tx = hl7_map::bundles::to_transaction(&b);
/// let req = tx.entry[0].request.as_ref().unwrap();
/// assert_eq!(req.method.as_ref().and_then(|m| m.as_str()), Some("POST"));
/// // The value's `|` is escaped for the token search, then both parts are percent-encoded.
/// assert_eq!(req.if_none_exist.as_ref().and_then(|m| m.as_str()), Some("identifier=urn:oid:1.2|A%26B%5C%7C1"));
/// ```
pub fn to_transaction(bundle: &Bundle) -> Bundle {
    let mut out = retyped(bundle, "transaction");
    for entry in &mut out.entry {
        let Some(resource) = &entry.resource else { continue };
        entry.request = Some(Box::new(BundleEntryRequest {
            method: Some("POST".into()),
            url: Some(resource.resource_type().into()),
            if_none_exist: first_identifier(resource)
                .map(|(system, value)| format!("identifier={}|{}", query_part(&system), query_part(&token(&value))))
                .map(|q| q.as_str().into()),
            ..Default::default()
        }));
    }
    out
}

/// The Bundle as a `collection` (entries as they are, no request).
///
/// ```
/// let b = fhir_model::Bundle { type_: Some("message".into()), ..Default::default() };
/// let c = hl7_map::bundles::to_collection(&b);
/// assert_eq!(c.type_.as_ref().and_then(|t| t.as_str()), Some("collection"));
/// ```
pub fn to_collection(bundle: &Bundle) -> Bundle {
    retyped(bundle, "collection")
}

/// The entries' resources, each reference to another entry's `urn:uuid:` fullUrl rewritten to
/// `<Type>/<id>` (so they still resolve once the resources are stored apart, one per NDJSON line).
///
/// ```
/// use hl7_core::Message;
/// let msg = Message::parse(b"MSH|^~\\&|APP|FAC|||20240131093000-0500||ADT^A01|42|P|2.5.1\rPID|1||123^^^H^MR||Doe^Jane\r")?;
/// let out = hl7_map::engine::Engine::builtin()?.convert(&msg)?;
/// let resources = hl7_map::bundles::to_resources(&out.bundle);
/// let json = fhir_model::to_json_string(&resources[0])?;
/// assert!(!json.contains("urn:uuid:"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_resources(bundle: &Bundle) -> Vec<Resource> {
    let mut targets = HashMap::new();
    for e in &bundle.entry {
        if let (Some(url), Some(r)) = (e.full_url.as_ref().and_then(|u| u.as_str()), &e.resource) {
            if let Some(id) = r.id() {
                targets.insert(url.to_owned(), format!("{}/{id}", r.resource_type()));
            }
        }
    }
    bundle
        .entry
        .iter()
        .filter_map(|e| e.resource.as_ref())
        .map(|r| relink(r, &targets).unwrap_or_else(|| r.clone()))
        .collect()
}

fn retyped(bundle: &Bundle, kind: &str) -> Bundle {
    Bundle {
        type_: Some(kind.into()),
        entry: bundle
            .entry
            .iter()
            .map(|e| BundleEntry { full_url: e.full_url.clone(), resource: e.resource.clone(), ..Default::default() })
            .collect(),
        ..bundle.clone()
    }
}

/// The resource with its references rewritten; `None` when nothing changed (or it would not read
/// back, which a rewrite of a string cannot cause).
fn relink(resource: &Resource, targets: &HashMap<String, String>) -> Option<Resource> {
    let mut json: Value = serde_json::from_slice(&to_json_vec(resource).ok()?).ok()?;
    if !rewrite(&mut json, targets) {
        return None;
    }
    from_json_slice(&serde_json::to_vec(&json).ok()?, ReadMode::Strict).ok()
}

fn rewrite(v: &mut Value, targets: &HashMap<String, String>) -> bool {
    match v {
        Value::Object(map) => {
            let mut changed = false;
            for (k, child) in map.iter_mut() {
                if let (true, Value::String(s)) = (k == "reference", &mut *child) {
                    if let Some(t) = targets.get(s.as_str()) {
                        s.clone_from(t);
                        changed = true;
                    }
                } else {
                    changed |= rewrite(child, targets);
                }
            }
            changed
        }
        Value::Array(items) => items.iter_mut().fold(false, |c, i| rewrite(i, targets) | c),
        _ => false,
    }
}

/// The first identifier's system and value, when both are there (`identifier` repeating or not).
fn first_identifier(resource: &Resource) -> Option<(String, String)> {
    let json: Value = serde_json::from_slice(&to_json_vec(resource).ok()?).ok()?;
    let id = match json.get("identifier")? {
        Value::Array(a) => a.first()?,
        other => other,
    };
    let text = |k: &str| id.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
    Some((text("system")?, text("value")?))
}

/// A token search value with FHIR's escapes (`\` before `\`, `|`, `,` and `$`).
fn token(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | '|' | ',' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Percent-encodes all but unreserved characters and `:` `/` (left readable in URIs).
fn query_part(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(token(r"a|b,c$d\e"), r"a\|b\,c\$d\\e");
        assert_eq!(query_part("urn:oid:1.2 x&y=é"), "urn:oid:1.2%20x%26y%3D%C3%A9");
    }
}
