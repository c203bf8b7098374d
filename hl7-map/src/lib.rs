//! # hl7-map
//!
//! HL7 v2 → FHIR R4 mapping. Today this crate holds the IG's scalar datatype maps
//! ([`datatypes`]: DTM → `date`/`dateTime`/`instant`, TM → `time`, NM → `decimal`); the
//! mapping-matrix engine (message, segment, datatype and vocabulary maps read from data files)
//! grows here next.
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

pub mod condition;
pub mod datatypes;
pub mod element;
pub mod engine;
pub mod error;
pub mod eval;
pub mod load;
pub mod matrix;
pub mod source;
