//! Places and contacts: XAD (address) with SAD (street address), XTN (telecom), PL (location).

use super::composite::{composite, parts};
use super::datetime::{Dr, Ts};
use super::identifier::{Ei, Hd};

composite!(
    /// SAD (street address), XAD.1 from v2.5: street or mailing address `&` street name `&`
    /// dwelling number. Before v2.5 XAD.1 is a plain string, read by
    /// [`StreetAddress::street_or_mailing_address`].
    StreetAddress,
    "SAD"
);

impl<'a> StreetAddress<'a> {
    parts! {
        /// SAD.1 street or mailing address (ST).
        1 => street_or_mailing_address: text,
        /// SAD.2 street name (ST).
        2 => street_name: text,
        /// SAD.3 dwelling number (ST).
        3 => dwelling_number: text,
    }
}

composite!(
    /// XAD (extended address), v2.5+ layout.
    ///
    /// ```
    /// use hl7_core::{Message, types::Xad};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||||||||||1 Main St&Main St&1^Apt 2^Springfield^IL^62701^USA^H\r").unwrap();
    /// let addr = Xad::from_field(msg.segment(b"PID").unwrap().field(11).unwrap());
    /// let street = addr.street_address().unwrap();
    /// assert_eq!(street.street_or_mailing_address().unwrap().as_bytes(), b"1 Main St");
    /// assert_eq!(street.dwelling_number().unwrap().as_bytes(), b"1");
    /// assert_eq!(addr.city().unwrap().as_bytes(), b"Springfield");
    /// assert_eq!(addr.zip_or_postal_code().unwrap().as_bytes(), b"62701");
    /// assert_eq!(addr.address_type().unwrap().as_bytes(), b"H");
    /// ```
    Xad,
    "XAD"
);

impl<'a> Xad<'a> {
    parts! {
        /// XAD.1 street address (SAD from v2.5, ST before).
        1 => street_address: (nested StreetAddress),
        /// XAD.2 other designation (ST).
        2 => other_designation: text,
        /// XAD.3 city (ST).
        3 => city: text,
        /// XAD.4 state or province (ST).
        4 => state_or_province: text,
        /// XAD.5 zip or postal code (ST).
        5 => zip_or_postal_code: text,
        /// XAD.6 country (ID, ISO 3166).
        6 => country: text,
        /// XAD.7 address type (ID, table 0190).
        7 => address_type: text,
        /// XAD.8 other geographic designation (ST).
        8 => other_geographic_designation: text,
        /// XAD.9 county/parish code (IS, table 0289).
        9 => county_parish_code: text,
        /// XAD.10 census tract (IS).
        10 => census_tract: text,
        /// XAD.11 address representation code (ID, table 4000).
        11 => address_representation_code: text,
        /// XAD.12 address validity range (DR, deprecated in v2.5).
        12 => address_validity_range: (nested Dr),
        /// XAD.13 effective date (TS/DTM).
        13 => effective_date: (nested Ts),
        /// XAD.14 expiration date (TS/DTM).
        14 => expiration_date: (nested Ts),
    }
}

composite!(
    /// XTN (extended telecommunication number), v2.5+ layout.
    ///
    /// ```
    /// use hl7_core::{Message, types::Xtn};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||||||||||||(555)555-1234^PRN^PH^^1^555^5551234~^NET^Internet^jane@example.org\r").unwrap();
    /// let pid13 = msg.segment(b"PID").unwrap().field(13).unwrap();
    /// let phone = Xtn::new(pid13.repetition(1).unwrap());
    /// assert_eq!(phone.local_number().unwrap().unwrap().as_str(), "5551234");
    /// let email = Xtn::new(pid13.repetition(2).unwrap());
    /// assert_eq!(email.email_address().unwrap().as_bytes(), b"jane@example.org");
    /// ```
    Xtn,
    "XTN"
);

impl<'a> Xtn<'a> {
    parts! {
        /// XTN.1 telephone number (ST, deprecated in v2.5: free form `[NNN] [(999)]999-9999…`).
        1 => telephone_number: text,
        /// XTN.2 telecommunication use code (ID, table 0201: PRN, WPN, NET…).
        2 => telecommunication_use_code: text,
        /// XTN.3 telecommunication equipment type (ID, table 0202: PH, CP, Internet…).
        3 => telecommunication_equipment_type: text,
        /// XTN.4 email address (ST).
        4 => email_address: text,
        /// XTN.5 country code (NM).
        5 => country_code: nm,
        /// XTN.6 area/city code (NM).
        6 => area_city_code: nm,
        /// XTN.7 local number (NM).
        7 => local_number: nm,
        /// XTN.8 extension (NM).
        8 => extension: nm,
        /// XTN.9 any text (ST).
        9 => any_text: text,
        /// XTN.10 extension prefix (ST, v2.6+).
        10 => extension_prefix: text,
        /// XTN.11 speed dial code (ST, v2.6+).
        11 => speed_dial_code: text,
        /// XTN.12 unformatted telephone number (ST, v2.6+).
        12 => unformatted_telephone_number: text,
    }
}

composite!(
    /// PL (person location), v2.5+ layout. PL.1–3, 7 and 8 are IS up to v2.6 and HD from v2.7;
    /// they are read as [`Hd`], whose namespace id is the IS value of older versions.
    ///
    /// ```
    /// use hl7_core::{Message, types::Pl};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPV1|1|I|4E^401^B^HOSP&1.2.3&ISO\r").unwrap();
    /// let loc = Pl::from_field(msg.segment(b"PV1").unwrap().field(3).unwrap());
    /// assert_eq!(loc.point_of_care().unwrap().namespace_id().unwrap().as_bytes(), b"4E");
    /// assert_eq!(loc.bed().unwrap().namespace_id().unwrap().as_bytes(), b"B");
    /// assert_eq!(loc.facility().unwrap().universal_id().unwrap().as_bytes(), b"1.2.3");
    /// ```
    Pl,
    "PL"
);

impl<'a> Pl<'a> {
    parts! {
        /// PL.1 point of care (IS; HD from v2.7).
        1 => point_of_care: (nested Hd),
        /// PL.2 room (IS; HD from v2.7).
        2 => room: (nested Hd),
        /// PL.3 bed (IS; HD from v2.7).
        3 => bed: (nested Hd),
        /// PL.4 facility (HD).
        4 => facility: (nested Hd),
        /// PL.5 location status (IS, table 0306).
        5 => location_status: text,
        /// PL.6 person location type (IS, table 0305).
        6 => person_location_type: text,
        /// PL.7 building (IS; HD from v2.7).
        7 => building: (nested Hd),
        /// PL.8 floor (IS; HD from v2.7).
        8 => floor: (nested Hd),
        /// PL.9 location description (ST).
        9 => location_description: text,
        /// PL.10 comprehensive location identifier (EI).
        10 => comprehensive_location_identifier: (nested Ei),
        /// PL.11 assigning authority for location (HD).
        11 => assigning_authority_for_location: (nested Hd),
    }
}
