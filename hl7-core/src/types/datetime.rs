//! Dates and times: DTM (and the TS that wraps it), DT, TM, DR.
//!
//! Values keep the precision they were sent with (a year stays a year), their fractional second as
//! written (up to 9 digits), and their UTC offset when one was sent (none is ever assumed).
//!
//! Accepted grammar (HL7 v2.5+ DTM): `YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-ZZZZ]`. The standard allows
//! 1–4 fraction digits; 5–9 are accepted too (senders emit microseconds) and kept, 10 or more are
//! refused ([`TypeErrorKind::FractionTooLong`]). A fraction needs seconds before it. The offset is
//! exactly four digits, within −14:00..+14:00, and may follow any precision (the standard allows
//! `YYYYMM-0500`). Nothing else is accepted: no `Z`, no `T`, no dashes, no spaces.

use core::fmt;

use super::composite::{composite, parts};
use super::error::{check_present, TypeError, TypeErrorKind};
use crate::path::Value;

/// How much of a date/time value was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    /// `YYYY`.
    Year,
    /// `YYYYMM`.
    Month,
    /// `YYYYMMDD`.
    Day,
    /// `…HH`.
    Hour,
    /// `…HHMM`.
    Minute,
    /// `…HHMMSS`.
    Second,
    /// `…HHMMSS.S…`.
    Fraction,
}

/// A UTC offset as sent (`+HHMM` / `-HHMM`); the sign is kept, so `-0000` stays distinct from
/// `+0000`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UtcOffset {
    negative: bool,
    hours: u8,
    minutes: u8,
}

impl UtcOffset {
    /// An offset of `hours`:`minutes` east (`negative == false`) or west of UTC; `None` outside
    /// −14:00..+14:00 or with minutes above 59.
    ///
    /// ```
    /// use hl7_core::types::UtcOffset;
    /// assert_eq!(UtcOffset::new(true, 5, 0).unwrap().total_minutes(), -300);
    /// assert!(UtcOffset::new(false, 15, 0).is_none());
    /// ```
    pub fn new(negative: bool, hours: u8, minutes: u8) -> Option<UtcOffset> {
        let ok = minutes <= 59 && (hours < 14 || (hours == 14 && minutes == 0));
        ok.then_some(UtcOffset { negative, hours, minutes })
    }

    /// UTC itself, written `+0000`.
    pub const UTC: UtcOffset = UtcOffset { negative: false, hours: 0, minutes: 0 };

    /// Whether the offset was written with `-`.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Hours part, 0–14.
    pub fn hours(&self) -> u8 {
        self.hours
    }

    /// Minutes part, 0–59.
    pub fn minutes(&self) -> u8 {
        self.minutes
    }

    /// Signed minutes east of UTC.
    pub fn total_minutes(&self) -> i16 {
        let m = i16::from(self.hours) * 60 + i16::from(self.minutes);
        if self.negative {
            -m
        } else {
            m
        }
    }
}

/// The digits and offset of any date/time value, as read.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Stamp {
    /// Year (or 0 for a TM), month, day, hour, minute, second; only the first `groups` are sent.
    pub(crate) parts: [u16; 6],
    /// Index of the first part (0 for DTM/DT, 3 for TM).
    first: u8,
    /// Number of parts read.
    groups: u8,
    pub(crate) fraction: [u8; 9],
    pub(crate) fraction_len: u8,
    pub(crate) offset: Option<UtcOffset>,
}

/// Which grammar a value is read with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Grammar {
    DateTime,
    Date,
    Time,
}

/// Digit width of year, month, day, hour, minute, second.
const WIDTHS: [usize; 6] = [4, 2, 2, 2, 2, 2];

