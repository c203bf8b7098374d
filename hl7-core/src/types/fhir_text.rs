//! Rendering dates and times as FHIR `date`, `dateTime`, `instant` and `time` strings, without
//! allocating and without inventing precision or a zone.
//!
//! FHIR requires a zone on every `dateTime` that has a time, and seconds on every time (it allows
//! them zero-filled). So a v2 value with hours and minutes but no offset cannot become a FHIR
//! `dateTime` with a time unless the caller says which zone to assume ([`MissingZone::Assume`]);
//! by default it is truncated to its date and the loss is reported ([`TimeDropped`]).

use core::fmt;

use super::datetime::{Dt, Dtm, Precision, Stamp, Tm, UtcOffset};
use super::error::{TypeError, TypeErrorKind};

/// A short rendered FHIR string held inline (no allocation). `Display` writes it; with `alloc`,
/// `to_string()` gives a `String`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FhirText {
    // Longest: "YYYY-MM-DDThh:mm:ss.fffffffff+hh:mm" = 35 bytes.
    buf: [u8; 40],
    len: u8,
}

impl FhirText {
    fn empty() -> Self {
        FhirText { buf: [0; 40], len: 0 }
    }

    /// The rendered text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(self.buf.get(..usize::from(self.len)).unwrap_or_default()).unwrap_or_default()
    }
}

impl fmt::Write for FhirText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let start = usize::from(self.len);
        let end = start + s.len();
        let slot = self.buf.get_mut(start..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = u8::try_from(end).map_err(|_| fmt::Error)?;
        Ok(())
    }
}

impl fmt::Display for FhirText {
    /// Writes the rendered value (an explicit accessor of content, like `as_str`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for FhirText {
    // Length only (PHI).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FhirText").field("len", &self.len).finish_non_exhaustive()
    }
}

/// What to do when a value has a time but no UTC offset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum MissingZone {
    /// Keep the date only and report [`TimeDropped::TimeWithoutZone`].
    #[default]
    TruncateToDate,
    /// Use this offset (the caller knows the sender's zone); reported by
    /// [`FhirDateTime::zone_assumed`].
    Assume(UtcOffset),
}

/// Why the time of a value was left out of a FHIR `dateTime`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeDropped {
    /// The value has a time but no UTC offset, and no zone was to be assumed.
    TimeWithoutZone,
    /// The value has an hour but no minutes; FHIR has no hour-only time.
    HourWithoutMinutes,
}

/// A FHIR `dateTime` rendered from a v2 value, with what had to change.
///
/// ```
/// use hl7_core::types::{Dtm, MissingZone, TimeDropped, UtcOffset};
/// let t = Dtm::parse(b"202401311230").unwrap();
/// let r = t.to_fhir_date_time(MissingZone::TruncateToDate);
/// assert_eq!(r.as_str(), "2024-01-31");
/// assert_eq!(r.time_dropped(), Some(TimeDropped::TimeWithoutZone));
///
/// let r = t.to_fhir_date_time(MissingZone::Assume(UtcOffset::new(true, 5, 0).unwrap()));
/// assert_eq!(r.as_str(), "2024-01-31T12:30:00-05:00");
/// assert!(r.zone_assumed() && r.seconds_zero_filled());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FhirDateTime {
    text: FhirText,
    time_dropped: Option<TimeDropped>,
    zone_assumed: bool,
    seconds_zero_filled: bool,
}

impl FhirDateTime {
    /// The rendered FHIR `dateTime`.
    pub fn as_str(&self) -> &str {
        self.text.as_str()
    }

    /// The rendered text as a value.
    pub fn text(&self) -> FhirText {
        self.text
    }

    /// Why a time that the v2 value had is not in the output, if it is not.
    pub fn time_dropped(&self) -> Option<TimeDropped> {
        self.time_dropped
    }

    /// Whether the zone came from [`MissingZone::Assume`] rather than from the value.
    pub fn zone_assumed(&self) -> bool {
        self.zone_assumed
    }

    /// Whether `:00` seconds were written for a value sent to the minute (FHIR allows zero-filled
    /// seconds and requires the seconds part).
    pub fn seconds_zero_filled(&self) -> bool {
        self.seconds_zero_filled
    }
}

impl fmt::Debug for FhirDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FhirDateTime")
            .field("time_dropped", &self.time_dropped)
            .field("zone_assumed", &self.zone_assumed)
            .field("seconds_zero_filled", &self.seconds_zero_filled)
            .finish_non_exhaustive()
    }
}

fn write_date(out: &mut FhirText, s: &Stamp, precision: Precision) -> fmt::Result {
    use fmt::Write;
    write!(out, "{:04}", s.parts[0])?;
    if precision >= Precision::Month {
        write!(out, "-{:02}", s.parts[1])?;
    }
    if precision >= Precision::Day {
        write!(out, "-{:02}", s.parts[2])?;
    }
    Ok(())
}

/// `hh:mm:ss[.f…]`; seconds zero-filled when not sent.
fn write_time(out: &mut FhirText, s: &Stamp) -> fmt::Result {
    use fmt::Write;
    write!(out, "{:02}:{:02}:{:02}", s.parts[3], s.parts[4], s.parts[5])?;
    if let Some(f) = s.fraction_str() {
        write!(out, ".{f}")?;
    }
    Ok(())
}

fn write_zone(out: &mut FhirText, z: UtcOffset) -> fmt::Result {
    use fmt::Write;
    let sign = if z.is_negative() { '-' } else { '+' };
    write!(out, "{sign}{:02}:{:02}", z.hours(), z.minutes())
}

