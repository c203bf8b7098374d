//! FHIR primitive values: the [`Primitive`] wrapper (value + `_element`), and the lexical
//! types that keep exactly what was written: [`Decimal`], [`Date`], [`DateTime`],
//! [`Instant`], [`Time`].

use std::fmt;
use std::str::FromStr;

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::Element;

/// A FHIR primitive element: an optional value plus the optional `id`/`extension` that JSON
/// carries in the `_name` sibling.
///
/// ```
/// use fhir_model::{Patient, Primitive, Date};
/// let p = Patient { birth_date: Some("1970-03-01".parse::<Date>().unwrap().into()), ..Default::default() };
/// assert_eq!(p.birth_date.as_ref().and_then(Primitive::value).map(Date::as_str), Some("1970-03-01"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Primitive<T> {
    /// The value; `None` when only extensions are given (`"_birthDate": {...}`).
    pub value: Option<T>,
    /// `id` and `extension` of the primitive element (the JSON `_name` member).
    pub element: Option<Box<Element>>,
}

impl<T> Default for Primitive<T> {
    fn default() -> Self {
        Self { value: None, element: None }
    }
}

impl<T> Primitive<T> {
    /// A primitive holding `value` and no extensions.
    pub fn new(value: T) -> Self {
        Self { value: Some(value), element: None }
    }

    /// The value, if present.
    pub fn value(&self) -> Option<&T> {
        self.value.as_ref()
    }

    /// Extensions on the primitive element (empty when none).
    pub fn extension(&self) -> &[crate::Extension] {
        self.element.as_deref().map_or(&[], |e| e.extension.as_slice())
    }
}

impl Primitive<String> {
    /// The string value, if present.
    pub fn as_str(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

impl<T> From<T> for Primitive<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Primitive<String> {
    fn from(value: &str) -> Self {
        Self::new(value.to_string())
    }
}

/// Why a lexical value is not valid for its FHIR type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatError {
    /// The FHIR type whose format was not met (`"dateTime"`).
    pub fhir_type: &'static str,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a valid FHIR {}", self.fhir_type)
    }
}

impl std::error::Error for FormatError {}

/// A FHIR `decimal`, kept in its exact lexical form so `1.50` is written back as `1.50`.
///
/// ```
/// use fhir_model::Decimal;
/// let d: Decimal = "1.50".parse().unwrap();
/// assert_eq!(d.as_str(), "1.50");
/// assert_eq!(d.to_f64(), 1.5);
/// assert!("1.5.0".parse::<Decimal>().is_err());
/// ```
#[derive(Clone)]
pub struct Decimal(Box<RawValue>);

impl Decimal {
    /// The decimal as written.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// The value as the nearest `f64`.
    pub fn to_f64(&self) -> f64 {
        self.as_str().parse().unwrap_or(f64::NAN)
    }

    /// Whether the lexical form matches the FHIR decimal grammar.
    pub fn is_valid(&self) -> bool {
        is_decimal(self.as_str())
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({})", self.as_str())
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Decimal {
    type Err = FormatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !is_decimal(s) {
            return Err(FormatError { fhir_type: "decimal" });
        }
        RawValue::from_string(s.to_string()).map(Decimal).map_err(|_| FormatError { fhir_type: "decimal" })
    }
}

impl From<i32> for Decimal {
    fn from(v: i32) -> Self {
        // An integer's decimal text is always valid JSON.
        Self(RawValue::from_string(v.to_string()).unwrap_or_else(|_| zero()))
    }
}

fn zero() -> Box<RawValue> {
    RawValue::from_string("0".to_string()).unwrap_or_else(|_| unreachable!("0 is valid JSON"))
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl Decimal {
    /// A decimal from a raw JSON value, which must be a number (FHIR JSON writes decimals as
    /// numbers, never as strings); the value back when it is not.
    pub(crate) fn from_raw(raw: Box<RawValue>) -> Result<Self, Box<RawValue>> {
        let first = raw.get().as_bytes().first().copied().unwrap_or(b' ');
        if first == b'-' || first.is_ascii_digit() {
            Ok(Decimal(raw))
        } else {
            Err(raw)
        }
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        Decimal::from_raw(raw).map_err(|_| serde::de::Error::custom(crate::json::JsonErrorKind::NotANumber.message()))
    }
}

/// FHIR decimal grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
pub(crate) fn is_decimal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    let n = digits(&mut i);
    if n == 0 || (n > 1 && b.get(int_start) == Some(&b'0')) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// How much of a date or date-time is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DateTimePrecision {
    /// `YYYY`
    Year,
    /// `YYYY-MM`
    Month,
    /// `YYYY-MM-DD`
    Day,
    /// `YYYY-MM-DDThh:mm:ss[.fff]±zz:zz`
    Time,
}

/// The parsed parts of a (partial) date or date-time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTimeParts {
    /// Year.
    pub year: u16,
    /// Month 1–12, when given.
    pub month: Option<u8>,
    /// Day 1–31, when given.
    pub day: Option<u8>,
    /// Hour, minute, second, when a time is given.
    pub time: Option<(u8, u8, u8)>,
    /// Fraction of a second as written (digits after the dot; empty when none).
    pub fraction_digits: u8,
    /// Offset from UTC in minutes, when a time is given (`Z` is 0).
    pub offset_minutes: Option<i16>,
}

