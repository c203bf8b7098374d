//! ACK/NAK building (original and enhanced mode).
//!
//! The codes and rules live here without allocation: [`AckCode`] (MSA-1), [`AckCondition`]
//! (MSH-15/16), [`AckMode`], [`AckErrorCode`] (table 0357), [`ErrorSeverity`] (table 0516) and
//! [`AckError`]. With `alloc`, [`acknowledge`] and [`acknowledge_message`] write one
//! acknowledgment as a [`crate::build::MessageBuf`]; [`acknowledge_as_asked`] writes those the
//! message's mode asks for (original: the application one; enhanced: accept and/or application).
//!
//! PHI: an acknowledgment echoes only header values that identify the exchange (MSH-3 to MSH-6
//! swapped, the trigger event, MSH-10 into MSA-2, MSH-11, MSH-12, MSH-18). MSA-3 and the ERR texts are
//! the fixed texts of table 0357, never a value from the message.
//!
//! ```
//! use hl7_messaging::ack::{acknowledge, AckCode, AckKind, AckOptions};
//! use hl7_core::Message;
//!
//! let incoming = b"MSH|^~\\&|LAB|HOSP|EHR|HOSP|20240101120000||ORU^R01^ORU_R01|CTRL42|P|2.5.1\rPID|1||123\r";
//! let options = AckOptions::new("ACK0001", "20240101120001");
//! let ack = acknowledge(incoming, AckKind::Application, &[], &options)?;
//! assert_eq!(ack.code, AckCode::ApplicationAccept);
//! assert_eq!(
//!     ack.to_bytes(),
//!     b"MSH|^~\\&|EHR|HOSP|LAB|HOSP|20240101120001||ACK^R01^ACK|ACK0001|P|2.5.1\rMSA|AA|CTRL42\r"
//! );
//! # Ok::<(), hl7_messaging::ack::AckRefusal>(())
//! ```

use core::fmt;

use hl7_core::Message;
use hl7_core::Path;

mod reply;
mod write;
pub use reply::{read_reply, Reply, ReplyError};
pub use write::{acknowledge, acknowledge_as_asked, acknowledge_message, acknowledge_with, Ack};

/// MSA-1, the acknowledgment code (HL7 table 0008).
///
/// ```
/// use hl7_messaging::ack::AckCode;
/// assert_eq!(AckCode::CommitAccept.as_str(), "CA");
/// assert_eq!(AckCode::from_code(b"AR"), Some(AckCode::ApplicationReject));
/// assert!(AckCode::ApplicationAccept.is_positive() && !AckCode::CommitError.is_positive());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AckCode {
    /// `AA`: application accept (original mode, or enhanced-mode application acknowledgment).
    ApplicationAccept,
    /// `AE`: application error; the message was processed with errors.
    ApplicationError,
    /// `AR`: application reject; the message was not processed (unsupported header values, an
    /// unreadable header).
    ApplicationReject,
    /// `CA`: commit accept; the receiver has committed the message to safe storage.
    CommitAccept,
    /// `CE`: commit error; the receiver could not commit the message.
    CommitError,
    /// `CR`: commit reject; the receiver will not accept the message (unsupported header values).
    CommitReject,
}

impl AckCode {
    /// The two-letter code.
    pub fn as_str(self) -> &'static str {
        match self {
            AckCode::ApplicationAccept => "AA",
            AckCode::ApplicationError => "AE",
            AckCode::ApplicationReject => "AR",
            AckCode::CommitAccept => "CA",
            AckCode::CommitError => "CE",
            AckCode::CommitReject => "CR",
        }
    }

    /// Reads a code (exact, upper case).
    pub fn from_code(code: &[u8]) -> Option<AckCode> {
        Some(match code {
            b"AA" => AckCode::ApplicationAccept,
            b"AE" => AckCode::ApplicationError,
            b"AR" => AckCode::ApplicationReject,
            b"CA" => AckCode::CommitAccept,
            b"CE" => AckCode::CommitError,
            b"CR" => AckCode::CommitReject,
            _ => return None,
        })
    }

    /// `AA` or `CA`.
    pub fn is_positive(self) -> bool {
        matches!(self, AckCode::ApplicationAccept | AckCode::CommitAccept)
    }
}