fn date_text(s: &Stamp) -> FhirText {
    let mut out = FhirText::empty();
    // The buffer fits the longest output; a write error cannot happen.
    let _ = write_date(&mut out, s, s.precision().min(Precision::Day));
    out
}

impl Dtm {
    /// The date part as a FHIR `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (as precise as sent, up to
    /// the day).
    ///
    /// ```
    /// use hl7_core::types::Dtm;
    /// assert_eq!(Dtm::parse(b"198001").unwrap().to_fhir_date().as_str(), "1980-01");
    /// assert_eq!(Dtm::parse(b"19800115083000").unwrap().to_fhir_date().as_str(), "1980-01-15");
    /// ```
    pub fn to_fhir_date(&self) -> FhirText {
        date_text(self.stamp())
    }

    /// The value as a FHIR `dateTime`. A time is written only when hours and minutes were sent
    /// and a zone is known (from the value, or from `missing_zone`); otherwise the date is kept and
    /// [`FhirDateTime::time_dropped`] says why. See [`FhirDateTime`] for an example.
    pub fn to_fhir_date_time(&self, missing_zone: MissingZone) -> FhirDateTime {
        let s = self.stamp();
        let precision = s.precision();
        let mut r =
            FhirDateTime { text: date_text(s), time_dropped: None, zone_assumed: false, seconds_zero_filled: false };
        if precision <= Precision::Day {
            return r;
        }
        if precision == Precision::Hour {
            r.time_dropped = Some(TimeDropped::HourWithoutMinutes);
            return r;
        }
        let zone = match (s.offset, missing_zone) {
            (Some(z), _) => z,
            (None, MissingZone::Assume(z)) => {
                r.zone_assumed = true;
                z
            }
            (None, MissingZone::TruncateToDate) => {
                r.time_dropped = Some(TimeDropped::TimeWithoutZone);
                return r;
            }
        };
        let mut out = FhirText::empty();
        let written = write_date(&mut out, s, Precision::Day)
            .and_then(|()| fmt::Write::write_str(&mut out, "T"))
            .and_then(|()| write_time(&mut out, s))
            .and_then(|()| write_zone(&mut out, zone));
        if written.is_ok() {
            r.text = out;
            r.seconds_zero_filled = precision == Precision::Minute;
        }
        r
    }

    /// The value as a FHIR `instant` (`YYYY-MM-DDThh:mm:ss[.f…]±hh:mm`): needs seconds
    /// ([`TypeErrorKind::PrecisionTooLow`]) and a zone, from the value or `default_zone`
    /// ([`TypeErrorKind::MissingZone`]). Error offsets are 0.
    ///
    /// ```
    /// use hl7_core::types::{Dtm, TypeErrorKind};
    /// let t = Dtm::parse(b"20240131123005.123+0000").unwrap();
    /// assert_eq!(t.to_fhir_instant(None).unwrap().as_str(), "2024-01-31T12:30:05.123+00:00");
    /// let no_zone = Dtm::parse(b"20240131123005").unwrap();
    /// assert_eq!(no_zone.to_fhir_instant(None).unwrap_err().kind(), TypeErrorKind::MissingZone);
    /// ```
    pub fn to_fhir_instant(&self, default_zone: Option<UtcOffset>) -> Result<FhirText, TypeError> {
        let s = self.stamp();
        if s.precision() < Precision::Second {
            return Err(TypeError::new(TypeErrorKind::PrecisionTooLow, 0));
        }
        let zone = s.offset.or(default_zone).ok_or(TypeError::new(TypeErrorKind::MissingZone, 0))?;
        let mut out = FhirText::empty();
        write_date(&mut out, s, Precision::Day)
            .and_then(|()| fmt::Write::write_str(&mut out, "T"))
            .and_then(|()| write_time(&mut out, s))
            .and_then(|()| write_zone(&mut out, zone))
            .map_err(|_| TypeError::new(TypeErrorKind::InvalidLength, 0))?;
        Ok(out)
    }
}

impl Dt {
    /// The date as a FHIR `date`, as precise as sent.
    ///
    /// ```
    /// use hl7_core::types::Dt;
    /// assert_eq!(Dt::parse(b"2024").unwrap().to_fhir_date().as_str(), "2024");
    /// ```
    pub fn to_fhir_date(&self) -> FhirText {
        date_text(self.stamp())
    }
}

impl Tm {
    /// The time as a FHIR `time` (`hh:mm:ss[.f…]`, no zone: FHIR `time` has none). Needs minutes
    /// ([`TypeErrorKind::PrecisionTooLow`] otherwise); seconds are zero-filled when not sent.
    ///
    /// ```
    /// use hl7_core::types::Tm;
    /// assert_eq!(Tm::parse(b"0830").unwrap().to_fhir_time().unwrap().as_str(), "08:30:00");
    /// assert!(Tm::parse(b"08").unwrap().to_fhir_time().is_err());
    /// ```
    pub fn to_fhir_time(&self) -> Result<FhirText, TypeError> {
        let s = self.stamp();
        if s.precision() < Precision::Minute {
            return Err(TypeError::new(TypeErrorKind::PrecisionTooLow, 0));
        }
        let mut out = FhirText::empty();
        write_time(&mut out, s).map_err(|_| TypeError::new(TypeErrorKind::InvalidLength, 0))?;
        Ok(out)
    }
}
