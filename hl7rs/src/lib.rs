//! # hl7rs
//!
//! HL7 v2 for Rust services, in one dependency: this crate re-exports the layers.
//!
//! ```text
//! hl7_core        no_std, no alloc: delimiters, Message and its views, escapes, paths,
//!                 charset detection, batches, MLLP, borrowed datatype views (types)
//! hl7_messaging   text decoding, MessageBuf, structures, validation, ACK, JSON tree
//! hl7_map         (feature `map`, default) v2 → FHIR datatype maps, then the mapping engine
//! fhir_model      (feature `fhir`) typed FHIR R4 resources and their validation
//! ```
//!
//! Everything of `hl7_core` and `hl7_messaging` is at this crate's root (`hl7rs::Message`,
//! `hl7rs::MessageBuf`, `hl7rs::ack`, `hl7rs::validate`…); the mapping layer is [`map`] and the FHIR
//! model `fhir`.
//!
//! ## Parse a message and read a value as text
//!
//! ```
//! use hl7rs::{Message, TextDecoder};
//!
//! let input = b"MSH|^~\\&|ADT|HOSP|EHR|HOSP|20240131093000-0500||ADT^A01^ADT_A01|MSG1|P|2.5.1\r\
//! EVN|A01|20240131093000-0500\r\
//! PID|1||12345^^^HOSP^MR~98765^^^SSA^SS||O'Brien\\T\\Sons^Mary||19800115|F\r";
//! let msg = Message::parse(input)?; // zero-copy: no allocation, nothing decoded yet
//!
//! // Paths are 1-based like the standard: PID-3, first repetition, first component.
//! let mrn = msg.query("PID-3[1].1")?.unwrap();
//! assert_eq!(mrn.as_bytes(), b"12345");
//! assert_eq!(mrn.offset(), 112); // every view knows its byte offset
//!
//! // Text: escapes decoded, then the charset of MSH-18 (resolved once per message).
//! let text = TextDecoder::new(&msg);
//! assert_eq!(text.value(msg.query("PID-5.1")?.unwrap()), "O'Brien&Sons");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Validate and acknowledge
//!
//! ```
//! use hl7rs::ack::{acknowledge_message, AckCode, AckKind, AckOptions};
//! use hl7rs::validate::{validate_message, ValidationOptions};
//! use hl7rs::Message;
//!
//! let msg = Message::parse(b"MSH|^~\\&|LAB|H|EHR|H|20240101||ORU^R01|CTRL1|P|2.5.1\r\
//! PID|1||123^^^H^MR||DOE^JANE||19801301\r")?;
//! let problems = validate_message(&msg, &ValidationOptions::default());
//! assert_eq!(problems[0].code.code(), 102); // PID-7: month 13
//!
//! let errors: Vec<_> = problems.iter().map(|d| d.to_ack_error(&msg)).collect();
//! let options = AckOptions::new("ACK1", "20240101120000");
//! let ack = acknowledge_message(&msg, AckKind::Application, &errors, &options)?;
//! assert_eq!(ack.code, AckCode::ApplicationError);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Map a value to FHIR (feature `map`)
//!
//! ```
//! # #[cfg(feature = "map")] {
//! use hl7rs::map::datatypes::{MissingZone, ToFhirDateTime};
//! use hl7rs::{types::Dtm, Message};
//!
//! let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|20240131093000-0500||ADT^A01|1|P|2.5.1\r").unwrap();
//! let sent = Dtm::from_value(msg.query("MSH-7").unwrap().unwrap()).unwrap();
//! assert_eq!(sent.to_fhir_date_time(MissingZone::TruncateToDate).as_str(), "2024-01-31T09:30:00-05:00");
//! # }
//! ```

#![forbid(unsafe_code)]

pub use hl7_core::*;
pub use hl7_messaging::*;

#[cfg(feature = "fhir")]
pub use fhir_model as fhir;
#[cfg(feature = "map")]
pub use hl7_map as map;

/// The README's examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
