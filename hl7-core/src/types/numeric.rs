//! Numbers: NM (lexical form kept), SN, CQ, MO, CP.
//!
//! NM grammar: optional `+`/`-`, digits, optional `.` and digits, at least one digit in all
//! (`1`, `-1.50`, `.5`, `5.`). No exponent, no spaces, no thousands separators. Any length is
//! accepted as text; conversions to machine numbers report overflow as a [`TypeError`].

use core::fmt;

use super::coded::Cwe;
use super::composite::{composite, parts};
use super::error::{check_present, TypeError, TypeErrorKind};
use crate::path::Value;

/// An NM (numeric) value, borrowed as written: `"1.50"` stays `"1.50"`.
///
/// ```
/// use hl7_core::types::Nm;
/// let n = Nm::parse(b"+001.50").unwrap();
/// assert_eq!(n.as_str(), "+001.50");
/// assert_eq!(n.to_f64().unwrap(), 1.5);
/// assert!(!n.is_integer());
/// assert!(Nm::parse(b"1e5").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nm<'a> {
    text: &'a [u8],
    offset: usize,
    /// Index of the first digit after the sign.
    digits_at: u8,
    /// Position of the decimal point, when there is one.
    point: Option<usize>,
}

impl<'a> Nm<'a> {
    /// Validates an NM; error offsets are relative to `bytes`, and [`Nm::offset`] is 0.
    pub fn parse(bytes: &'a [u8]) -> Result<Nm<'a>, TypeError> {
        check_present(bytes)?;
        let digits_at = u8::from(matches!(bytes.first(), Some(b'+' | b'-')));
        let mut point = None;
        let mut digits = 0usize;
        for (i, &b) in bytes.iter().enumerate().skip(usize::from(digits_at)) {
            match b {
                b'0'..=b'9' => digits += 1,
                b'.' if point.is_none() => point = Some(i),
                _ => return Err(TypeError::new(TypeErrorKind::InvalidCharacter, i)),
            }
        }
        if digits == 0 {
            return Err(TypeError::new(TypeErrorKind::InvalidLength, 0));
        }
        Ok(Nm { text: bytes, offset: 0, digits_at, point })
    }

    /// Validates an NM read from a message value; error offsets and [`Nm::offset`] are message
    /// offsets.
    pub fn from_value(value: impl Into<Value<'a>>) -> Result<Nm<'a>, TypeError> {
        let v = value.into();
        let mut nm = Nm::parse(v.as_bytes()).map_err(|e| e.shifted(v.offset()))?;
        nm.offset = v.offset();
        Ok(nm)
    }

    /// The number as written.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.text
    }

    /// The number as written (NM is ASCII).
    pub fn as_str(&self) -> &'a str {
        core::str::from_utf8(self.text).unwrap_or_default()
    }

    /// Byte offset of the number (0 when parsed from a bare slice).
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Whether written with a leading `-` (also for `-0`).
    pub fn is_negative(&self) -> bool {
        self.text.first() == Some(&b'-')
    }

