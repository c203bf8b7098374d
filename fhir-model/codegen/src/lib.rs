//! Generator of `fhir-model/src/generated/` from the FHIR R4 4.0.1 definitions.
//!
//! Reads `profiles-types.json`, `profiles-resources.json`, `valuesets.json` and
//! `v3-codesystems.json` and writes one Rust file per resource, one for the datatypes that the
//! resources reach (and [`HAND_WRITTEN_ROOTS`]: nothing else is generated), the
//! `Resource` enum and the code tables of required-binding value sets. The output is a pure
//! function of the inputs, [`RESOURCES`] and the generator version: no dates, no map-order
//! dependence. It also writes the [`exemplars`]: JSON instances of each resource with every
//! element present, the fixtures of `fhir-model/tests/exemplars.rs` and seeds of the `fhir_json`
//! fuzz target.

pub mod emit;
pub mod exemplars;
pub mod model;
pub mod valuesets;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use model::{FieldTy, Kind, TypeDef};

/// The resources to generate (the setting: add one line to add a resource).
pub const RESOURCES: &[&str] = &[
    "Account",
    "AllergyIntolerance",
    "Appointment",
    "AuditEvent",
    "Basic",
    "Bundle",
    "CareTeam",
    "ChargeItem",
    "Condition",
    "Coverage",
    "Device",
    "DiagnosticReport",
    "DocumentReference",
    "Encounter",
    "EpisodeOfCare",
    "Immunization",
    "ImmunizationRecommendation",
    "Location",
    "Medication",
    "MedicationAdministration",
    "MedicationRequest",
    "MessageHeader",
    "Observation",
    "OperationOutcome",
    "Organization",
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Procedure",
    "Provenance",
    "RelatedPerson",
    "ServiceRequest",
    "Specimen",
];

/// Version written into each generated header.
pub const GENERATOR_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The input files, in the order they are hashed.
pub const INPUTS: &[&str] =
    &["profiles-types.json", "profiles-resources.json", "valuesets.json", "v3-codesystems.json"];

/// Datatypes the hand-written code of `fhir-model` names (builders, validation, reading of
/// primitive extensions, the `Resource` accessors, docs): generated even if no listed resource
/// reached them. Every other datatype is generated only when a listed resource reaches it.
pub const HAND_WRITTEN_ROOTS: &[&str] = &[
    "CodeableConcept",
    "Coding",
    "Element",
    "Extension",
    "HumanName",
    "Identifier",
    "Meta",
    "Narrative",
    "Quantity",
    "Reference",
];

/// Datatypes that are constraints on another type: generated as aliases.
const ALIASES: &[(&str, &str)] = &[("MoneyQuantity", "Quantity"), ("SimpleQuantity", "Quantity")];

/// One generated file: path relative to `src/generated/` and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// File name inside `src/generated/`.
    pub name: String,
    /// Full text.
    pub text: String,
}

/// What a run produced, with the notes about value sets that could not be fully expanded.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Files to write.
    pub files: Vec<GeneratedFile>,
    /// Value sets treated (partly) as open, and why.
    pub warnings: Vec<String>,
}

fn load(dir: &Path, name: &str) -> Result<(Vec<u8>, Value), String> {
    let path = dir.join(name);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value = serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((bytes, value))
}

fn structure_definitions(bundle: &Value) -> BTreeMap<String, &Value> {
    bundle
        .get("entry")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("resource"))
        .filter(|r| r.get("resourceType").and_then(Value::as_str) == Some("StructureDefinition"))
        .filter_map(|r| Some((r.get("id")?.as_str()?.to_string(), r)))
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

pub(crate) fn snake_file(name: &str) -> String {
    let mut s = model::snake(name);
    if s.ends_with('_') {
        s.pop();
    }
    s
}

