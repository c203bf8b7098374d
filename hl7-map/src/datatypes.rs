//! The IG's datatype maps for scalars: v2 DTM/DT/TM → FHIR `date`, `dateTime`, `instant`, `time`, and
//! NM → `decimal`, rendered without allocating and without inventing precision or a zone.
//!
//! FHIR requires a zone on every `dateTime` that has a time, and seconds on every time (it allows
//! them zero-filled). So a v2 value with hours and minutes but no offset cannot become a FHIR
//! `dateTime` with a time unless the caller says which zone to assume ([`MissingZone::Assume`]);
//! by default it is truncated to its date and the loss is reported ([`TimeDropped`]).
//!
//! The renderings are extension traits on hl7-core's datatype views, so that a value reads as it is
//! mapped: `dtm.to_fhir_date_time(..)`.
//!
//! ```
//! use hl7_core::types::{Dtm, Nm};
//! use hl7_map::datatypes::{MissingZone, ToFhirDate, ToFhirDateTime, ToFhirDecimal};
//!
//! let sent = Dtm::parse(b"20240131093000-0500")?;
//! assert_eq!(sent.to_fhir_date().as_str(), "2024-01-31");
//! assert_eq!(sent.to_fhir_date_time(MissingZone::TruncateToDate).as_str(), "2024-01-31T09:30:00-05:00");
//! assert_eq!(Nm::parse(b"+007.10")?.to_fhir_decimal().to_string(), "7.10");
//! # Ok::<(), hl7_core::types::TypeError>(())
//! ```

use core::fmt;

use hl7_core::types::{Dt, Dtm, Nm, Precision, Tm, TypeError, TypeErrorKind, UtcOffset};

/// A short rendered FHIR string held inline (no allocation). `Display` writes it; `to_string()`
/// gives a `String`.
///
/// ```
/// use hl7_map::datatypes::ToFhirDate;
/// let text = hl7_core::types::Dt::parse(b"202402")?.to_fhir_date();
/// assert_eq!(text.as_str(), "2024-02");
/// assert_eq!(format!("{text:?}"), "FhirText { len: 7, .. }");
/// # Ok::<(), hl7_core::types::TypeError>(())
/// ```
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
    ///
    /// ```
    /// use hl7_map::datatypes::ToFhirTime;
    /// assert_eq!(hl7_core::types::Tm::parse(b"0830")?.to_fhir_time()?.as_str(), "08:30:00");
    /// # Ok::<(), hl7_core::types::TypeError>(())
    /// ```
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
/// use hl7_core::types::{Dtm, UtcOffset};
/// use hl7_map::datatypes::{MissingZone, TimeDropped, ToFhirDateTime};
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

/// The calendar and clock parts of a value, as the three v2 types expose them.
#[derive(Clone, Copy)]
struct Parts<'v> {
    date: [u16; 3],
    time: [u8; 3],
    fraction: Option<&'v str>,
    offset: Option<UtcOffset>,
    precision: Precision,
}

impl<'v> Parts<'v> {
    fn of_dtm(t: &'v Dtm) -> Self {
        Parts {
            date: [t.year(), t.month().map_or(0, u16::from), t.day().map_or(0, u16::from)],
            time: [t.hour().unwrap_or(0), t.minute().unwrap_or(0), t.second().unwrap_or(0)],
            fraction: t.fraction(),
            offset: t.offset(),
            precision: t.precision(),
        }
    }

    fn of_dt(d: &Dt) -> Self {
        Parts {
            date: [d.year(), d.month().map_or(0, u16::from), d.day().map_or(0, u16::from)],
            time: [0; 3],
            fraction: None,
            offset: None,
            precision: d.precision(),
        }
    }

    fn of_tm(t: &'v Tm) -> Self {
        Parts {
            date: [0; 3],
            time: [t.hour(), t.minute().unwrap_or(0), t.second().unwrap_or(0)],
            fraction: t.fraction(),
            offset: t.offset(),
            precision: t.precision(),
        }
    }
}

fn write_date(out: &mut FhirText, p: &Parts<'_>, precision: Precision) -> fmt::Result {
    use fmt::Write;
    let [year, month, day] = p.date;
    write!(out, "{year:04}")?;
    if precision >= Precision::Month {
        write!(out, "-{month:02}")?;
    }
    if precision >= Precision::Day {
        write!(out, "-{day:02}")?;
    }
    Ok(())
}