impl DateTimeParts {
    /// How much is given.
    pub fn precision(&self) -> DateTimePrecision {
        match (self.month, self.day, self.time) {
            (_, _, Some(_)) => DateTimePrecision::Time,
            (_, Some(_), None) => DateTimePrecision::Day,
            (Some(_), None, None) => DateTimePrecision::Month,
            _ => DateTimePrecision::Year,
        }
    }
}

fn num(b: &[u8], at: usize, len: usize) -> Option<u16> {
    let part = b.get(at..at + len)?;
    part.iter().try_fold(0u16, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u16::from(c - b'0')))
}

fn num8(b: &[u8], at: usize) -> Option<u8> {
    num(b, at, 2).and_then(|n| u8::try_from(n).ok())
}

#[allow(clippy::many_single_char_names)]
/// Parses `hh:mm:ss(.f+)?` at `b[at..]`; returns the parts and the index after it.
fn parse_time(b: &[u8], at: usize) -> Option<((u8, u8, u8), u8, usize)> {
    let h = num8(b, at)?;
    let m = num8(b, at + 3)?;
    let s = num8(b, at + 6)?;
    if b.get(at + 2) != Some(&b':') || b.get(at + 5) != Some(&b':') || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut i = at + 8;
    let mut frac = 0u8;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        frac = u8::try_from(i - start).unwrap_or(u8::MAX);
    }
    Some(((h, m, s), frac, i))
}

/// Parses a FHIR date or dateTime; `need_time` demands the full form (instant).
fn parse_date_time(s: &str, allow_time: bool, need_time: bool) -> Option<DateTimeParts> {
    let b = s.as_bytes();
    let year = num(b, 0, 4)?;
    if year == 0 {
        return None;
    }
    let mut parts =
        DateTimeParts { year, month: None, day: None, time: None, fraction_digits: 0, offset_minutes: None };
    if b.len() == 4 {
        return (!need_time).then_some(parts);
    }
    if b.get(4) != Some(&b'-') {
        return None;
    }
    let month = num8(b, 5).filter(|m| (1..=12).contains(m))?;
    parts.month = Some(month);
    if b.len() == 7 {
        return (!need_time).then_some(parts);
    }
    if b.get(7) != Some(&b'-') {
        return None;
    }
    let day = num8(b, 8).filter(|d| (1..=31).contains(d))?;
    parts.day = Some(day);
    if b.len() == 10 {
        return (!need_time).then_some(parts);
    }
    if !allow_time || b.get(10) != Some(&b'T') {
        return None;
    }
    let (time, frac, mut i) = parse_time(b, 11)?;
    parts.time = Some(time);
    parts.fraction_digits = frac;
    match b.get(i) {
        Some(b'Z') => {
            parts.offset_minutes = Some(0);
            i += 1;
        }
        Some(sign @ (b'+' | b'-')) => {
            let oh = num8(b, i + 1)?;
            let om = num8(b, i + 4)?;
            if b.get(i + 3) != Some(&b':') || om > 59 || oh > 14 || (oh == 14 && om > 0) {
                return None;
            }
            let total = i16::from(oh) * 60 + i16::from(om);
            parts.offset_minutes = Some(if *sign == b'-' { -total } else { total });
            i += 6;
        }
        _ => return None,
    }
    (i == b.len()).then_some(parts)
}

macro_rules! lexical_type {
    ($(#[$doc:meta])* $name:ident, $fhir:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The value as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Whether the text matches the FHIR grammar of this type.
            pub fn is_valid(&self) -> bool {
                let check: fn(&str) -> bool = $check;
                check(&self.0)
            }

            /// Wraps text without checking it (validation reports a bad format later).
            pub fn new_unchecked(text: impl Into<String>) -> Self {
                Self(text.into())
            }
        }

        impl FromStr for $name {
            type Err = FormatError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let check: fn(&str) -> bool = $check;
                if check(s) {
                    Ok(Self(s.to_string()))
                } else {
                    Err(FormatError { fhir_type: $fhir })
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                // Any string is accepted here; the format is checked by validation, which can
                // say where the bad value is.
                String::deserialize(d).map(Self)
            }
        }
    };
}

