//! # hl7-map
//!
//! HL7 v2 → FHIR R4 mapping, driven by data: the mapping matrix ([`matrix`]: message, segment,
//! datatype and vocabulary maps, loaded by [`load`] from the IG's CSV tree or the project's own
//! format), conditions parsed into an AST ([`condition`]) and evaluated over a message
//! ([`eval`]), the IG's scalar datatype renderings ([`datatypes`]: DTM → `date`/`dateTime`/
//! `instant`, TM → `time`, NM → `decimal`), and the [`engine`] that runs a matrix on a message
//! and returns a `message` Bundle with typed issues and, on request, lineage, [`coverage`] (the
//! valued v2 parts no row consumed) and an [`audit`] record (`AuditEvent`). [`bundles`] reshapes
//! the Bundle (`transaction`, `collection`, resources for NDJSON) and [`outcome`] gives the issues
//! as an `OperationOutcome`.
//!
//! ```
//! use hl7_core::Message;
//! use hl7_map::engine::Engine;
//!
//! let engine = Engine::builtin()?;
//! let msg = Message::parse(b"MSH|^~\\&|APP|FAC|||20240131093000-0500||ADT^A01|1|P|2.5.1\rPID|1||123||Doe^Jane||19800101|F\r")?;
//! let out = engine.convert(&msg)?;
//! let json = fhir_model::to_json_string(&out.bundle)?;
//! assert!(json.contains(r#""gender":"female""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The datatype renderings on their own:
//!
//! ```
//! use hl7_core::{types::Dtm, Message};
//! use hl7_map::datatypes::{MissingZone, ToFhirDateTime};
//!
//! let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|20240131093000-0500||ADT^A01|1|P|2.5.1\r")?;
//! let sent = Dtm::from_value(msg.query("MSH-7")?.unwrap())?;
//! assert_eq!(sent.to_fhir_date_time(MissingZone::TruncateToDate).as_str(), "2024-01-31T09:30:00-05:00");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod audit;
pub mod bundles;
pub mod condition;
pub mod coverage;
pub mod datatypes;
pub mod element;
pub mod engine;
pub mod error;
pub mod eval;
mod extras;
pub mod load;
pub mod matrix;
pub mod outcome;
mod placement;
pub mod source;
pub mod v2v2;