/// `hh:mm:ss[.f…]`; seconds zero-filled when not sent.
fn write_time(out: &mut FhirText, p: &Parts<'_>) -> fmt::Result {
    use fmt::Write;
    let [hour, minute, second] = p.time;
    write!(out, "{hour:02}:{minute:02}:{second:02}")?;
    if let Some(f) = p.fraction {
        write!(out, ".{f}")?;
    }
    Ok(())
}

fn write_zone(out: &mut FhirText, z: UtcOffset) -> fmt::Result {
    use fmt::Write;
    let sign = if z.is_negative() { '-' } else { '+' };
    write!(out, "{sign}{:02}:{:02}", z.hours(), z.minutes())
}

fn date_text(p: &Parts<'_>) -> FhirText {
    let mut out = FhirText::empty();
    // The buffer fits the longest output; a write error cannot happen.
    let _ = write_date(&mut out, p, p.precision.min(Precision::Day));
    out
}

/// The FHIR `date` rendering (IG datatype maps DTM → date, DT → date).
pub trait ToFhirDate {
    /// The date part as a FHIR `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (as precise as sent, up to
    /// the day).
    ///
    /// ```
    /// use hl7_core::types::{Dt, Dtm};
    /// use hl7_map::datatypes::ToFhirDate;
    /// assert_eq!(Dtm::parse(b"198001").unwrap().to_fhir_date().as_str(), "1980-01");
    /// assert_eq!(Dtm::parse(b"19800115083000").unwrap().to_fhir_date().as_str(), "1980-01-15");
    /// assert_eq!(Dt::parse(b"2024").unwrap().to_fhir_date().as_str(), "2024");
    /// ```
    fn to_fhir_date(&self) -> FhirText;
}

impl ToFhirDate for Dtm {
    fn to_fhir_date(&self) -> FhirText {
        date_text(&Parts::of_dtm(self))
    }
}

impl ToFhirDate for Dt {
    fn to_fhir_date(&self) -> FhirText {
        date_text(&Parts::of_dt(self))
    }
}

/// The FHIR `dateTime` and `instant` renderings of a DTM (IG datatype maps DTM → dateTime,
/// DTM → instant).
pub trait ToFhirDateTime {
    /// The value as a FHIR `dateTime`. A time is written only when hours and minutes were sent
    /// and a zone is known (from the value, or from `missing_zone`); otherwise the date is kept and
    /// [`FhirDateTime::time_dropped`] says why. See [`FhirDateTime`] for an example.
    fn to_fhir_date_time(&self, missing_zone: MissingZone) -> FhirDateTime;

    /// The value as a FHIR `instant` (`YYYY-MM-DDThh:mm:ss[.f…]±hh:mm`): needs seconds
    /// ([`TypeErrorKind::PrecisionTooLow`]) and a zone, from the value or `default_zone`
    /// ([`TypeErrorKind::MissingZone`]). Error offsets are 0.
    ///
    /// ```
    /// use hl7_core::types::{Dtm, TypeErrorKind};
    /// use hl7_map::datatypes::ToFhirDateTime;
    /// let t = Dtm::parse(b"20240131123005.123+0000").unwrap();
    /// assert_eq!(t.to_fhir_instant(None).unwrap().as_str(), "2024-01-31T12:30:05.123+00:00");
    /// let no_zone = Dtm::parse(b"20240131123005").unwrap();
    /// assert_eq!(no_zone.to_fhir_instant(None).unwrap_err().kind(), TypeErrorKind::MissingZone);
    /// ```
    fn to_fhir_instant(&self, default_zone: Option<UtcOffset>) -> Result<FhirText, TypeError>;
}