impl fmt::Display for AckCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// MSH-15 / MSH-16: when the sender wants an accept / application acknowledgment (table 0155).
///
/// ```
/// use hl7_messaging::ack::AckCondition;
/// let c = AckCondition::from_code(b"ER").unwrap();
/// assert!(c.requires(false) && !c.requires(true));
/// assert!(AckCondition::Always.requires(true) && !AckCondition::Never.requires(false));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AckCondition {
    /// `AL`: always.
    Always,
    /// `NE`: never.
    Never,
    /// `ER`: only when the message failed (error or reject).
    OnError,
    /// `SU`: only when the message succeeded.
    OnSuccess,
}

impl AckCondition {
    /// Reads a code (`AL`, `NE`, `ER`, `SU`; ASCII case ignored).
    pub fn from_code(code: &[u8]) -> Option<AckCondition> {
        let upper = |i: usize| code.get(i).map(u8::to_ascii_uppercase);
        if code.len() != 2 {
            return None;
        }
        Some(match (upper(0)?, upper(1)?) {
            (b'A', b'L') => AckCondition::Always,
            (b'N', b'E') => AckCondition::Never,
            (b'E', b'R') => AckCondition::OnError,
            (b'S', b'U') => AckCondition::OnSuccess,
            _ => return None,
        })
    }

    /// Whether an acknowledgment is to be sent for this outcome.
    pub fn requires(self, success: bool) -> bool {
        match self {
            AckCondition::Always => true,
            AckCondition::Never => false,
            AckCondition::OnError => !success,
            AckCondition::OnSuccess => success,
        }
    }
}

/// The acknowledgment mode an incoming message asks for.
///
/// Original mode (MSH-15 and MSH-16 both empty) has one acknowledgment, the application one.
/// Enhanced mode has an accept acknowledgment (after the receiver committed the message) and an
/// application acknowledgment, each sent per its condition. In enhanced mode an empty or unknown
/// condition reads as `AL`: a sender that asked for enhanced mode gets an answer rather than none.
///
/// ```
/// use hl7_messaging::ack::{AckCondition, AckMode};
/// use hl7_core::Message;
/// let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5|||NE|ER\r").unwrap();
/// assert_eq!(
///     AckMode::of(&msg),
///     AckMode::Enhanced { accept: AckCondition::Never, application: AckCondition::OnError }
/// );
/// let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5\r").unwrap();
/// assert_eq!(AckMode::of(&msg), AckMode::Original);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AckMode {
    /// Original mode: one application acknowledgment, always.
    Original,
    /// Enhanced mode.
    Enhanced {
        /// MSH-15: when to send the accept acknowledgment.
        accept: AckCondition,
        /// MSH-16: when to send the application acknowledgment.
        application: AckCondition,
    },
}

impl AckMode {
    /// The mode of a message, read from its first MSH.
    pub fn of(message: &Message<'_>) -> AckMode {
        let msh = message.segment(b"MSH");
        let code = |n: usize| msh.and_then(|s| s.field(n)).map(|f| f.as_bytes()).filter(|b| !b.is_empty());
        match (code(15), code(16)) {
            (None, None) => AckMode::Original,
            (accept, application) => {
                let read = |c: Option<&[u8]>| c.and_then(AckCondition::from_code).unwrap_or(AckCondition::Always);
                AckMode::Enhanced { accept: read(accept), application: read(application) }
            }
        }
    }

    /// Whether an acknowledgment of this kind, with this outcome, is to be sent. In original mode
    /// there is no accept acknowledgment.
    ///
    /// ```
    /// use hl7_messaging::ack::{AckCondition, AckKind, AckMode};
    /// let m = AckMode::Enhanced { accept: AckCondition::Always, application: AckCondition::OnSuccess };
    /// assert!(m.requires(AckKind::Accept { committed: true }, true));
    /// assert!(!m.requires(AckKind::Application, false));
    /// assert!(!AckMode::Original.requires(AckKind::Accept { committed: true }, true));
    /// ```
    pub fn requires(self, kind: AckKind, success: bool) -> bool {
        match (self, kind) {
            (AckMode::Original, AckKind::Application) => true,
            (AckMode::Original, AckKind::Accept { .. }) => false,
            (AckMode::Enhanced { accept, .. }, AckKind::Accept { .. }) => accept.requires(success),
            (AckMode::Enhanced { application, .. }, AckKind::Application) => application.requires(success),
        }
    }
}