/// What the generator reads from the definitions: the structs, before any code is written.
#[derive(Debug, Clone)]
pub struct Schema {
    /// Complex datatypes that the resources of [`RESOURCES`] reach, transitively through element
    /// and choice types, or that [`HAND_WRITTEN_ROOTS`] names (constraints such as
    /// `SimpleQuantity` excluded: they are aliases).
    pub datatypes: Vec<TypeDef>,
    /// Each resource of [`RESOURCES`] with its backbone structs, root first.
    pub resources: Vec<(String, Vec<TypeDef>)>,
    /// Expanded value sets of the required bindings, by canonical URL.
    pub expansions: BTreeMap<String, valuesets::Expansion>,
    /// Value sets treated (partly) as open, and why.
    pub warnings: Vec<String>,
    /// `name sha256:hex` of each input file.
    input_hashes: Vec<String>,
    /// SHA-256 over the inputs and the resource list.
    combined: String,
}

/// Reads the definitions in `fhir_dir` (the `shared/fhir-r4` folder) into a [`Schema`].
#[allow(clippy::too_many_lines)]
pub fn read_schema(fhir_dir: &Path) -> Result<Schema, String> {
    let mut hasher = Sha256::new();
    let mut header_hashes = Vec::new();
    let mut values = Vec::new();
    for name in INPUTS {
        let (bytes, value) = load(fhir_dir, name)?;
        let digest = Sha256::digest(&bytes);
        let hex = to_hex(&digest);
        hasher.update(name.as_bytes());
        hasher.update(digest);
        header_hashes.push(format!("{name} sha256:{hex}"));
        values.push(value);
    }
    hasher.update(RESOURCES.join(",").as_bytes());
    let combined = to_hex(&hasher.finalize());
    let [types_json, resources_json, valuesets_json, v3_json] = values.as_slice() else {
        return Err("expected four inputs".into());
    };

    let type_sds = structure_definitions(types_json);
    let resource_sds = structure_definitions(resources_json);

    // Datatypes: every complex type that is a specialization (constraints become aliases).
    let mut datatypes: Vec<TypeDef> = Vec::new();
    for (id, sd) in &type_sds {
        let kind = sd.get("kind").and_then(Value::as_str);
        let derivation = sd.get("derivation").and_then(Value::as_str);
        if kind != Some("complex-type") || derivation == Some("constraint") || id == "BackboneElement" {
            continue;
        }
        datatypes.extend(model::read_structure(sd, Kind::Datatype)?);
    }
    let mut per_resource: Vec<(String, Vec<TypeDef>)> = Vec::new();
    for r in RESOURCES {
        let sd = resource_sds.get(*r).ok_or_else(|| format!("resource {r} not in profiles-resources.json"))?;
        per_resource.push(((*r).to_string(), model::read_structure(sd, Kind::Resource)?));
    }

    // Box fields that close a cycle, over all structs together.
    let mut all: Vec<TypeDef> = datatypes.clone();
    for (_, defs) in &per_resource {
        all.extend(defs.iter().cloned());
    }
    model::mark_boxes(&mut all);
    let boxed: BTreeSet<(String, String)> = all
        .iter()
        .flat_map(|d| d.fields.iter().filter(|f| f.boxed).map(move |f| (d.name.clone(), f.rust.clone())))
        .collect();
    let apply_boxes = |defs: &mut Vec<TypeDef>| {
        for d in defs {
            for f in &mut d.fields {
                f.boxed = boxed.contains(&(d.name.clone(), f.rust.clone()));
            }
        }
    };
    apply_boxes(&mut datatypes);
    for (_, defs) in &mut per_resource {
        apply_boxes(defs);
    }

    // Only the datatypes that a listed resource reaches (through element types, choice types and
    // so Extension.value[x]) or that hand-written code names. Boxes were chosen over all types
    // above, so a field's type does not depend on which datatypes are left out.
    let reachable: BTreeSet<String> =
        reachable_datatypes(&datatypes, &per_resource).into_iter().map(str::to_string).collect();
    datatypes.retain(|d| reachable.contains(&d.name));
    let all: Vec<TypeDef> = datatypes.iter().chain(per_resource.iter().flat_map(|(_, defs)| defs)).cloned().collect();

    // Every referenced type must exist; names must be unique.
    let mut names: BTreeSet<String> = ALIASES.iter().map(|(a, _)| (*a).to_string()).collect();
    for d in &all {
        if !names.insert(d.name.clone()) {
            return Err(format!("duplicate type name {}", d.name));
        }
        for f in &d.fields {
            if let FieldTy::Choice { enum_name, .. } = &f.ty {
                if !names.insert(enum_name.clone()) {
                    return Err(format!("duplicate type name {enum_name}"));
                }
            }
        }
    }
    for d in &all {
        for f in &d.fields {
            let refs: Vec<&String> = match &f.ty {
                FieldTy::Complex { name } => vec![name],
                FieldTy::Choice { types, .. } => {
                    types.iter().filter(|t| !model::PRIMITIVES.contains(&t.as_str())).collect()
                }
                _ => vec![],
            };
            for r in refs {
                if !names.contains(r) && r != "Resource" {
                    return Err(format!("{}.{}: type {r} is not generated", d.path, f.json));
                }
            }
        }
    }

    // Required-binding value sets.
    let terminology = valuesets::Terminology::new(&[valuesets_json, v3_json]);
    let mut warnings = Vec::new();
    let mut expansions = BTreeMap::new();
    for d in &all {
        for f in &d.fields {
            if let Some(url) = &f.required_binding {
                if matches!(f.ty, FieldTy::Choice { .. }) {
                    warnings
                        .push(format!("{}.{}: required binding on a choice element is not checked", d.path, f.json));
                    continue;
                }
                if !expansions.contains_key(url) {
                    expansions.insert(url.clone(), terminology.expand(url, &mut warnings));
                }
            }
        }
    }
    warnings.sort();
    warnings.dedup();

    Ok(Schema { datatypes, resources: per_resource, expansions, warnings, input_hashes: header_hashes, combined })
}

