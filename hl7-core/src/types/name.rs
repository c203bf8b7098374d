//! Names: XPN (person), FN (family name), XCN (person with id), XON (organization).
//!
//! Version note: the family name is XPN.1 in every version. In v2.1–2.2 (PN) it is a plain string;
//! in v2.3 it has subcomponents `family & last name prefix`; from v2.4 it is an FN whose first
//! subcomponent is the surname. [`FamilyName::surname`] reads subcomponent 1, which is the
//! surname in all of them. The same holds for XCN.2.

use super::coded::Cwe;
use super::composite::{composite, parts};
use super::datetime::{Dr, Ts};
use super::identifier::Hd;

composite!(
    /// FN (family name), the first component of XPN and second of XCN: surname `&` own surname
    /// prefix `&` own surname `&` surname prefix from partner `&` surname from partner.
    ///
    /// ```
    /// use hl7_core::{Message, types::Xpn};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||||van Dijk&van&Dijk^Anna\r").unwrap();
    /// let name = Xpn::from_field(msg.segment(b"PID").unwrap().field(5).unwrap());
    /// let family = name.family_name().unwrap();
    /// assert_eq!(family.surname().unwrap().as_bytes(), b"van Dijk");
    /// assert_eq!(family.own_surname_prefix().unwrap().as_bytes(), b"van");
    /// ```
    FamilyName,
    "FN"
);

impl<'a> FamilyName<'a> {
    parts! {
        /// FN.1 surname (ST).
        1 => surname: text,
        /// FN.2 own surname prefix (ST).
        2 => own_surname_prefix: text,
        /// FN.3 own surname (ST).
        3 => own_surname: text,
        /// FN.4 surname prefix from partner/spouse (ST).
        4 => surname_prefix_from_partner: text,
        /// FN.5 surname from partner/spouse (ST).
        5 => surname_from_partner: text,
    }
}

composite!(
    /// XPN (extended person name), v2.5+ layout; XPN.15 is v2.7+.
    ///
    /// ```
    /// use hl7_core::{Message, types::Xpn};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||||DOE^JANE^Q^JR^DR^^L~SMITH^JANE^^^^^M\r").unwrap();
    /// let pid5 = msg.segment(b"PID").unwrap().field(5).unwrap();
    /// let legal = Xpn::new(pid5.repetition(1).unwrap());
    /// assert_eq!(legal.family().unwrap().as_bytes(), b"DOE");
    /// assert_eq!(legal.given_name().unwrap().as_bytes(), b"JANE");
    /// assert_eq!(legal.name_type_code().unwrap().as_bytes(), b"L");
    /// let maiden = Xpn::new(pid5.repetition(2).unwrap());
    /// assert_eq!(maiden.family().unwrap().as_bytes(), b"SMITH");
    /// assert!(maiden.suffix().is_none());
    /// ```
    Xpn,
    "XPN"
);

impl<'a> Xpn<'a> {
    parts! {
        /// XPN.1 family name (FN; see the module note on versions).
        1 => family_name: (nested FamilyName),
        /// XPN.2 given name (ST).
        2 => given_name: text,
        /// XPN.3 second and further given names or initials (ST).
        3 => second_and_further_given_names: text,
        /// XPN.4 suffix (ST), e.g. JR.
        4 => suffix: text,
        /// XPN.5 prefix (ST), e.g. DR.
        5 => prefix: text,
        /// XPN.6 degree (IS, deprecated; use XPN.14).
        6 => degree: text,
        /// XPN.7 name type code (ID, table 0200: L, D, M…).
        7 => name_type_code: text,
        /// XPN.8 name representation code (ID, table 4000).
        8 => name_representation_code: text,
        /// XPN.9 name context (CWE/CE).
        9 => name_context: (nested Cwe),
        /// XPN.10 name validity range (DR, deprecated in v2.5).
        10 => name_validity_range: (nested Dr),
        /// XPN.11 name assembly order (ID, table 0444).
        11 => name_assembly_order: text,
        /// XPN.12 effective date (TS/DTM).
        12 => effective_date: (nested Ts),
        /// XPN.13 expiration date (TS/DTM).
        13 => expiration_date: (nested Ts),
        /// XPN.14 professional suffix (ST).
        14 => professional_suffix: text,
        /// XPN.15 called by (ST, v2.7+).
        15 => called_by: text,
    }

    /// The surname: XPN.1.1 (the whole of XPN.1 before v2.3), raw.
    pub fn family(&self) -> Option<crate::Value<'a>> {
        self.family_name().and_then(|f| f.surname())
    }
}