impl ToFhirDateTime for Dtm {
    fn to_fhir_date_time(&self, missing_zone: MissingZone) -> FhirDateTime {
        let p = Parts::of_dtm(self);
        let precision = p.precision;
        let mut r =
            FhirDateTime { text: date_text(&p), time_dropped: None, zone_assumed: false, seconds_zero_filled: false };
        if precision <= Precision::Day {
            return r;
        }
        if precision == Precision::Hour {
            r.time_dropped = Some(TimeDropped::HourWithoutMinutes);
            return r;
        }
        let zone = match (p.offset, missing_zone) {
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
        let written = write_date(&mut out, &p, Precision::Day)
            .and_then(|()| fmt::Write::write_str(&mut out, "T"))
            .and_then(|()| write_time(&mut out, &p))
            .and_then(|()| write_zone(&mut out, zone));
        if written.is_ok() {
            r.text = out;
            r.seconds_zero_filled = precision == Precision::Minute;
        }
        r
    }

    fn to_fhir_instant(&self, default_zone: Option<UtcOffset>) -> Result<FhirText, TypeError> {
        let p = Parts::of_dtm(self);
        if p.precision < Precision::Second {
            return Err(TypeError::new(TypeErrorKind::PrecisionTooLow, 0));
        }
        let zone = p.offset.or(default_zone).ok_or(TypeError::new(TypeErrorKind::MissingZone, 0))?;
        let mut out = FhirText::empty();
        write_date(&mut out, &p, Precision::Day)
            .and_then(|()| fmt::Write::write_str(&mut out, "T"))
            .and_then(|()| write_time(&mut out, &p))
            .and_then(|()| write_zone(&mut out, zone))
            .map_err(|_| TypeError::new(TypeErrorKind::InvalidLength, 0))?;
        Ok(out)
    }
}

/// The FHIR `time` rendering of a TM (IG datatype map TM → time).
pub trait ToFhirTime {
    /// The time as a FHIR `time` (`hh:mm:ss[.f…]`, no zone: FHIR `time` has none). Needs minutes
    /// ([`TypeErrorKind::PrecisionTooLow`] otherwise); seconds are zero-filled when not sent.
    ///
    /// ```
    /// use hl7_core::types::Tm;
    /// use hl7_map::datatypes::ToFhirTime;
    /// assert_eq!(Tm::parse(b"0830").unwrap().to_fhir_time().unwrap().as_str(), "08:30:00");
    /// assert!(Tm::parse(b"08").unwrap().to_fhir_time().is_err());
    /// ```
    fn to_fhir_time(&self) -> Result<FhirText, TypeError>;
}

impl ToFhirTime for Tm {
    fn to_fhir_time(&self) -> Result<FhirText, TypeError> {
        let p = Parts::of_tm(self);
        if p.precision < Precision::Minute {
            return Err(TypeError::new(TypeErrorKind::PrecisionTooLow, 0));
        }
        let mut out = FhirText::empty();
        write_time(&mut out, &p).map_err(|_| TypeError::new(TypeErrorKind::InvalidLength, 0))?;
        Ok(out)
    }
}

/// The FHIR `decimal` rendering of an NM (IG datatype map NM → decimal).
pub trait ToFhirDecimal<'a> {
    /// The number in FHIR `decimal` form, precision kept: sign `+` and leading zeros dropped, a
    /// bare point completed (`.5` → `0.5`, `5.` → `5`). Writes without allocating.
    ///
    /// ```
    /// use hl7_core::types::Nm;
    /// use hl7_map::datatypes::ToFhirDecimal;
    /// assert_eq!(Nm::parse(b"+001.50").unwrap().to_fhir_decimal().to_string(), "1.50");
    /// assert_eq!(Nm::parse(b"-.5").unwrap().to_fhir_decimal().to_string(), "-0.5");
    /// ```
    fn to_fhir_decimal(&self) -> FhirDecimal<'a>;
}

impl<'a> ToFhirDecimal<'a> for Nm<'a> {
    fn to_fhir_decimal(&self) -> FhirDecimal<'a> {
        FhirDecimal { nm: *self }
    }
}

/// An [`Nm`] written as a FHIR `decimal` (see [`ToFhirDecimal`]). `Display` writes the number (an
/// explicit content accessor); `Debug` shows only the shape.
///
/// ```
/// use hl7_map::datatypes::ToFhirDecimal;
/// let d = hl7_core::types::Nm::parse(b"000")?.to_fhir_decimal();
/// assert_eq!(d.to_string(), "0");
/// # Ok::<(), hl7_core::types::TypeError>(())
/// ```
#[derive(Clone, Copy)]
pub struct FhirDecimal<'a> {
    nm: Nm<'a>,
}

impl fmt::Display for FhirDecimal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.nm.integer_digits();
        let frac = self.nm.fraction_digits();
        if self.nm.is_negative() {
            f.write_str("-")?;
        }
        let first_non_zero = int.iter().position(|&b| b != b'0').unwrap_or(int.len());
        let int = int.get(first_non_zero..).unwrap_or_default();
        f.write_str(if int.is_empty() { "0" } else { core::str::from_utf8(int).unwrap_or_default() })?;
        if !frac.is_empty() {
            f.write_str(".")?;
            f.write_str(core::str::from_utf8(frac).unwrap_or_default())?;
        }
        Ok(())
    }
}

impl fmt::Debug for FhirDecimal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FhirDecimal").field("nm", &self.nm).finish()
    }
}
