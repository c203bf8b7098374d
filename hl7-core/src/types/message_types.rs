//! Header datatypes: MSG (message type), PT (processing type), VID (version id).

use super::coded::Cwe;
use super::composite::{composite, parts};

composite!(
    /// MSG (message type, MSH-9): message code `^` trigger event `^` message structure.
    ///
    /// ```
    /// use hl7_core::{Message, types::Msg};
    /// let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|20240101||ADT^A04^ADT_A01|1|P|2.5.1").unwrap();
    /// let t = Msg::from_field(msg.segment(b"MSH").unwrap().field(9).unwrap());
    /// assert_eq!(t.message_code().unwrap().as_bytes(), b"ADT");
    /// assert_eq!(t.trigger_event().unwrap().as_bytes(), b"A04");
    /// assert_eq!(t.message_structure().unwrap().as_bytes(), b"ADT_A01");
    /// ```
    Msg,
    "MSG"
);

impl<'a> Msg<'a> {
    parts! {
        /// MSG.1 message code (ID, table 0076).
        1 => message_code: text,
        /// MSG.2 trigger event (ID, table 0003).
        2 => trigger_event: text,
        /// MSG.3 message structure (ID, table 0354).
        3 => message_structure: text,
    }
}

composite!(
    /// PT (processing type, MSH-11): processing id `^` processing mode.
    ///
    /// ```
    /// use hl7_core::{Message, types::Pt};
    /// let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|20240101||ADT^A04|1|P^T|2.5.1").unwrap();
    /// let pt = Pt::from_field(msg.segment(b"MSH").unwrap().field(11).unwrap());
    /// assert_eq!(pt.processing_id().unwrap().as_bytes(), b"P");
    /// assert_eq!(pt.processing_mode().unwrap().as_bytes(), b"T");
    /// ```
    Pt,
    "PT"
);

impl<'a> Pt<'a> {
    parts! {
        /// PT.1 processing id (ID, table 0103: P, T, D).
        1 => processing_id: text,
        /// PT.2 processing mode (ID, table 0207).
        2 => processing_mode: text,
    }
}

composite!(
    /// VID (version identifier, MSH-12): version id `^` internationalization code `^`
    /// international version id.
    ///
    /// ```
    /// use hl7_core::{Message, types::Vid};
    /// let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|20240101||ADT^A04|1|P|2.5.1^USA").unwrap();
    /// let v = Vid::from_field(msg.segment(b"MSH").unwrap().field(12).unwrap());
    /// assert_eq!(v.version_id().unwrap().as_bytes(), b"2.5.1");
    /// assert_eq!(v.internationalization_code().unwrap().identifier().unwrap().as_bytes(), b"USA");
    /// ```
    Vid,
    "VID"
);

impl<'a> Vid<'a> {
    parts! {
        /// VID.1 version id (ID, table 0104).
        1 => version_id: text,
        /// VID.2 internationalization code (CWE/CE, in subcomponents).
        2 => internationalization_code: (nested Cwe),
        /// VID.3 international version id (CWE/CE).
        3 => international_version_id: (nested Cwe),
    }
}
