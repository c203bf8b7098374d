//! [`TypeError`]: why a value does not fit its datatype, and where.

use core::fmt;

/// What is wrong with a datatype value. Kinds only, never the value itself (PHI rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TypeErrorKind {
    /// The value is empty.
    Empty,
    /// The value is the HL7 null `""` (delete at the receiver), not a value of the type.
    Null,
    /// A byte that the datatype's grammar does not allow at this place.
    InvalidCharacter,
    /// A run of digits of the wrong length (an odd date/time digit count, an offset that is not
    /// four digits, an empty fraction).
    InvalidLength,
    /// The year is 0000 (FHIR and ISO 8601 calendars start at 0001).
    YearOutOfRange,
    /// The month is not 01–12.
    MonthOutOfRange,
    /// The day does not exist in that month (leap years counted).
    DayOutOfRange,
    /// The hour is not 00–23.
    HourOutOfRange,
    /// The minute is not 00–59.
    MinuteOutOfRange,
    /// The second is not 00–59.
    SecondOutOfRange,
    /// A fractional second with more than 9 digits.
    FractionTooLong,
    /// A UTC offset outside -14:00..+14:00 or with minutes above 59.
    OffsetOutOfRange,
    /// A number too large (or too long) for the requested machine type.
    NumberOutOfRange,
    /// A number with a fractional part where an integer was asked for.
    NotAnInteger,
    /// A code outside the values the datatype defines (e.g. an SN comparator).
    UnknownCode,
    /// Rendering needs a UTC offset the value does not have (FHIR `instant`).
    MissingZone,
    /// Rendering needs more precision than the value has (FHIR `instant` needs seconds, FHIR
    /// `time` needs minutes).
    PrecisionTooLow,
}

impl fmt::Display for TypeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TypeErrorKind::Empty => "empty value",
            TypeErrorKind::Null => "HL7 null value",
            TypeErrorKind::InvalidCharacter => "invalid character",
            TypeErrorKind::InvalidLength => "invalid digit count",
            TypeErrorKind::YearOutOfRange => "year out of range",
            TypeErrorKind::MonthOutOfRange => "month out of range",
            TypeErrorKind::DayOutOfRange => "day out of range",
            TypeErrorKind::HourOutOfRange => "hour out of range",
            TypeErrorKind::MinuteOutOfRange => "minute out of range",
            TypeErrorKind::SecondOutOfRange => "second out of range",
            TypeErrorKind::FractionTooLong => "fractional second longer than 9 digits",
            TypeErrorKind::OffsetOutOfRange => "UTC offset out of range",
            TypeErrorKind::NumberOutOfRange => "number out of range",
            TypeErrorKind::NotAnInteger => "number is not an integer",
            TypeErrorKind::UnknownCode => "unknown code",
            TypeErrorKind::MissingZone => "no UTC offset",
            TypeErrorKind::PrecisionTooLow => "precision too low",
        })
    }
}

/// A value that does not fit its datatype: what and where.
///
/// The offset is 0-based: from the start of the slice given to a `parse` function, or from the
/// start of the parsed message for the `from_value` constructors and typed component accessors.
///
/// ```
/// use hl7_core::types::{Dtm, TypeErrorKind};
/// let err = Dtm::parse(b"20241301").unwrap_err();
/// assert_eq!(err.kind(), TypeErrorKind::MonthOutOfRange);
/// assert_eq!(err.offset(), 4);
/// assert_eq!(err.to_string(), "month out of range at byte 4");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TypeError {
    kind: TypeErrorKind,
    offset: usize,
}

impl TypeError {
    #[cold]
    /// An error of `kind` at byte `offset`, for code that checks values above this crate (a
    /// mapping that needs seconds reports [`TypeErrorKind::PrecisionTooLow`]).
    ///
    /// ```
    /// use hl7_core::types::{TypeError, TypeErrorKind};
    /// let e = TypeError::new(TypeErrorKind::MissingZone, 7);
    /// assert_eq!((e.kind(), e.offset()), (TypeErrorKind::MissingZone, 7));
    /// ```
    pub fn new(kind: TypeErrorKind, offset: usize) -> Self {
        TypeError { kind, offset }
    }

    /// What is wrong.
    pub fn kind(&self) -> TypeErrorKind {
        self.kind
    }

    /// Byte offset (0-based) of the offending part of the value.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The same error, `base` bytes further (turns a slice offset into a message offset).
    pub(crate) fn shifted(self, base: usize) -> Self {
        TypeError { kind: self.kind, offset: self.offset.saturating_add(base) }
    }
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)
    }
}

impl core::error::Error for TypeError {}

/// Empty and HL7-null values are not values of any scalar type.
pub(crate) fn check_present(bytes: &[u8]) -> Result<(), TypeError> {
    if bytes.is_empty() {
        Err(TypeError::new(TypeErrorKind::Empty, 0))
    } else if bytes == b"\"\"" {
        Err(TypeError::new(TypeErrorKind::Null, 0))
    } else {
        Ok(())
    }
}
