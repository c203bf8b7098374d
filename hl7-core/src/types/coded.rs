//! Coded values: CWE (coded with exceptions), and CE / CNE which share its layout.

use super::composite::{composite, parts};

composite!(
    /// CWE (coded with exceptions), v2.5+ layout; components 10–22 are v2.7+. CE (v2.5 and before)
    /// and CNE have the same positions for what they define, so they are aliases: [`Ce`], [`Cne`].
    ///
    /// ```
    /// use hl7_core::{Message, types::Cwe};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1|NM|8867-4^Heart rate^LN^HR^Pulse^L||72\r").unwrap();
    /// let code = Cwe::from_field(msg.segment(b"OBX").unwrap().field(3).unwrap());
    /// assert_eq!(code.identifier().unwrap().as_bytes(), b"8867-4");
    /// assert_eq!(code.name_of_coding_system().unwrap().as_bytes(), b"LN");
    /// assert_eq!(code.alternate_identifier().unwrap().as_bytes(), b"HR");
    /// assert!(code.original_text().is_none());
    /// ```
    Cwe,
    "CWE"
);

/// CE (coded element, v2.5 and before): CWE.1–6.
pub type Ce<'a> = Cwe<'a>;
/// CNE (coded with no exceptions): the CWE layout, with a required code.
pub type Cne<'a> = Cwe<'a>;

impl<'a> Cwe<'a> {
    parts! {
        /// CWE.1 identifier (ST).
        1 => identifier: text,
        /// CWE.2 text (ST).
        2 => text: text,
        /// CWE.3 name of coding system (ID, table 0396).
        3 => name_of_coding_system: text,
        /// CWE.4 alternate identifier (ST).
        4 => alternate_identifier: text,
        /// CWE.5 alternate text (ST).
        5 => alternate_text: text,
        /// CWE.6 name of alternate coding system (ID).
        6 => name_of_alternate_coding_system: text,
        /// CWE.7 coding system version id (ST).
        7 => coding_system_version_id: text,
        /// CWE.8 alternate coding system version id (ST).
        8 => alternate_coding_system_version_id: text,
        /// CWE.9 original text (ST).
        9 => original_text: text,
        /// CWE.10 second alternate identifier (ST, v2.7+).
        10 => second_alternate_identifier: text,
        /// CWE.11 second alternate text (ST, v2.7+).
        11 => second_alternate_text: text,
        /// CWE.12 name of second alternate coding system (ID, v2.7+).
        12 => name_of_second_alternate_coding_system: text,
        /// CWE.13 second alternate coding system version id (ST, v2.7+).
        13 => second_alternate_coding_system_version_id: text,
        /// CWE.14 coding system OID (ST, v2.7+).
        14 => coding_system_oid: text,
        /// CWE.15 value set OID (ST, v2.7+).
        15 => value_set_oid: text,
        /// CWE.16 value set version id (DTM, v2.7+).
        16 => value_set_version_id: dtm,
        /// CWE.17 alternate coding system OID (ST, v2.7+).
        17 => alternate_coding_system_oid: text,
        /// CWE.18 alternate value set OID (ST, v2.7+).
        18 => alternate_value_set_oid: text,
        /// CWE.19 alternate value set version id (DTM, v2.7+).
        19 => alternate_value_set_version_id: dtm,
        /// CWE.20 second alternate coding system OID (ST, v2.7+).
        20 => second_alternate_coding_system_oid: text,
        /// CWE.21 second alternate value set OID (ST, v2.7+).
        21 => second_alternate_value_set_oid: text,
        /// CWE.22 second alternate value set version id (DTM, v2.7+).
        22 => second_alternate_value_set_version_id: dtm,
    }
}