fn is_leap(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(crate) fn days_in_month(year: u16, month: u16) -> u16 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn decimal(digits: &[u8]) -> u16 {
    digits.iter().fold(0u16, |acc, &b| acc.saturating_mul(10).saturating_add(u16::from(b.wrapping_sub(b'0'))))
}

fn digit_run(bytes: &[u8], from: usize) -> usize {
    bytes.get(from..).unwrap_or_default().iter().take_while(|b| b.is_ascii_digit()).count()
}

impl Stamp {
    fn read(bytes: &[u8], grammar: Grammar) -> Result<Stamp, TypeError> {
        check_present(bytes)?;
        let err = |kind, at| Err(TypeError::new(kind, at));
        let (first, last) = match grammar {
            Grammar::DateTime => (0usize, 6usize),
            Grammar::Date => (0, 3),
            Grammar::Time => (3, 6),
        };
        let run = digit_run(bytes, 0);
        if run == 0 {
            return err(TypeErrorKind::InvalidCharacter, 0);
        }
        let mut stamp = Stamp {
            parts: [0; 6],
            first: u8::try_from(first).unwrap_or(0),
            groups: 0,
            fraction: [0; 9],
            fraction_len: 0,
            offset: None,
        };
        let mut pos = 0usize;
        for i in first..last {
            if pos == run {
                break;
            }
            let width = WIDTHS.get(i).copied().unwrap_or(2);
            if run < pos + width {
                return err(TypeErrorKind::InvalidLength, pos);
            }
            let value = decimal(bytes.get(pos..pos + width).unwrap_or_default());
            let kind = match i {
                0 if value == 0 => Some(TypeErrorKind::YearOutOfRange),
                1 if !(1..=12).contains(&value) => Some(TypeErrorKind::MonthOutOfRange),
                2 if value == 0 || value > days_in_month(stamp.parts[0], stamp.parts[1]) => {
                    Some(TypeErrorKind::DayOutOfRange)
                }
                3 if value > 23 => Some(TypeErrorKind::HourOutOfRange),
                4 if value > 59 => Some(TypeErrorKind::MinuteOutOfRange),
                5 if value > 59 => Some(TypeErrorKind::SecondOutOfRange),
                _ => None,
            };
            if let Some(kind) = kind {
                return err(kind, pos);
            }
            if let Some(slot) = stamp.parts.get_mut(i) {
                *slot = value;
            }
            stamp.groups += 1;
            pos += width;
        }
        if pos < run {
            // More digits than the grammar has parts.
            return err(TypeErrorKind::InvalidLength, pos);
        }
        if bytes.get(pos) == Some(&b'.') && grammar != Grammar::Date {
            if usize::from(stamp.first) + usize::from(stamp.groups) != 6 {
                return err(TypeErrorKind::InvalidCharacter, pos);
            }
            let digits = digit_run(bytes, pos + 1);
            if digits == 0 {
                return err(TypeErrorKind::InvalidLength, pos + 1);
            }
            if digits > stamp.fraction.len() {
                return err(TypeErrorKind::FractionTooLong, pos + 1);
            }
            let src = bytes.get(pos + 1..pos + 1 + digits).unwrap_or_default();
            for (slot, &b) in stamp.fraction.iter_mut().zip(src) {
                *slot = b;
            }
            stamp.fraction_len = u8::try_from(digits).unwrap_or(0);
            pos += 1 + digits;
        }
        if let Some(&sign @ (b'+' | b'-')) = bytes.get(pos) {
            if grammar == Grammar::Date {
                return err(TypeErrorKind::InvalidCharacter, pos);
            }
            if digit_run(bytes, pos + 1) != 4 {
                return err(TypeErrorKind::InvalidLength, pos);
            }
            let hours = decimal(bytes.get(pos + 1..pos + 3).unwrap_or_default());
            let minutes = decimal(bytes.get(pos + 3..pos + 5).unwrap_or_default());
            let offset = u8::try_from(hours)
                .ok()
                .zip(u8::try_from(minutes).ok())
                .and_then(|(h, m)| UtcOffset::new(sign == b'-', h, m));
            match offset {
                Some(o) => stamp.offset = Some(o),
                None => return err(TypeErrorKind::OffsetOutOfRange, pos),
            }
            pos += 5;
        }
        if pos < bytes.len() {
            return err(TypeErrorKind::InvalidCharacter, pos);
        }
        Ok(stamp)
    }

    fn part(&self, i: usize) -> Option<u16> {
        let sent = i >= usize::from(self.first) && i < usize::from(self.first) + usize::from(self.groups);
        sent.then(|| self.parts.get(i).copied()).flatten()
    }

    fn part_u8(&self, i: usize) -> Option<u8> {
        self.part(i).and_then(|v| u8::try_from(v).ok())
    }

    pub(crate) fn precision(&self) -> Precision {
        if self.fraction_len > 0 {
            return Precision::Fraction;
        }
        match usize::from(self.first) + usize::from(self.groups) {
            0 | 1 => Precision::Year,
            2 => Precision::Month,
            3 => Precision::Day,
            4 => Precision::Hour,
            5 => Precision::Minute,
            _ => Precision::Second,
        }
    }

    pub(crate) fn fraction_str(&self) -> Option<&str> {
        let digits = self.fraction.get(..usize::from(self.fraction_len))?;
        if digits.is_empty() {
            return None;
        }
        core::str::from_utf8(digits).ok()
    }
}

/// A DTM (date/time) value, HL7 v2.5+; also the first component of the older TS.
///
/// ```
/// use hl7_core::types::{Dtm, Precision};
/// let t = Dtm::parse(b"20240229123000.25-0500").unwrap();
/// assert_eq!((t.year(), t.month(), t.day()), (2024, Some(2), Some(29)));
/// assert_eq!(t.precision(), Precision::Fraction);
/// assert_eq!(t.fraction(), Some("25"));
/// assert_eq!(t.offset().unwrap().total_minutes(), -300);
/// assert_eq!(Dtm::parse(b"2024").unwrap().precision(), Precision::Year);
/// assert!(Dtm::parse(b"20230229").is_err()); // not a leap year
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dtm {
    stamp: Stamp,
}

impl Dtm {
    /// Parses a DTM from raw bytes; error offsets are relative to `bytes`.
    pub fn parse(bytes: &[u8]) -> Result<Dtm, TypeError> {
        Stamp::read(bytes, Grammar::DateTime).map(|stamp| Dtm { stamp })
    }

    /// Parses a DTM from a message value (a field, component…); error offsets are message offsets.
    ///
    /// ```
    /// use hl7_core::{Message, types::Dtm};
    /// let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|20241301").unwrap();
    /// let err = Dtm::from_value(msg.segment(b"MSH").unwrap().field(7).unwrap()).unwrap_err();
    /// assert_eq!(err.offset(), 21);
    /// ```
    pub fn from_value<'a>(value: impl Into<Value<'a>>) -> Result<Dtm, TypeError> {
        let v = value.into();
        Dtm::parse(v.as_bytes()).map_err(|e| e.shifted(v.offset()))
    }

    /// How much was sent.
    pub fn precision(&self) -> Precision {
        self.stamp.precision()
    }

    /// The year (always present).
    pub fn year(&self) -> u16 {
        self.stamp.parts[0]
    }

    /// The month, 1–12, when sent.
    pub fn month(&self) -> Option<u8> {
        self.stamp.part_u8(1)
    }

    /// The day of the month, when sent.
    pub fn day(&self) -> Option<u8> {
        self.stamp.part_u8(2)
    }

    /// The hour, 0–23, when sent.
    pub fn hour(&self) -> Option<u8> {
        self.stamp.part_u8(3)
    }

    /// The minute, when sent.
    pub fn minute(&self) -> Option<u8> {
        self.stamp.part_u8(4)
    }

    /// The second, when sent.
    pub fn second(&self) -> Option<u8> {
        self.stamp.part_u8(5)
    }

    /// The fractional-second digits as written (`"0000"` stays `"0000"`), when sent.
    pub fn fraction(&self) -> Option<&str> {
        self.stamp.fraction_str()
    }

    /// The UTC offset, when sent (never assumed).
    pub fn offset(&self) -> Option<UtcOffset> {
        self.stamp.offset
    }

    /// The date part alone.
    pub fn date(&self) -> Dt {
        let mut stamp = self.stamp;
        stamp.groups = stamp.groups.min(3);
        stamp.fraction_len = 0;
        stamp.offset = None;
        Dt { stamp }
    }
}