/// The complex types a struct's field refers to (aliases resolved to their target).
fn referenced_types(d: &TypeDef) -> impl Iterator<Item = &str> + '_ {
    d.fields.iter().flat_map(|f| {
        let names: Vec<&str> = match &f.ty {
            FieldTy::Complex { name } => vec![name.as_str()],
            FieldTy::Choice { types, .. } => {
                types.iter().map(String::as_str).filter(|t| !model::PRIMITIVES.contains(t)).collect()
            }
            _ => vec![],
        };
        names.into_iter().map(|n| ALIASES.iter().find(|(a, _)| *a == n).map_or(n, |(_, target)| *target))
    })
}

/// Names of the datatype structs (backbones of datatypes included) reachable from the
/// resources' structs and [`HAND_WRITTEN_ROOTS`], transitively.
fn reachable_datatypes<'a>(datatypes: &'a [TypeDef], resources: &'a [(String, Vec<TypeDef>)]) -> BTreeSet<&'a str> {
    let by_name: BTreeMap<&str, &TypeDef> = datatypes.iter().map(|d| (d.name.as_str(), d)).collect();
    let mut reached: BTreeSet<&str> = BTreeSet::new();
    let mut todo: Vec<&str> = HAND_WRITTEN_ROOTS.to_vec();
    todo.extend(resources.iter().flat_map(|(_, defs)| defs.iter().flat_map(referenced_types)));
    while let Some(name) = todo.pop() {
        if let Some(d) = by_name.get(name) {
            if reached.insert(d.name.as_str()) {
                todo.extend(referenced_types(d));
            }
        }
    }
    reached
}

/// Generates the model from the definitions in `fhir_dir` (the `shared/fhir-r4` folder).
pub fn generate(fhir_dir: &Path) -> Result<Generated, String> {
    Ok(emit_schema(&read_schema(fhir_dir)?))
}