/// Which acknowledgment to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AckKind {
    /// The application acknowledgment (original mode's only one): `AA`, `AE` or `AR`.
    Application,
    /// The enhanced-mode accept acknowledgment: `CA` only when `committed` (the host has stored the
    /// message safely), `CE` otherwise, `CR` when the header is unsupported.
    Accept {
        /// Whether the host's commit succeeded.
        committed: bool,
    },
}

/// An error code of HL7 table 0357 (message error condition codes).
///
/// ```
/// use hl7_messaging::ack::AckErrorCode;
/// assert_eq!(AckErrorCode::RequiredFieldMissing.code(), 101);
/// assert_eq!(AckErrorCode::RequiredFieldMissing.text(), "Required field missing");
/// assert!(AckErrorCode::UnsupportedVersionId.rejects() && !AckErrorCode::DataTypeError.rejects());
/// assert_eq!(AckErrorCode::from_code(203), Some(AckErrorCode::UnsupportedVersionId));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AckErrorCode {
    /// 100: segment sequence error.
    SegmentSequenceError,
    /// 101: required field missing.
    RequiredFieldMissing,
    /// 102: data type error.
    DataTypeError,
    /// 103: table value not found.
    TableValueNotFound,
    /// 104: value too long.
    ValueTooLong,
    /// 200: unsupported message type.
    UnsupportedMessageType,
    /// 201: unsupported event code.
    UnsupportedEventCode,
    /// 202: unsupported processing id.
    UnsupportedProcessingId,
    /// 203: unsupported version id.
    UnsupportedVersionId,
    /// 204: unknown key identifier.
    UnknownKeyIdentifier,
    /// 205: duplicate key identifier.
    DuplicateKeyIdentifier,
    /// 206: application record locked.
    ApplicationRecordLocked,
    /// 207: application internal error.
    ApplicationInternalError,
}

const ERROR_CODES: [(AckErrorCode, u16, &str); 13] = [
    (AckErrorCode::SegmentSequenceError, 100, "Segment sequence error"),
    (AckErrorCode::RequiredFieldMissing, 101, "Required field missing"),
    (AckErrorCode::DataTypeError, 102, "Data type error"),
    (AckErrorCode::TableValueNotFound, 103, "Table value not found"),
    (AckErrorCode::ValueTooLong, 104, "Value too long"),
    (AckErrorCode::UnsupportedMessageType, 200, "Unsupported message type"),
    (AckErrorCode::UnsupportedEventCode, 201, "Unsupported event code"),
    (AckErrorCode::UnsupportedProcessingId, 202, "Unsupported processing id"),
    (AckErrorCode::UnsupportedVersionId, 203, "Unsupported version id"),
    (AckErrorCode::UnknownKeyIdentifier, 204, "Unknown key identifier"),
    (AckErrorCode::DuplicateKeyIdentifier, 205, "Duplicate key identifier"),
    (AckErrorCode::ApplicationRecordLocked, 206, "Application record locked"),
    (AckErrorCode::ApplicationInternalError, 207, "Application internal error"),
];

impl AckErrorCode {
    fn entry(self) -> (u16, &'static str) {
        ERROR_CODES.iter().find(|e| e.0 == self).map_or((207, "Application internal error"), |e| (e.1, e.2))
    }

    /// The numeric code.
    pub fn code(self) -> u16 {
        self.entry().0
    }

    /// The fixed text of table 0357 (written into MSA-3 and ERR; never a value from the message).
    pub fn text(self) -> &'static str {
        self.entry().1
    }

    /// Looks a numeric code up.
    pub fn from_code(code: u16) -> Option<AckErrorCode> {
        ERROR_CODES.iter().find(|e| e.1 == code).map(|e| e.0)
    }

    /// Whether the code rejects the message as a whole (200–203: the header names something the
    /// receiver does not support), giving `AR` / `CR` rather than `AE` / `CE`.
    pub fn rejects(self) -> bool {
        matches!(self.code(), 200..=203)
    }
}

/// ERR-4 severity (HL7 table 0516). Only `Error` makes an acknowledgment negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorSeverity {
    /// `E`: error.
    Error,
    /// `W`: warning.
    Warning,
    /// `I`: information.
    Information,
}

impl ErrorSeverity {
    /// The one-letter code.
    ///
    /// ```
    /// assert_eq!(hl7_messaging::ack::ErrorSeverity::Warning.as_str(), "W");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorSeverity::Error => "E",
            ErrorSeverity::Warning => "W",
            ErrorSeverity::Information => "I",
        }
    }
}

