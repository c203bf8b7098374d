//! Embedded and referenced content: ED (encapsulated data), RP (reference pointer).

use super::composite::{composite, parts};
use super::identifier::Hd;

composite!(
    /// ED (encapsulated data, often OBX-5 of a PDF): source application `^` type of data `^` data
    /// subtype `^` encoding `^` data. The data stays raw and borrowed: decode it per
    /// [`Ed::encoding`] (`A` text with escapes, `Hex`, `Base64`).
    ///
    /// ```
    /// use hl7_core::{Message, types::Ed};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1|ED|PDF||LAB^AP^PDF^Base64^JVBERi0xLjQ=\r").unwrap();
    /// let ed = Ed::from_field(msg.segment(b"OBX").unwrap().field(5).unwrap());
    /// assert_eq!(ed.source_application().unwrap().namespace_id().unwrap().as_bytes(), b"LAB");
    /// assert_eq!(ed.encoding().unwrap().as_bytes(), b"Base64");
    /// assert_eq!(ed.data().unwrap().as_bytes(), b"JVBERi0xLjQ=");
    /// ```
    Ed,
    "ED"
);

impl<'a> Ed<'a> {
    parts! {
        /// ED.1 source application (HD).
        1 => source_application: (nested Hd),
        /// ED.2 type of data (ID, table 0191).
        2 => type_of_data: text,
        /// ED.3 data subtype (ID, table 0291).
        3 => data_subtype: text,
        /// ED.4 encoding (ID, table 0299: A, Hex, Base64).
        4 => encoding: text,
        /// ED.5 data (TX), raw.
        5 => data: text,
    }
}

composite!(
    /// RP (reference pointer): pointer `^` application id `^` type of data `^` subtype.
    ///
    /// ```
    /// use hl7_core::{Message, types::Rp};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1|RP|IMG||img/123&1.2.3&ISO^PACS^IM^JPEG\r").unwrap();
    /// let rp = Rp::from_field(msg.segment(b"OBX").unwrap().field(5).unwrap());
    /// assert_eq!(rp.pointer().unwrap().as_bytes(), b"img/123&1.2.3&ISO");
    /// assert_eq!(rp.application_id().unwrap().namespace_id().unwrap().as_bytes(), b"PACS");
    /// assert_eq!(rp.subtype().unwrap().as_bytes(), b"JPEG");
    /// ```
    Rp,
    "RP"
);

impl<'a> Rp<'a> {
    parts! {
        /// RP.1 pointer (ST), raw: a pointer may contain `&` (from v2.7 RP.1 is an ST, earlier
        /// senders sometimes put an HD there).
        1 => pointer: text,
        /// RP.2 application id (HD).
        2 => application_id: (nested Hd),
        /// RP.3 type of data (ID, table 0834).
        3 => type_of_data: text,
        /// RP.4 subtype (ID, table 0291).
        4 => subtype: text,
    }
}