impl fmt::Debug for Dtm {
    // Precision only: a date can be a date of birth (PHI).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dtm")
            .field("precision", &self.precision())
            .field("has_offset", &self.offset().is_some())
            .finish()
    }
}

/// A DT (date) value: `YYYY[MM[DD]]`.
///
/// ```
/// use hl7_core::types::{Dt, Precision, TypeErrorKind};
/// assert_eq!(Dt::parse(b"202402").unwrap().precision(), Precision::Month);
/// assert_eq!(Dt::parse(b"2024021012").unwrap_err().kind(), TypeErrorKind::InvalidLength);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dt {
    stamp: Stamp,
}

impl Dt {
    /// Parses a DT from raw bytes; error offsets are relative to `bytes`.
    pub fn parse(bytes: &[u8]) -> Result<Dt, TypeError> {
        Stamp::read(bytes, Grammar::Date).map(|stamp| Dt { stamp })
    }

    /// Parses a DT from a message value; error offsets are message offsets.
    pub fn from_value<'a>(value: impl Into<Value<'a>>) -> Result<Dt, TypeError> {
        let v = value.into();
        Dt::parse(v.as_bytes()).map_err(|e| e.shifted(v.offset()))
    }

    /// How much was sent: year, month or day.
    pub fn precision(&self) -> Precision {
        self.stamp.precision()
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.stamp.parts[0]
    }

    /// The month, when sent.
    pub fn month(&self) -> Option<u8> {
        self.stamp.part_u8(1)
    }

    /// The day, when sent.
    pub fn day(&self) -> Option<u8> {
        self.stamp.part_u8(2)
    }
}