/// Writes the model's source files for a schema.
pub fn emit_schema(schema: &Schema) -> Generated {
    let Schema { datatypes, resources: per_resource, expansions, warnings, input_hashes: header_hashes, combined } =
        schema;
    let header = format!(
        "// @generated by fhir-codegen {GENERATOR_VERSION} from the FHIR R4 4.0.1 definitions; do not edit by hand.\n\
         // Regenerate with `cargo run -p fhir-codegen`. Inputs and settings hash: sha256:{combined}\n"
    );
    let prelude = "#![allow(clippy::all, clippy::pedantic, unused_imports)]\n\n\
        use serde::de::MapAccess;\n\
        use serde::ser::{Serialize, SerializeMap, Serializer};\n\n\
        use super::valuesets as vs;\n\
        use super::*;\n\
        use crate::json::{self as j, Empty, FhirObject, Unknown};\n\
        use crate::primitives::Primitive;\n\
        use crate::validate::{Ctx, Fmt, Validate};\n\n";

    let mut files = Vec::new();
    let mut text = format!("{header}\n//! FHIR R4 datatypes.\n\n{prelude}");
    for (alias, target) in ALIASES {
        let _ = writeln!(
            text,
            "/// `{alias}`: a profile of `{target}`, represented by it.\npub type {alias} = {target};\n"
        );
    }
    for d in datatypes {
        emit::emit_struct(&mut text, d, expansions);
    }
    files.push(GeneratedFile { name: "datatypes.rs".into(), text });

    let mut mod_rs = format!("{header}//\n");
    for h in header_hashes {
        let _ = writeln!(mod_rs, "// input {h}");
    }
    let _ = writeln!(mod_rs, "// resources: {}\n", RESOURCES.join(", "));
    let _ = writeln!(mod_rs, "//! Code generated from the FHIR R4 definitions.\n");
    let _ = writeln!(mod_rs, "/// Version of fhir-codegen that wrote this module.\npub const GENERATOR_VERSION: &str = \"{GENERATOR_VERSION}\";");
    let _ = writeln!(mod_rs, "/// SHA-256 over the input definitions and the resource list.\npub const INPUTS_SHA256: &str = \"{combined}\";\n");
    let _ = writeln!(mod_rs, "pub mod datatypes;\npub mod resource;\npub(crate) mod valuesets;");
    for (r, _) in per_resource {
        let _ = writeln!(mod_rs, "pub mod {};", snake_file(r));
    }
    let _ = writeln!(mod_rs, "\npub use datatypes::*;\npub use resource::*;");
    for (r, _) in per_resource {
        let _ = writeln!(mod_rs, "pub use {}::*;", snake_file(r));
    }
    files.push(GeneratedFile { name: "mod.rs".into(), text: mod_rs });

    for (r, defs) in per_resource {
        let mut text = format!("{header}\n//! FHIR R4 `{r}` resource.\n\n{prelude}");
        for d in defs {
            emit::emit_struct(&mut text, d, expansions);
        }
        files.push(GeneratedFile { name: format!("{}.rs", snake_file(r)), text });
    }

    let mut text = format!("{header}\n//! The `Resource` enum.\n\n{prelude}");
    let names: Vec<String> = RESOURCES.iter().map(|s| (*s).to_string()).collect();
    emit::emit_resource_enum(&mut text, &names);
    files.push(GeneratedFile { name: "resource.rs".into(), text });

    let mut text = format!(
        "{header}\n//! Code tables of the value sets bound as `required` by the generated types.\n\n\
         #![allow(clippy::all, clippy::pedantic)]\n\nuse crate::valueset::{{SystemCodes, ValueSet}};\n\n"
    );
    emit::emit_valuesets(&mut text, expansions);
    files.push(GeneratedFile { name: "valuesets.rs".into(), text });

    Generated { files, warnings: warnings.clone() }
}
