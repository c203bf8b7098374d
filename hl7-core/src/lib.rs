//! # hl7-core
//!
//! A zero-copy, allocation-free HL7 v2 (ER7) parser for `#![no_std]` targets.
//!
//! [`Message::parse`] reads the delimiters from the header, checks the segment structure and the
//! [`Limits`] in one pass, and returns views that borrow the input: [`Segment`] → [`Field`] →
//! [`Repetition`] → [`Component`] → [`Subcomponent`]. Every view knows its byte offset; absent,
//! empty and HL7-null (`""`) values are told apart; escapes are decoded lazily ([`unescape`]).
//! Numbers a caller passes are 1-based as in the standard (`field(3)` is PID-3; 0 is `None`).
//!
//! The parser is lenient by default (LF and CRLF terminators, a BOM, MLLP bytes or log text before
//! the header, continuation lines) and reports what it skipped or repaired in [`ParseNotes`]; every
//! input byte is kept in a segment, a terminator, or a reported skipped span. [`ParseOptions::strict`]
//! turns each leniency into a typed error.
//!
//! ```
//! use hl7_core::Message;
//!
//! let input = b"MSH|^~\\&|SENDER|FAC|RECEIVER|FAC|20240101120000||ADT^A01^ADT_A01|MSG0001|P|2.5.1\r\
//! EVN|A01|20240101120000\r\
//! PID|1||12345^^^HOSP^MR~98765^^^SSA^SS||DOE^JANE^Q||19800101|F\r";
//! let msg = Message::parse(input)?;
//!
//! // PID-3, first repetition, first component:
//! let pid = msg.segment(b"PID").unwrap();
//! let mrn = pid.field(3).and_then(|f| f.repetition(1)).and_then(|r| r.component(1)).unwrap();
//! assert_eq!(mrn.as_bytes(), b"12345");
//!
//! // The same with a path:
//! assert_eq!(msg.query("PID-3[1].1")?.unwrap().as_bytes(), b"12345");
//! assert_eq!(msg.query("MSH-9.2")?.unwrap().as_bytes(), b"A01");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Modules beyond the parser
//! - [`types`]: borrowed datatype views (DTM, NM, CX, XPN, CWE, …) with typed errors; they keep
//!   the precision and zone that were sent.
//! - [`mllp`]: an allocation-free streaming MLLP decoder and encoder.
//!
//! This crate is the tokenizer layer and knows nothing of FHIR. Text decoding, `MessageBuf`,
//! structures, validation and acknowledgments are the `hl7-messaging` crate's; the FHIR
//! renderings of datatypes are `hl7-map`'s; `hl7rs` re-exports them all.
//!
//! ## Features
//! - `alloc`: `to_cow()` on values, [`escape()`], [`unescape_to_vec`].
//! - `std` (default): [`Message::write_to`]; implies `alloc`.

#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

mod batch;
mod charset;
mod delimiters;
mod error;
mod escape;
mod message;
pub mod mllp;
mod options;
mod path;
mod scan;
mod segment;
pub mod types;
mod view;

pub use batch::{Batch, BatchEntries, BatchEntry};
pub use charset::{Charset, CharsetReport};
pub use delimiters::Delimiters;
pub use error::{Encoding, ErrorKind, Limit, Location, ParseError};
pub use escape::{check_escapes, unescape, Chunk, Unescape};
#[cfg(feature = "alloc")]
pub use escape::{escape, unescape_to_vec};
pub use message::{Message, Note, ParseNotes, Segments, Skipped, Terminators};
pub use options::{Limits, ParseOptions};
pub use path::{Path, PathError, Value};
pub use scan::Scan;
pub use segment::{is_header_id, Fields, Segment};
pub use view::{Component, Components, Field, Pieces, Repetition, Repetitions, Subcomponent, Subcomponents};
