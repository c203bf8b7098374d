//! Message structures: which segments a message type holds, in which groups, for HL7 2.3–2.8.
//!
//! The structures are data, not code: `data/structures.txt` holds one definition a line in the
//! standard's abstract message syntax (`[ ]` optional, `{ }` repeating, `< | >` one of, named
//! groups `[{ OBSERVATION: OBX [{NTE}] }]`) per version range, and the trigger event → structure
//! table (`ADT^A04` uses `ADT_A01`). [`group`] puts each segment of a message in its group (each OBX
//! under its OBR, each NTE under its owner) and reports, never drops, what does not fit.
//!
//! Versions before 2.3 use the 2.3 rules and versions after 2.8 the 2.8 rules. Within a version
//! range of the table, optional segments that a later release of the range added are accepted by
//! the whole range: grouping is meant to be tolerant, and it is the same tree either way.
//!
//! ```
//! use hl7_core::Message;
//! use hl7_messaging::structure;
//!
//! let msg = Message::parse(b"MSH|^~\\&|LAB|H|EHR|H|20240101||ORU^R01^ORU_R01|1|P|2.5.1\r\
//! PID|1||123^^^H^MR\rOBR|1||LAB1|GLU\rOBX|1|NM|GLU||5.4|mmol/L\rNTE|1||fasting\r").unwrap();
//! let grouped = structure::group(&msg)?;
//! let order = grouped.root().group("PATIENT_RESULT").unwrap().group("ORDER_OBSERVATION").unwrap();
//! let obs = order.group("OBSERVATION").unwrap();
//! assert_eq!(obs.segment(b"OBX").unwrap().index(), 4);
//! assert_eq!(obs.segment(b"NTE").unwrap().index(), 5);
//! assert!(grouped.unexpected().is_empty() && grouped.missing().is_empty());
//! # Ok::<(), structure::StructureError>(())
//! ```

use core::fmt;

mod catalog;
mod group;
mod syntax;

pub(crate) use catalog::parse_range as catalog_range;
pub use catalog::{all_structures, check_table, structure_id_for, Structure, Version};
pub use group::{Child, Group, Grouped, Missing, Placed, Unexpected, UnexpectedReason};

/// Why a message has no structure to group by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StructureError {
    /// MSH-9 (message type) is absent or empty.
    NoMessageType,
    /// Neither MSH-9.3 nor the trigger event names a structure of the table for this version.
    UnknownStructure,
}

impl fmt::Display for StructureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StructureError::NoMessageType => "no message type in MSH-9",
            StructureError::UnknownStructure => "no known structure for the message type and version",
        })
    }
}

impl core::error::Error for StructureError {}

/// Groups a message by the structure its header names ([`Structure::for_message`]).
pub fn group<'a>(msg: &hl7_core::Message<'a>) -> Result<Grouped<'a>, StructureError> {
    Structure::for_message(msg).map(|s| s.group(msg))
}
