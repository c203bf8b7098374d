//! Typed FHIR R4 (4.0.1) resources and datatypes, generated from the official definitions,
//! with FHIR JSON reading/writing and validation into a typed [`ValidationReport`] (and from it
//! an `OperationOutcome`).
//!
//! * [`Resource`] is an enum over the generated resources; each resource and datatype is a
//!   plain struct with public fields, `Default`, and one field per element.
//! * Primitive elements are [`Primitive<T>`]: the value plus the `_name` id/extensions.
//!   Decimals and dates keep their lexical form ([`Decimal`], [`Date`], [`DateTime`],
//!   [`Instant`], [`Time`]).
//! * Choice elements (`value[x]`) are enums such as [`ObservationValue`].
//! * [`from_json_slice`] / [`to_json_vec`] follow the FHIR JSON rules; [`validate_resource()`] checks
//!   cardinality, required bindings, formats and Bundle references, and optionally US Core; its
//!   [`ValidationReport`] lists [`ValidationIssue`]s (severity, issue type, [`FhirPath`] location,
//!   a message that never quotes a value) and converts to an `OperationOutcome`.
//!
//! Everything under `generated` is written by `fhir-codegen` (never edited by hand), and so are
//! the exemplar instances in `tests/exemplars/` (every element of each resource present once),
//! which each read strictly, write back unchanged and validate without an error.
//!
//! # Example
//!
//! ```
//! use fhir_model::*;
//!
//! // Build a resource with `Default` and struct update.
//! let patient = Patient {
//!     id: Some("p1".into()),
//!     identifier: vec![Identifier {
//!         system: Some("urn:oid:2.16.840.1.113883.19.5".into()),
//!         value: Some("12345".into()),
//!         ..Default::default()
//!     }],
//!     name: vec![HumanName { family: Some("Doe".into()), given: vec!["Jane".into()], ..Default::default() }],
//!     gender: Some("female".into()),
//!     birth_date: Some("1970-03-01".parse::<Date>()?.into()),
//!     ..Default::default()
//! };
//! let resource = Resource::from(patient);
//! assert!(!resource.validate().has_errors());
//!
//! // Write and read FHIR JSON.
//! let json = to_json_string(&resource)?;
//! assert!(json.starts_with(r#"{"resourceType":"Patient","id":"p1","#));
//! let back: Resource = from_json_str(&json, ReadMode::Strict)?;
//! assert_eq!(back, resource);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

#[rustfmt::skip]
mod generated;
mod builders;
pub mod json;
pub mod primitives;
pub mod report;
pub mod uscore;
pub mod validate;
pub mod valueset;

pub use generated::datatypes::*;
pub use generated::resource::*;
pub use generated::*;
pub use json::{
    from_json_slice, from_json_str, to_json_pretty, to_json_string, to_json_vec, FromFhirJson, JsonError,
    JsonErrorKind, ReadMode, ReadSeed, Unknown,
};
pub use primitives::{
    Date, DateTime, DateTimeParts, DateTimePrecision, Decimal, FormatError, Instant, Primitive, Time,
};
pub use report::{FhirPath, IssueSeverity, IssueType, ValidationIssue, ValidationReport};
pub use uscore::UsCoreVersion;
pub use validate::{validate_resource, ResourceValidationOptions};
