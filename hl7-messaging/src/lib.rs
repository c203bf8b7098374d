//! # hl7-messaging
//!
//! HL7 v2 messaging above the [`hl7_core`] tokenizer: what needs an allocator, a table or a text
//! decoder. `hl7-core` finds bytes; this crate gives them meaning.
//!
//! - [`text`]: values as UTF-8 text — escapes decoded, then the message's charset (MSH-18),
//!   resolved once per message ([`TextDecoder`]).
//! - [`build`]: [`MessageBuf`], building and editing messages by path, escaping on write.
//! - [`structure`]: message structures per version, compiled once; grouping that never drops a
//!   segment.
//! - [`validate_message`](mod@validate): a message against its structure, field rules and tables, as HL7
//!   error codes.
//! - [`ack`]: acknowledgments (original and enhanced mode) and reading a reply.
//! - [`json`]: the message as a JSON tree (the shape the CLI and the Python `to_dict()` share).
//!
//! ```
//! use hl7_core::Message;
//! use hl7_messaging::TextDecoder;
//!
//! let input = b"MSH|^~\\&|LAB|HOSP|EHR|HOSP|20240101||ADT^A01|1|P|2.5.1|||||8859/1\r\
//! PID|1||12345^^^HOSP^MR||M\xfcller\\T\\Co^J\xfcrgen\r";
//! let msg = Message::parse(input)?;
//! let text = TextDecoder::new(&msg); // the charset is resolved here, once
//! let family = msg.query("PID-5.1")?.unwrap();
//! assert_eq!(text.value(family), "Müller&Co"); // escape \T\ decoded, Latin-1 decoded
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

extern crate alloc;

pub mod ack;
pub mod anonymize;
pub mod build;
pub mod index;
pub mod json;
pub mod profile;
pub mod structure;
pub mod text;
pub mod validate;

pub use build::MessageBuf;
pub use index::SegmentIndex;
pub use text::TextDecoder;