    /// The digits before the decimal point, as written (may be empty: `.5`).
    pub fn integer_digits(&self) -> &'a [u8] {
        let end = self.point.unwrap_or(self.text.len());
        self.text.get(usize::from(self.digits_at)..end).unwrap_or_default()
    }

    /// The digits after the decimal point, as written (empty when there are none).
    pub fn fraction_digits(&self) -> &'a [u8] {
        self.point.and_then(|p| self.text.get(p + 1..)).unwrap_or_default()
    }

    /// Whether the value is a whole number (`12`, `12.`, `12.00`).
    pub fn is_integer(&self) -> bool {
        self.fraction_digits().iter().all(|&b| b == b'0')
    }

    /// The nearest `f64`. [`TypeErrorKind::NumberOutOfRange`] when the magnitude is beyond `f64`
    /// (a 400-digit integer); tiny values round to zero.
    pub fn to_f64(&self) -> Result<f64, TypeError> {
        // The grammar checked above is a subset of what `f64::from_str` reads.
        let v: f64 = self.as_str().parse().map_err(|_| TypeError::new(TypeErrorKind::InvalidCharacter, self.offset))?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(TypeError::new(TypeErrorKind::NumberOutOfRange, self.offset))
        }
    }

    /// The value as `i64`: [`TypeErrorKind::NotAnInteger`] with a non-zero fraction,
    /// [`TypeErrorKind::NumberOutOfRange`] beyond `i64`.
    ///
    /// ```
    /// use hl7_core::types::{Nm, TypeErrorKind};
    /// assert_eq!(Nm::parse(b"-42.0").unwrap().to_i64().unwrap(), -42);
    /// assert_eq!(Nm::parse(b"99999999999999999999").unwrap().to_i64().unwrap_err().kind(), TypeErrorKind::NumberOutOfRange);
    /// ```
    pub fn to_i64(&self) -> Result<i64, TypeError> {
        if !self.is_integer() {
            return Err(TypeError::new(TypeErrorKind::NotAnInteger, self.offset));
        }
        let out_of_range = TypeError::new(TypeErrorKind::NumberOutOfRange, self.offset);
        let negative = self.is_negative();
        let mut acc: i64 = 0;
        for &b in self.integer_digits() {
            let d = i64::from(b - b'0');
            // Accumulate towards the sign so that i64::MIN is reachable.
            acc = acc.checked_mul(10).ok_or(out_of_range)?;
            acc = if negative { acc.checked_sub(d) } else { acc.checked_add(d) }.ok_or(out_of_range)?;
        }
        Ok(acc)
    }
}

impl fmt::Debug for Nm<'_> {
    // Shape only (PHI).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nm").field("offset", &self.offset).field("len", &self.text.len()).finish()
    }
}

/// SN.1 comparator (the standard's values; `=` is also written when omitted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Comparator {
    /// `>`
    Greater,
    /// `<`
    Less,
    /// `>=`
    GreaterOrEqual,
    /// `<=`
    LessOrEqual,
    /// `=`
    Equal,
    /// `<>`
    NotEqual,
}

impl Comparator {
    /// Reads a comparator; `None` for anything else.
    pub fn from_bytes(b: &[u8]) -> Option<Comparator> {
        Some(match b {
            b">" => Comparator::Greater,
            b"<" => Comparator::Less,
            b">=" => Comparator::GreaterOrEqual,
            b"<=" => Comparator::LessOrEqual,
            b"=" => Comparator::Equal,
            b"<>" => Comparator::NotEqual,
            _ => return None,
        })
    }

    /// The comparator as the standard writes it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Comparator::Greater => ">",
            Comparator::Less => "<",
            Comparator::GreaterOrEqual => ">=",
            Comparator::LessOrEqual => "<=",
            Comparator::Equal => "=",
            Comparator::NotEqual => "<>",
        }
    }
}

/// SN.3 separator/suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SnSeparator {
    /// `-`: a range (num1 to num2).
    Range,
    /// `+`: a suffix, "num1 or more" (categorical, e.g. `2^+`).
    Plus,
    /// `/`: a ratio.
    Ratio,
    /// `:`: a ratio (titres, `1:128`).
    Colon,
    /// `.`: a decimal-like separator (e.g. a decimal outside NM, or parts of a score).
    Dot,
}

impl SnSeparator {
    /// Reads a separator; `None` for anything else.
    pub fn from_bytes(b: &[u8]) -> Option<SnSeparator> {
        Some(match b {
            b"-" => SnSeparator::Range,
            b"+" => SnSeparator::Plus,
            b"/" => SnSeparator::Ratio,
            b":" => SnSeparator::Colon,
            b"." => SnSeparator::Dot,
            _ => return None,
        })
    }
}

fn code<T>(v: Value<'_>, read: fn(&[u8]) -> Option<T>) -> Result<T, TypeError> {
    read(v.as_bytes()).ok_or(TypeError::new(TypeErrorKind::UnknownCode, v.offset()))
}

