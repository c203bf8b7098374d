//! Identifiers: HD (hierarchic designator), EI (entity identifier), CX (extended composite id).

use super::coded::Cwe;
use super::composite::{composite, parts};

composite!(
    /// HD (hierarchic designator): namespace id `^` universal id `^` universal id type. Used as a
    /// field (MSH-3) and as a component (CX-4, in subcomponents).
    ///
    /// ```
    /// use hl7_core::{Message, types::Hd};
    /// let msg = Message::parse(b"MSH|^~\\&|LAB^2.16.840.1.113883.19.4.6^ISO|F").unwrap();
    /// let app = Hd::from_field(msg.segment(b"MSH").unwrap().field(3).unwrap());
    /// assert_eq!(app.namespace_id().unwrap().as_bytes(), b"LAB");
    /// assert_eq!(app.universal_id_type().unwrap().as_bytes(), b"ISO");
    /// ```
    Hd,
    "HD"
);

impl<'a> Hd<'a> {
    parts! {
        /// HD.1 namespace id (IS, table 0300/0361/0362/0363).
        1 => namespace_id: text,
        /// HD.2 universal id (ST, an OID, UUID, DNS name…).
        2 => universal_id: text,
        /// HD.3 universal id type (ID, table 0301: ISO, UUID, DNS…).
        3 => universal_id_type: text,
    }
}

composite!(
    /// EI (entity identifier): entity identifier `^` namespace id `^` universal id `^` universal
    /// id type (EI.2–4 are an HD laid flat).
    ///
    /// ```
    /// use hl7_core::{Message, types::Ei};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rORC|NW|ORD1^EPIC^1.2.3^ISO\r").unwrap();
    /// let placer = Ei::from_field(msg.segment(b"ORC").unwrap().field(2).unwrap());
    /// assert_eq!(placer.entity_identifier().unwrap().as_bytes(), b"ORD1");
    /// assert_eq!(placer.universal_id().unwrap().as_bytes(), b"1.2.3");
    /// ```
    Ei,
    "EI"
);

impl<'a> Ei<'a> {
    parts! {
        /// EI.1 entity identifier (ST).
        1 => entity_identifier: text,
        /// EI.2 namespace id (IS).
        2 => namespace_id: text,
        /// EI.3 universal id (ST).
        3 => universal_id: text,
        /// EI.4 universal id type (ID, table 0301).
        4 => universal_id_type: text,
    }
}

composite!(
    /// CX (extended composite id with check digit), v2.5+ layout; CX.11–12 are v2.7+. Before
    /// v2.5, CX.7–10 did not exist; positions 1–6 are the same in all versions.
    ///
    /// ```
    /// use hl7_core::{Message, types::Cx};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||12345^^^HOSP&1.2.3&ISO^MR~999^^^SSA^SS\r").unwrap();
    /// let pid3 = msg.segment(b"PID").unwrap().field(3).unwrap();
    /// let mrn = Cx::new(pid3.repetition(1).unwrap());
    /// assert_eq!(mrn.id_number().unwrap().as_bytes(), b"12345");
    /// let aa = mrn.assigning_authority().unwrap();
    /// assert_eq!(aa.namespace_id().unwrap().as_bytes(), b"HOSP");
    /// assert_eq!(aa.universal_id().unwrap().as_bytes(), b"1.2.3");
    /// assert_eq!(mrn.identifier_type_code().unwrap().as_bytes(), b"MR");
    /// let types: Vec<_> = pid3.repetitions().map(Cx::new).filter_map(|cx| cx.identifier_type_code()).map(|v| v.as_bytes()).collect();
    /// assert_eq!(types, [&b"MR"[..], b"SS"]);
    /// ```
    Cx,
    "CX"
);

impl<'a> Cx<'a> {
    parts! {
        /// CX.1 id number (ST).
        1 => id_number: text,
        /// CX.2 identifier check digit (ST).
        2 => identifier_check_digit: text,
        /// CX.3 check digit scheme (ID, table 0061).
        3 => check_digit_scheme: text,
        /// CX.4 assigning authority (HD, in subcomponents).
        4 => assigning_authority: (nested Hd),
        /// CX.5 identifier type code (ID, table 0203: MR, SS, PI…).
        5 => identifier_type_code: text,
        /// CX.6 assigning facility (HD).
        6 => assigning_facility: (nested Hd),
        /// CX.7 effective date (DT, v2.5+).
        7 => effective_date: dt,
        /// CX.8 expiration date (DT, v2.5+).
        8 => expiration_date: dt,
        /// CX.9 assigning jurisdiction (CWE, v2.5+).
        9 => assigning_jurisdiction: (nested Cwe),
        /// CX.10 assigning agency or department (CWE, v2.5+).
        10 => assigning_agency_or_department: (nested Cwe),
        /// CX.11 security check (ST, v2.7+).
        11 => security_check: text,
        /// CX.12 security check scheme (ID, v2.7+).
        12 => security_check_scheme: text,
    }
}