impl fmt::Debug for Dt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dt").field("precision", &self.precision()).finish()
    }
}

/// A TM (time) value: `HH[MM[SS[.S…]]][+/-ZZZZ]`.
///
/// ```
/// use hl7_core::types::{Tm, Precision};
/// let t = Tm::parse(b"0830+0100").unwrap();
/// assert_eq!((t.hour(), t.minute(), t.second()), (8, Some(30), None));
/// assert_eq!(t.precision(), Precision::Minute);
/// assert!(Tm::parse(b"2400").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tm {
    stamp: Stamp,
}

impl Tm {
    /// Parses a TM from raw bytes; error offsets are relative to `bytes`.
    pub fn parse(bytes: &[u8]) -> Result<Tm, TypeError> {
        Stamp::read(bytes, Grammar::Time).map(|stamp| Tm { stamp })
    }

    /// Parses a TM from a message value; error offsets are message offsets.
    pub fn from_value<'a>(value: impl Into<Value<'a>>) -> Result<Tm, TypeError> {
        let v = value.into();
        Tm::parse(v.as_bytes()).map_err(|e| e.shifted(v.offset()))
    }

    /// How much was sent: hour, minute, second or fraction.
    pub fn precision(&self) -> Precision {
        self.stamp.precision()
    }

    /// The hour, 0–23.
    pub fn hour(&self) -> u8 {
        self.stamp.part_u8(3).unwrap_or(0)
    }

    /// The minute, when sent.
    pub fn minute(&self) -> Option<u8> {
        self.stamp.part_u8(4)
    }

    /// The second, when sent.
    pub fn second(&self) -> Option<u8> {
        self.stamp.part_u8(5)
    }

    /// The fractional-second digits as written, when sent.
    pub fn fraction(&self) -> Option<&str> {
        self.stamp.fraction_str()
    }

    /// The UTC offset, when sent.
    pub fn offset(&self) -> Option<UtcOffset> {
        self.stamp.offset
    }
}

impl fmt::Debug for Tm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tm")
            .field("precision", &self.precision())
            .field("has_offset", &self.offset().is_some())
            .finish()
    }
}

composite!(
    /// TS (time stamp, before v2.6): DTM `^` degree of precision (deprecated). From v2.6 the field
    /// is a plain DTM, which reads the same through [`Ts::time`].
    ///
    /// ```
    /// use hl7_core::{Message, types::Ts};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||||||198001011230^M").unwrap();
    /// let ts = Ts::from_field(msg.segment(b"PID").unwrap().field(7).unwrap());
    /// assert_eq!(ts.time().unwrap().unwrap().minute(), Some(30));
    /// assert_eq!(ts.degree_of_precision().unwrap().as_bytes(), b"M");
    /// ```
    Ts,
    "TS"
);

impl<'a> Ts<'a> {
    parts! {
        /// TS.1 time (DTM).
        1 => time: dtm,
        /// TS.2 degree of precision (ID, table 0529; deprecated since v2.3).
        2 => degree_of_precision: text,
    }
}

composite!(
    /// DR (date/time range): range start `^` range end, each a TS (so a DTM in subcomponents).
    Dr,
    "DR"
);

impl<'a> Dr<'a> {
    parts! {
        /// DR.1 range start date/time (TS).
        1 => range_start: (nested Ts),
        /// DR.2 range end date/time (TS).
        2 => range_end: (nested Ts),
    }
}