lexical_type!(
    /// A FHIR `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, kept as written.
    ///
    /// ```
    /// use fhir_model::{Date, DateTimePrecision};
    /// let d: Date = "1970-03".parse().unwrap();
    /// assert_eq!(d.parts().unwrap().precision(), DateTimePrecision::Month);
    /// assert!("1970-13".parse::<Date>().is_err());
    /// ```
    Date,
    "date",
    |s| parse_date_time(s, false, false).is_some()
);

lexical_type!(
    /// A FHIR `dateTime`: a partial date, or a full date-time with a time zone, kept as written.
    ///
    /// ```
    /// use fhir_model::{DateTime, DateTimePrecision};
    /// let t: DateTime = "2023-05-01T08:25:31.000-06:00".parse().unwrap();
    /// assert_eq!(t.parts().unwrap().offset_minutes, Some(-360));
    /// assert_eq!("2023".parse::<DateTime>().unwrap().parts().unwrap().precision(), DateTimePrecision::Year);
    /// assert!("2023-05-01T08:25:31".parse::<DateTime>().is_err()); // time needs a zone
    /// ```
    DateTime,
    "dateTime",
    |s| parse_date_time(s, true, false).is_some()
);

lexical_type!(
    /// A FHIR `instant`: a full date-time to the second with a time zone, kept as written.
    ///
    /// ```
    /// use fhir_model::Instant;
    /// assert!("2024-03-19T15:20:30Z".parse::<Instant>().is_ok());
    /// assert!("2024-03-19".parse::<Instant>().is_err());
    /// ```
    Instant,
    "instant",
    |s| parse_date_time(s, true, true).is_some()
);

lexical_type!(
    /// A FHIR `time`: `hh:mm:ss` with optional fraction, kept as written.
    ///
    /// ```
    /// use fhir_model::Time;
    /// assert!("08:30:00".parse::<Time>().is_ok());
    /// assert!("8:30".parse::<Time>().is_err());
    /// ```
    Time,
    "time",
    |s| parse_time(s.as_bytes(), 0).is_some_and(|(_, _, end)| end == s.len())
);

impl Date {
    /// The parsed parts, or `None` when the text is not a valid date.
    pub fn parts(&self) -> Option<DateTimeParts> {
        parse_date_time(&self.0, false, false)
    }
}

impl DateTime {
    /// The parsed parts, or `None` when the text is not a valid dateTime.
    pub fn parts(&self) -> Option<DateTimeParts> {
        parse_date_time(&self.0, true, false)
    }
}

impl Instant {
    /// The parsed parts, or `None` when the text is not a valid instant.
    pub fn parts(&self) -> Option<DateTimeParts> {
        parse_date_time(&self.0, true, true)
    }
}

impl Time {
    /// Hour, minute and second, or `None` when the text is not a valid time.
    pub fn parts(&self) -> Option<(u8, u8, u8)> {
        parse_time(self.0.as_bytes(), 0).filter(|(_, _, end)| *end == self.0.len()).map(|(t, _, _)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_grammar() {
        for ok in ["0", "-0", "1.50", "10", "1e5", "1.0E-3", "-12.000"] {
            assert!(is_decimal(ok), "{ok}");
        }
        for bad in ["", "01", "1.", ".5", "1e", "+1", "1.5.0", "NaN"] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }

    #[test]
    fn date_times() {
        assert!("2024-02-30".parse::<Date>().is_ok(), "day range is 1-31 per the FHIR grammar");
        assert!("0000".parse::<Date>().is_err());
        assert!("2024-03-19T15:20:30+14:00".parse::<DateTime>().is_ok());
        assert!("2024-03-19T15:20:30+14:01".parse::<DateTime>().is_err());
        assert!("2024-03-19T24:00:00Z".parse::<DateTime>().is_err());
        assert!("2024-03-19T15:20Z".parse::<DateTime>().is_err());
        assert!("2024-03-19T15:20:30.Z".parse::<Instant>().is_err());
        let p = "2024-03-19T15:20:30.586-06:00".parse::<Instant>().unwrap().parts().unwrap();
        assert_eq!(
            (p.year, p.month, p.day, p.time, p.fraction_digits),
            (2024, Some(3), Some(19), Some((15, 20, 30)), 3)
        );
        assert!("23:59:60.5".parse::<Time>().is_ok());
        assert!("23:59".parse::<Time>().is_err());
    }
}
