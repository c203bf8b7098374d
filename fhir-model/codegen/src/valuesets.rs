//! Expanding the value sets of required bindings into code tables.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// One code system's part of an expanded value set.
#[derive(Debug, Clone, Default)]
pub struct SystemCodes {
    /// Codes, sorted; empty with `open` when the system cannot be enumerated.
    pub codes: BTreeSet<String>,
    /// True when any code of the system is accepted (external or not enumerable here).
    pub open: bool,
}

/// An expanded value set.
#[derive(Debug, Clone, Default)]
pub struct Expansion {
    /// Canonical URL.
    pub url: String,
    /// Code system URL → codes.
    pub systems: BTreeMap<String, SystemCodes>,
}

/// `ValueSets` and `CodeSystems` by canonical URL.
#[derive(Default)]
pub struct Terminology<'a> {
    value_sets: BTreeMap<&'a str, &'a Value>,
    code_systems: BTreeMap<&'a str, &'a Value>,
}

impl<'a> Terminology<'a> {
    /// Indexes the resources of the given Bundles.
    pub fn new(bundles: &[&'a Value]) -> Self {
        let mut t = Terminology::default();
        for b in bundles {
            for e in b.get("entry").and_then(Value::as_array).into_iter().flatten() {
                let Some(r) = e.get("resource") else { continue };
                let Some(url) = r.get("url").and_then(Value::as_str) else { continue };
                match r.get("resourceType").and_then(Value::as_str) {
                    // First one wins: valuesets.json is read before v3-codesystems.json.
                    Some("ValueSet") => {
                        t.value_sets.entry(url).or_insert(r);
                    }
                    Some("CodeSystem") => {
                        t.code_systems.entry(url).or_insert(r);
                    }
                    _ => {}
                }
            }
        }
        t
    }

    /// Expands a value set; notes what could not be enumerated in `warnings`.
    pub fn expand(&self, url: &str, warnings: &mut Vec<String>) -> Expansion {
        let mut out = Expansion { url: url.to_string(), systems: BTreeMap::new() };
        self.expand_into(url, &mut out, warnings, 0);
        out
    }

    fn expand_into(&self, url: &str, out: &mut Expansion, warnings: &mut Vec<String>, depth: usize) {
        let Some(vs) = self.value_sets.get(url) else {
            warnings.push(format!("value set {url} not found: treated as open"));
            out.systems.entry(format!("urn:unknown-valueset:{url}")).or_default().open = true;
            return;
        };
        let Some(compose) = vs.get("compose") else {
            warnings.push(format!("value set {url} has no compose: treated as open"));
            return;
        };
        for inc in compose.get("include").and_then(Value::as_array).into_iter().flatten() {
            for nested in inc.get("valueSet").and_then(Value::as_array).into_iter().flatten() {
                if let Some(n) = nested.as_str() {
                    if depth < 8 {
                        self.expand_into(n.split('|').next().unwrap_or(n), out, warnings, depth + 1);
                    }
                }
            }
            let Some(system) = inc.get("system").and_then(Value::as_str) else { continue };
            let entry = out.systems.entry(system.to_string()).or_default();
            if let Some(concepts) = inc.get("concept").and_then(Value::as_array) {
                for c in concepts {
                    if let Some(code) = c.get("code").and_then(Value::as_str) {
                        entry.codes.insert(code.to_string());
                    }
                }
            } else if inc.get("filter").is_some() {
                warnings.push(format!("{url}: filter on {system} not expanded: system treated as open"));
                entry.open = true;
            } else if let Some(cs) = self.code_systems.get(system) {
                if cs.get("content").and_then(Value::as_str) == Some("complete") {
                    collect_concepts(cs.get("concept"), &mut entry.codes);
                } else {
                    warnings.push(format!("{url}: code system {system} is not complete here: treated as open"));
                    entry.open = true;
                }
            } else {
                warnings.push(format!("{url}: code system {system} is external: treated as open"));
                entry.open = true;
            }
        }
        for exc in compose.get("exclude").and_then(Value::as_array).into_iter().flatten() {
            let Some(system) = exc.get("system").and_then(Value::as_str) else { continue };
            if let (Some(entry), Some(concepts)) =
                (out.systems.get_mut(system), exc.get("concept").and_then(Value::as_array))
            {
                for c in concepts {
                    if let Some(code) = c.get("code").and_then(Value::as_str) {
                        entry.codes.remove(code);
                    }
                }
            }
        }
    }
}

fn collect_concepts(concepts: Option<&Value>, codes: &mut BTreeSet<String>) {
    for c in concepts.and_then(Value::as_array).into_iter().flatten() {
        if let Some(code) = c.get("code").and_then(Value::as_str) {
            codes.insert(code.to_string());
        }
        collect_concepts(c.get("concept"), codes);
    }
}

/// `http://hl7.org/fhir/ValueSet/administrative-gender` → `ADMINISTRATIVE_GENDER`.
pub fn static_name(url: &str) -> String {
    let last = url.rsplit('/').next().unwrap_or(url);
    last.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}