/// One error to report in an ERR segment: a code, a severity and where (a [`Path`]: segment id,
/// segment occurrence, field, repetition, component, subcomponent). Holds no field content.
///
/// ```
/// use hl7_messaging::ack::{AckError, AckErrorCode, ErrorSeverity};
/// let e = AckError::new(AckErrorCode::RequiredFieldMissing).at("PID[1]-3".parse().unwrap());
/// assert_eq!(e.severity, ErrorSeverity::Error);
/// assert_eq!(e.location.unwrap().field_number(), Some(3));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AckError {
    /// Table 0357 code.
    pub code: AckErrorCode,
    /// ERR-4 severity (v2.5 on; before v2.5 every error counts).
    pub severity: ErrorSeverity,
    /// Where the error is, if known.
    pub location: Option<Path>,
}

impl AckError {
    /// An error of severity `E` without a location.
    pub fn new(code: AckErrorCode) -> AckError {
        AckError { code, severity: ErrorSeverity::Error, location: None }
    }

    /// The same error at `location`.
    #[must_use]
    pub fn at(mut self, location: Path) -> AckError {
        self.location = Some(location);
        self
    }

    /// The same error with another severity.
    #[must_use]
    pub fn with_severity(mut self, severity: ErrorSeverity) -> AckError {
        self.severity = severity;
        self
    }
}

/// What the receiving side reports about an incoming message, for [`acknowledge_as_asked`].
///
/// ```
/// use hl7_messaging::ack::{AckError, AckErrorCode, HostReport};
/// let ok = HostReport::accepted();
/// assert!(ok.committed && !ok.rejected && ok.errors.is_empty());
/// let internal = [AckError::new(AckErrorCode::ApplicationInternalError)];
/// let failed = HostReport::with_errors(&internal);
/// assert_eq!(failed.errors.len(), 1);
/// assert!(HostReport::rejected().rejected);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct HostReport<'e> {
    /// Whether the message was committed to safe storage: the accept acknowledgment is `CA`, else
    /// `CE`.
    pub committed: bool,
    /// Whether the application rejects the message as a whole: the application acknowledgment is
    /// `AR`, with no ERR segment of its own.
    pub rejected: bool,
    /// Errors found while processing, for the application acknowledgment (`AE` when one has
    /// severity `E`).
    pub errors: &'e [AckError],
}

impl<'e> HostReport<'e> {
    /// Committed and processed without errors.
    pub fn accepted() -> Self {
        HostReport { committed: true, rejected: false, errors: &[] }
    }

    /// Committed, processed with these errors.
    pub fn with_errors(errors: &'e [AckError]) -> Self {
        HostReport { errors, ..HostReport::accepted() }
    }

    /// Committed, then rejected by the application as a whole.
    pub fn rejected() -> Self {
        HostReport { rejected: true, ..HostReport::accepted() }
    }
}

/// Why no acknowledgment was written. Not an error of the incoming message.
///
/// ```
/// use hl7_messaging::ack::{acknowledge, AckKind, AckOptions, AckRefusal};
/// let ack_in = b"MSH|^~\\&|A|B|C|D|||ACK^A01^ACK|9|P|2.5\rMSA|AA|1\r";
/// let r = acknowledge(ack_in, AckKind::Application, &[], &AckOptions::new("A1", "20240101120000"));
/// assert_eq!(r.unwrap_err(), AckRefusal::IncomingIsAck);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AckRefusal {
    /// The incoming message is itself an acknowledgment (MSH-9.1 `ACK`): never acknowledged, so
    /// that two systems cannot acknowledge each other forever.
    IncomingIsAck,
    /// The sender asked not to get this acknowledgment (MSH-15/16), or it does not exist in
    /// original mode (an accept acknowledgment).
    NotRequired,
}

impl fmt::Display for AckRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AckRefusal::IncomingIsAck => f.write_str("the incoming message is an acknowledgment"),
            AckRefusal::NotRequired => f.write_str("the sender did not ask for this acknowledgment"),
        }
    }
}

impl core::error::Error for AckRefusal {}