composite!(
    /// XCN (extended composite id number and name for persons), v2.5+ layout.
    ///
    /// ```
    /// use hl7_core::{Message, types::Xcn};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPV1|1|I||||||1234^WELBY^MARCUS^^^DR^^^NPI&2.16.840.1.113883.4.6&ISO\r").unwrap();
    /// let doc = Xcn::from_field(msg.segment(b"PV1").unwrap().field(8).unwrap());
    /// assert_eq!(doc.id_number().unwrap().as_bytes(), b"1234");
    /// assert_eq!(doc.family().unwrap().as_bytes(), b"WELBY");
    /// assert_eq!(doc.assigning_authority().unwrap().namespace_id().unwrap().as_bytes(), b"NPI");
    /// ```
    Xcn,
    "XCN"
);

impl<'a> Xcn<'a> {
    parts! {
        /// XCN.1 id number (ST).
        1 => id_number: text,
        /// XCN.2 family name (FN).
        2 => family_name: (nested FamilyName),
        /// XCN.3 given name (ST).
        3 => given_name: text,
        /// XCN.4 second and further given names or initials (ST).
        4 => second_and_further_given_names: text,
        /// XCN.5 suffix (ST).
        5 => suffix: text,
        /// XCN.6 prefix (ST).
        6 => prefix: text,
        /// XCN.7 degree (IS, deprecated).
        7 => degree: text,
        /// XCN.8 source table (IS).
        8 => source_table: text,
        /// XCN.9 assigning authority (HD).
        9 => assigning_authority: (nested Hd),
        /// XCN.10 name type code (ID, table 0200).
        10 => name_type_code: text,
        /// XCN.11 identifier check digit (ST).
        11 => identifier_check_digit: text,
        /// XCN.12 check digit scheme (ID, table 0061).
        12 => check_digit_scheme: text,
        /// XCN.13 identifier type code (ID, table 0203).
        13 => identifier_type_code: text,
        /// XCN.14 assigning facility (HD).
        14 => assigning_facility: (nested Hd),
        /// XCN.15 name representation code (ID, table 4000).
        15 => name_representation_code: text,
        /// XCN.16 name context (CWE/CE).
        16 => name_context: (nested Cwe),
        /// XCN.17 name validity range (DR, deprecated).
        17 => name_validity_range: (nested Dr),
        /// XCN.18 name assembly order (ID, table 0444).
        18 => name_assembly_order: text,
        /// XCN.19 effective date (TS/DTM).
        19 => effective_date: (nested Ts),
        /// XCN.20 expiration date (TS/DTM).
        20 => expiration_date: (nested Ts),
        /// XCN.21 professional suffix (ST).
        21 => professional_suffix: text,
        /// XCN.22 assigning jurisdiction (CWE).
        22 => assigning_jurisdiction: (nested Cwe),
        /// XCN.23 assigning agency or department (CWE).
        23 => assigning_agency_or_department: (nested Cwe),
    }

    /// The surname: XCN.2.1, raw.
    pub fn family(&self) -> Option<crate::Value<'a>> {
        self.family_name().and_then(|f| f.surname())
    }
}

composite!(
    /// XON (extended composite name and id for organizations), v2.5+ layout.
    ///
    /// ```
    /// use hl7_core::{Message, types::Xon};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPD1|||Good Health Clinic^L^^^^NPI&2.16.840.1.113883.4.6&ISO^XX^^^1234567893\r").unwrap();
    /// let org = Xon::from_field(msg.segment(b"PD1").unwrap().field(3).unwrap());
    /// assert_eq!(org.organization_name().unwrap().as_bytes(), b"Good Health Clinic");
    /// assert_eq!(org.organization_identifier().unwrap().as_bytes(), b"1234567893");
    /// assert_eq!(org.assigning_authority().unwrap().namespace_id().unwrap().as_bytes(), b"NPI");
    /// ```
    Xon,
    "XON"
);

impl<'a> Xon<'a> {
    parts! {
        /// XON.1 organization name (ST).
        1 => organization_name: text,
        /// XON.2 organization name type code (IS, table 0204).
        2 => organization_name_type_code: text,
        /// XON.3 id number (NM, deprecated in v2.5: use XON.10).
        3 => id_number: nm,
        /// XON.4 check digit (NM, deprecated in v2.5).
        4 => check_digit: nm,
        /// XON.5 check digit scheme (ID, table 0061).
        5 => check_digit_scheme: text,
        /// XON.6 assigning authority (HD).
        6 => assigning_authority: (nested Hd),
        /// XON.7 identifier type code (ID, table 0203).
        7 => identifier_type_code: text,
        /// XON.8 assigning facility (HD).
        8 => assigning_facility: (nested Hd),
        /// XON.9 name representation code (ID, table 4000).
        9 => name_representation_code: text,
        /// XON.10 organization identifier (ST, v2.5+).
        10 => organization_identifier: text,
    }
}