composite!(
    /// SN (structured numeric): comparator `^` num1 `^` separator/suffix `^` num2.
    ///
    /// ```
    /// use hl7_core::{Message, types::{Sn, Comparator, SnSeparator}};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1|SN|x||>=^10\rOBX|2|SN|y||^1^:^128\r").unwrap();
    /// let sn = Sn::from_field(msg.segment(b"OBX").unwrap().field(5).unwrap());
    /// assert_eq!(sn.comparator().unwrap().unwrap(), Comparator::GreaterOrEqual);
    /// assert_eq!(sn.num1().unwrap().unwrap().as_str(), "10");
    /// let titre = Sn::from_field(msg.segment_nth(b"OBX", 2).unwrap().field(5).unwrap());
    /// assert_eq!(titre.separator_suffix().unwrap().unwrap(), SnSeparator::Colon);
    /// ```
    Sn,
    "SN"
);

impl<'a> Sn<'a> {
    /// SN.1 comparator; `Some(Err(UnknownCode))` for a value outside `> < >= <= = <>`.
    pub fn comparator(&self) -> Option<Result<Comparator, TypeError>> {
        self.inner.part(1).map(|v| code(v, Comparator::from_bytes))
    }

    parts! {
        /// SN.2 num1 (NM).
        2 => num1: nm,
        /// SN.4 num2 (NM).
        4 => num2: nm,
    }

    /// SN.3 separator/suffix; `Some(Err(UnknownCode))` for a value outside `- + / : .`.
    pub fn separator_suffix(&self) -> Option<Result<SnSeparator, TypeError>> {
        self.inner.part(3).map(|v| code(v, SnSeparator::from_bytes))
    }
}

composite!(
    /// CQ (composite quantity with units): quantity `^` units (CWE from v2.6, CE before).
    ///
    /// ```
    /// use hl7_core::{Message, types::Cq};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rTQ1|1|2^mg&milligram&UCUM\r").unwrap();
    /// let cq = Cq::from_field(msg.segment(b"TQ1").unwrap().field(2).unwrap());
    /// assert_eq!(cq.quantity().unwrap().unwrap().as_str(), "2");
    /// assert_eq!(cq.units().unwrap().identifier().unwrap().as_bytes(), b"mg");
    /// ```
    Cq,
    "CQ"
);

impl<'a> Cq<'a> {
    parts! {
        /// CQ.1 quantity (NM).
        1 => quantity: nm,
        /// CQ.2 units (CWE/CE, in subcomponents).
        2 => units: (nested Cwe),
    }
}

composite!(
    /// MO (money): quantity `^` denomination (ISO 4217 currency code).
    ///
    /// ```
    /// use hl7_core::{Message, types::Mo};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rFT1|1||||||||||12.50^USD\r").unwrap();
    /// let mo = Mo::from_field(msg.segment(b"FT1").unwrap().field(11).unwrap());
    /// assert_eq!(mo.quantity().unwrap().unwrap().as_str(), "12.50");
    /// assert_eq!(mo.denomination().unwrap().as_bytes(), b"USD");
    /// ```
    Mo,
    "MO"
);

impl<'a> Mo<'a> {
    parts! {
        /// MO.1 quantity (NM).
        1 => quantity: nm,
        /// MO.2 denomination (ID, ISO 4217).
        2 => denomination: text,
    }
}

composite!(
    /// CP (composite price): price (MO, in subcomponents) `^` price type `^` from value `^` to value
    /// `^` range units `^` range type.
    ///
    /// ```
    /// use hl7_core::{Message, types::Cp};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rCDM|1|x||||||||||12.5&USD^UP\r").unwrap();
    /// let cp = Cp::from_field(msg.segment(b"CDM").unwrap().field(12).unwrap());
    /// assert_eq!(cp.price().unwrap().denomination().unwrap().as_bytes(), b"USD");
    /// assert_eq!(cp.price_type().unwrap().as_bytes(), b"UP");
    /// ```
    Cp,
    "CP"
);

impl<'a> Cp<'a> {
    parts! {
        /// CP.1 price (MO).
        1 => price: (nested Mo),
        /// CP.2 price type (ID, table 0205).
        2 => price_type: text,
        /// CP.3 from value (NM).
        3 => range_from: nm,
        /// CP.4 to value (NM).
        4 => range_to: nm,
        /// CP.5 range units (CWE/CE).
        5 => range_units: (nested Cwe),
        /// CP.6 range type (ID, table 0298).
        6 => range_type: text,
    }
}