/// What the acknowledging side supplies: the new header values and what it supports. An empty
/// list supports everything. There is no `Default`: an acknowledgment needs its own control id
/// (MSH-10) and time (MSH-7), so [`AckOptions::new`] takes them.
///
/// ```
/// use hl7_messaging::ack::AckOptions;
/// let mut o = AckOptions::new("A1", "20240101120000");
/// o.versions = &["2.5", "2.5.1"];
/// assert_eq!(o.fallback_version, "2.5");
/// ```
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct AckOptions<'o> {
    /// MSH-10 of the acknowledgment (a new control id).
    pub control_id: &'o str,
    /// MSH-7 of the acknowledgment (a DTM such as `20240101120000+0100`).
    pub timestamp: &'o str,
    /// MSH-12 when the incoming version cannot be read (default `2.5`).
    pub fallback_version: &'o str,
    /// MSH-11 when the incoming processing id cannot be read (default `P`).
    pub fallback_processing_id: &'o str,
    /// Supported versions (MSH-12.1); others are rejected with 203.
    pub versions: &'o [&'o str],
    /// Supported message types (MSH-9.1); others are rejected with 200.
    pub message_types: &'o [&'o str],
    /// Supported trigger events (MSH-9.2); others are rejected with 201.
    pub events: &'o [&'o str],
    /// Supported processing ids (MSH-11.1); others are rejected with 202.
    pub processing_ids: &'o [&'o str],
}

impl<'o> AckOptions<'o> {
    /// Options with the acknowledgment's own control id (MSH-10) and time (MSH-7, a DTM such as
    /// `20240101120000+0000`; [`timestamp_now`] gives the current UTC time), supporting every
    /// version, type, event and processing id.
    ///
    /// ```
    /// use hl7_messaging::ack::{acknowledge, AckKind, AckOptions};
    /// let o = AckOptions::new("ACK1", "20240101120000+0000");
    /// let ack = acknowledge(b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|X1|P|2.5\r", AckKind::Application, &[], &o)?;
    /// assert!(ack.to_bytes().starts_with(b"MSH|^~\\&|C|D|A|B|20240101120000+0000||ACK^A01^ACK|ACK1|P|2.5\r"));
    /// # Ok::<(), hl7_messaging::ack::AckRefusal>(())
    /// ```
    pub fn new(control_id: &'o str, timestamp: &'o str) -> Self {
        AckOptions {
            control_id,
            timestamp,
            fallback_version: "2.5",
            fallback_processing_id: "P",
            versions: &[],
            message_types: &[],
            events: &[],
            processing_ids: &[],
        }
    }
}

impl fmt::Debug for AckOptions<'_> {
    // The support lists are configuration; the header values are shown by length only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AckOptions")
            .field("control_id_len", &self.control_id.len())
            .field("timestamp_len", &self.timestamp.len())
            .field("fallback_version", &self.fallback_version)
            .field("fallback_processing_id", &self.fallback_processing_id)
            .field("versions", &self.versions)
            .field("message_types", &self.message_types)
            .field("events", &self.events)
            .field("processing_ids", &self.processing_ids)
            .finish()
    }
}

/// The current UTC time as an HL7 DTM to the second with its offset (`YYYYMMDDHHMMSS+0000`), for
/// MSH-7 of an acknowledgment. A clock before 1970 gives the epoch.
///
/// ```
/// let now = hl7_messaging::ack::timestamp_now();
/// assert_eq!(now.len(), 19);
/// assert!(now.ends_with("+0000"));
/// assert!(hl7_core::types::Dtm::parse(now.as_bytes()).is_ok());
/// ```
pub fn timestamp_now() -> alloc::string::String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    dtm_of_unix_seconds(secs)
}

/// `YYYYMMDDHHMMSS+0000` for seconds since 1970-01-01 UTC (days to a civil date by the
/// era-based proleptic Gregorian algorithm).
fn dtm_of_unix_seconds(secs: u64) -> alloc::string::String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    alloc::format!("{year:04}{month:02}{day:02}{:02}{:02}{:02}+0000", rem / 3600, rem / 60 % 60, rem % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn unix_seconds_to_dtm() {
        assert_eq!(super::dtm_of_unix_seconds(0), "19700101000000+0000");
        assert_eq!(super::dtm_of_unix_seconds(951_782_400), "20000229000000+0000");
        assert_eq!(super::dtm_of_unix_seconds(1_704_067_199), "20231231235959+0000");
        assert_eq!(super::dtm_of_unix_seconds(4_107_542_400), "21000301000000+0000");
    }
}
