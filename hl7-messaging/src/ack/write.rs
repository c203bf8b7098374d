//! Writing acknowledgments (`alloc`).

use alloc::vec::Vec;

use alloc::string::String;

use super::{AckCode, AckError, AckErrorCode, AckKind, AckMode, AckOptions, AckRefusal, ErrorSeverity, HostReport};
use crate::build::MessageBuf;
use hl7_core::Delimiters;
use hl7_core::ErrorKind;
use hl7_core::Field;
use hl7_core::Message;
use hl7_core::ParseOptions;
use hl7_core::Path;
use hl7_core::Scan;

/// A written acknowledgment: its MSA-1 code and the message.
///
/// ```
/// use hl7_messaging::ack::{acknowledge, AckCode, AckKind, AckOptions};
/// let ack = acknowledge(b"not hl7", AckKind::Application, &[], &AckOptions::new("A1", "20240101120000")).unwrap();
/// assert_eq!(ack.code, AckCode::ApplicationReject);
/// assert!(hl7_core::Message::parse(&ack.to_bytes()).is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ack {
    /// MSA-1.
    pub code: AckCode,
    /// The acknowledgment message (MSH, MSA, ERR…).
    pub message: MessageBuf,
}

impl Ack {
    /// The message bytes, `\r` after every segment.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.message.to_bytes()
    }
}

/// Acknowledges a message given as bytes. When the bytes do not parse (no readable MSH), the answer
/// is a minimal `AR` with the standard delimiters `|^~\&`, [`AckOptions::fallback_version`], an
/// empty MSA-2 and one ERR: 100 (segment sequence error) when no header is found, 102 (data type
/// error) at MSH-1 / MSH-2 for bad delimiters, 104 (value too long) for an exceeded limit.
///
/// See [`acknowledge_message`] for the rules once the message parses.
///
/// ```
/// use hl7_messaging::ack::{acknowledge, AckCode, AckKind, AckOptions};
/// use hl7_core::Message;
/// let o = AckOptions::new("A1", "");
/// let ack = acknowledge(b"MSH^~\r", AckKind::Application, &[], &o).unwrap();
/// let bytes = ack.to_bytes();
/// let msg = Message::parse(&bytes).unwrap();
/// assert_eq!(msg.query("MSA-1").unwrap().unwrap().as_bytes(), b"AR");
/// assert_eq!(msg.query("ERR-3.1").unwrap().unwrap().as_bytes(), b"102");
/// ```
pub fn acknowledge(
    incoming: &[u8],
    kind: AckKind,
    errors: &[AckError],
    options: &AckOptions<'_>,
) -> Result<Ack, AckRefusal> {
    match Message::parse(incoming) {
        Ok(message) => acknowledge_message(&message, kind, errors, options),
        Err(e) => Ok(unreadable_header(e.kind(), options)),
    }
}

/// [`acknowledge`] with the caller's parse options, so that input over the caller's limits gets
/// the minimal `AR` (104, value too long) rather than an answer as if it had been read.
///
/// ```
/// use hl7_messaging::ack::{acknowledge_with, AckCode, AckKind, AckOptions};
/// use hl7_core::ParseOptions;
/// let mut parse = ParseOptions::default();
/// parse.limits.max_segments = 1;
/// let o = AckOptions::new("A1", "20240101120000");
/// let input = b"MSH|^~\\&|A|B|C|D|||ADT^A01|C1|P|2.5\rPID|1\r";
/// let ack = acknowledge_with(input, &parse, AckKind::Application, &[], &o).unwrap();
/// assert_eq!(ack.code, AckCode::ApplicationReject);
/// let bytes = ack.to_bytes();
/// let msg = hl7_core::Message::parse(&bytes).unwrap();
/// assert_eq!(msg.query("ERR-3.1").unwrap().unwrap().as_bytes(), b"104");
/// ```
pub fn acknowledge_with(
    incoming: &[u8],
    parse: &ParseOptions,
    kind: AckKind,
    errors: &[AckError],
    options: &AckOptions<'_>,
) -> Result<Ack, AckRefusal> {
    match Message::parse_with(incoming, parse) {
        Ok(message) => acknowledge_message(&message, kind, errors, options),
        Err(e) => Ok(unreadable_header(e.kind(), options)),
    }
}

/// Acknowledges a parsed message (its first MSH; a batch is acknowledged message by message).
///
/// - Never an acknowledgment to an acknowledgment: MSH-9.1 `ACK` gives [`AckRefusal::IncomingIsAck`].
/// - Header checks: an empty MSH-10 is a reject (101 at MSH-10); a version, message type, event or
///   processing id outside the non-empty lists of `options` is a reject (203, 200, 201, 202).
/// - The code: `AR` / `CR` for a reject (also when `errors` hold a 200–203 code); for
///   [`AckKind::Application`], `AE` when an error has severity `E`, else `AA`; for
///   [`AckKind::Accept`], `CA` only when committed and no error has severity `E`, else `CE`.
/// - [`AckMode`] decides whether the acknowledgment is wanted at all ([`AckRefusal::NotRequired`]).
/// - MSH: the incoming delimiters; MSH-3/4 ↔ MSH-5/6 swapped; MSH-7 and MSH-10 from `options`;
///   MSH-9 `ACK^<trigger>^ACK` (the third component from v2.3.1 on); MSH-11, MSH-12 and MSH-18
///   echoed (MSH-11/12 fall back to `options`). Echoed values are decoded and escaped again; in
///   ISO 2022 or lead-byte charsets they are copied as written. A value that cannot be written
///   (needs escaping but MSH-2 has no escape character) is left out.
/// - MSA-1 the code, MSA-2 the incoming MSH-10, MSA-3 (before v2.5, when there are errors) the
///   fixed text of the first error.
/// - One ERR per error: before v2.5 ERR-1 (`segment^sequence^field^code&text&HL70357`); from v2.5
///   ERR-2 (location), ERR-3 (`code^text^HL70357`) and ERR-4 (severity).
///
/// ```
/// use hl7_messaging::ack::{acknowledge_message, AckCode, AckError, AckErrorCode, AckKind, AckOptions};
/// use hl7_core::Message;
/// let incoming = Message::parse(b"MSH|^~\\&|LAB|H|EHR|H|||ORU^R01|C1|P|2.5.1\rPID|1\r").unwrap();
/// let missing = AckError::new(AckErrorCode::RequiredFieldMissing).at("PID-3".parse().unwrap());
/// let ack = acknowledge_message(&incoming, AckKind::Application, &[missing], &AckOptions::new("A1", "20240101120000")).unwrap();
/// assert_eq!(ack.code, AckCode::ApplicationError);
/// let bytes = ack.to_bytes();
/// assert!(bytes.ends_with(b"MSA|AE|C1\rERR||PID^1^3^1|101^Required field missing^HL70357|E\r"));
/// ```
pub fn acknowledge_message(
    message: &Message<'_>,
    kind: AckKind,
    errors: &[AckError],
    options: &AckOptions<'_>,
) -> Result<Ack, AckRefusal> {
    write(message, kind, errors, false, options)
}

/// Writes the acknowledgments a message asks for, in the order they are sent: in enhanced mode the
/// accept acknowledgment when MSH-15 asks for it, then the application acknowledgment when MSH-16
/// asks for it; in original mode the application acknowledgment. An empty list when the sender
/// asked for neither (for instance MSH-15 `NE` and MSH-16 `NE`, or `SU`/`ER` conditions the
/// outcome does not meet).
///
/// - The accept acknowledgment (`CA`/`CE`/`CR`) says whether the message was committed
///   ([`HostReport::committed`]) and passed the header checks of [`acknowledge_message`]; the
///   host's errors are not in it.
/// - The application acknowledgment carries the host's outcome: `AR` when
///   [`HostReport::rejected`] (with no ERR of its own; header checks may add some), else as
///   [`acknowledge_message`] decides from [`HostReport::errors`] (`AE` when one has severity `E`).
/// - Each acknowledgment is a message of its own: `control_id` gives its MSH-10 (it is called once
///   per acknowledgment returned); [`AckOptions::control_id`] is not used.
///
/// Never an acknowledgment to an acknowledgment ([`AckRefusal::IncomingIsAck`]).
///
/// ```
/// use hl7_messaging::ack::{acknowledge_as_asked, AckCode, AckOptions, HostReport};
/// use hl7_core::Message;
/// let options = AckOptions::new("", "20240101120000");
/// let mut n = 0;
/// let mut ids = || { n += 1; format!("ACK{n}") };
/// // Enhanced mode: a commit acknowledgment always, an application acknowledgment never.
/// let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|||ADT^A01|C1|P|2.5|||AL|NE\r").unwrap();
/// let acks = acknowledge_as_asked(&msg, &HostReport::accepted(), &options, &mut ids).unwrap();
/// assert_eq!(acks.iter().map(|a| a.code).collect::<Vec<_>>(), [AckCode::CommitAccept]);
/// // Original mode: the application acknowledgment.
/// let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|||ADT^A01|C2|P|2.5\r").unwrap();
/// let acks = acknowledge_as_asked(&msg, &HostReport::accepted(), &options, &mut ids).unwrap();
/// assert_eq!(acks[0].code, AckCode::ApplicationAccept);
/// // Neither wanted.
/// let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|||ADT^A01|C3|P|2.5|||NE|NE\r").unwrap();
/// assert!(acknowledge_as_asked(&msg, &HostReport::accepted(), &options, &mut ids).unwrap().is_empty());
/// ```
pub fn acknowledge_as_asked(
    message: &Message<'_>,
    report: &HostReport<'_>,
    options: &AckOptions<'_>,
    mut control_id: impl FnMut() -> String,
) -> Result<Vec<Ack>, AckRefusal> {
    let mut acks = Vec::with_capacity(2);
    let kinds = [
        (AckKind::Accept { committed: report.committed }, &[][..], false),
        (AckKind::Application, report.errors, report.rejected),
    ];
    let original = AckMode::of(message) == AckMode::Original;
    for (kind, errors, rejected) in kinds {
        if original && kind != AckKind::Application {
            // No accept acknowledgment in original mode (also when the header is unreadable).
            continue;
        }
        // Written first, since whether it is wanted depends on its code; the id is asked only for
        // an acknowledgment that is kept.
        match write(message, kind, errors, rejected, options) {
            Ok(mut ack) => {
                put(&mut ack.message, msh_field(10), &control_id());
                acks.push(ack);
            }
            Err(AckRefusal::NotRequired) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(acks)
}

/// [`acknowledge_message`], with the host's own reject (`AR`/`CR` without an error of its own).
fn write(
    message: &Message<'_>,
    kind: AckKind,
    errors: &[AckError],
    rejected: bool,
    options: &AckOptions<'_>,
) -> Result<Ack, AckRefusal> {
    let Some(msh) = message.segment(b"MSH") else {
        return Ok(unreadable_header(ErrorKind::NoHeader, options));
    };
    let field = |n: usize| msh.field(n);
    if field(9).and_then(|f| f.component(1)).is_some_and(|c| c.as_bytes().eq_ignore_ascii_case(b"ACK")) {
        return Err(AckRefusal::IncomingIsAck);
    }

    let mut all = Vec::with_capacity(errors.len() + 1);
    let no_control_id = field(10).is_none_or(|f| f.is_empty());
    if no_control_id {
        all.push(header_error(AckErrorCode::RequiredFieldMissing, msh_field(10)));
    }
    let checks = [
        (12, 1, options.versions, AckErrorCode::UnsupportedVersionId, msh_field(12).component(1)),
        (9, 1, options.message_types, AckErrorCode::UnsupportedMessageType, msh_field(9).component(1)),
        (9, 2, options.events, AckErrorCode::UnsupportedEventCode, msh_field(9).component(2)),
        (11, 1, options.processing_ids, AckErrorCode::UnsupportedProcessingId, msh_field(11).component(1)),
    ];
    for (n, component, allowed, code, at) in checks {
        if !supported(field(n), component, allowed) {
            all.push(header_error(code, at));
        }
    }
    all.extend_from_slice(errors);

    let reject = rejected || no_control_id || all.iter().any(|e| e.code.rejects());
    let failed = all.iter().any(|e| e.severity == ErrorSeverity::Error);
    let code = match kind {
        AckKind::Application if reject => AckCode::ApplicationReject,
        AckKind::Application if failed => AckCode::ApplicationError,
        AckKind::Application => AckCode::ApplicationAccept,
        AckKind::Accept { .. } if reject => AckCode::CommitReject,
        AckKind::Accept { committed } if committed && !failed => AckCode::CommitAccept,
        AckKind::Accept { .. } => AckCode::CommitError,
    };
    if !AckMode::of(message).requires(kind, code.is_positive()) {
        return Err(AckRefusal::NotRequired);
    }

    let scan = message.scan();
    let mut ack = MessageBuf::new_with_scan(message.delimiters(), scan);
    for (from, to) in [(5, msh_field(3)), (6, msh_field(4)), (3, msh_field(5)), (4, msh_field(6))] {
        echo(&mut ack, scan, field(from), to);
    }
    put(&mut ack, msh_field(7), options.timestamp);
    let version = field(12)
        .and_then(|f| f.component(1))
        .map(|c| c.as_bytes())
        .filter(|v| !v.is_empty())
        .unwrap_or(options.fallback_version.as_bytes());
    put(&mut ack, msh_field(9).component(1), "ACK");
    if let Some(trigger) = field(9).and_then(|f| f.component(2)) {
        echo_value(&mut ack, scan, trigger.as_bytes(), &trigger.to_cow(), msh_field(9).component(2));
    }
    // The message structure component exists from v2.3.1 on.
    if version_at_least(version, [2, 3, 1]).unwrap_or(true) {
        put(&mut ack, msh_field(9).component(3), "ACK");
    }
    put(&mut ack, msh_field(10), options.control_id);
    if !echo(&mut ack, scan, field(11), msh_field(11)) {
        put(&mut ack, msh_field(11), options.fallback_processing_id);
    }
    if !echo(&mut ack, scan, field(12), msh_field(12)) {
        put(&mut ack, msh_field(12), options.fallback_version);
    }
    if let Some(charsets) = field(18).filter(|f| !f.is_empty()) {
        // Copied as written: the names are codes, and the receiver needs them to read the echoes.
        let _ = ack.set_raw(msh_field(18), charsets.as_bytes());
    }

    put(&mut ack, msa(1), code.as_str());
    put(&mut ack, msa(2), "");
    echo(&mut ack, scan, field(10), msa(2));
    let modern = version_at_least(version, [2, 5, 0])
        .or_else(|| version_at_least(options.fallback_version.as_bytes(), [2, 5, 0]))
        .unwrap_or(true);
    write_errors(&mut ack, &all, modern);
    Ok(Ack { code, message: ack })
}

/// The minimal `AR` for a message whose header cannot be read.
fn unreadable_header(kind: ErrorKind, options: &AckOptions<'_>) -> Ack {
    let mut ack = MessageBuf::new(Delimiters::default());
    let version = options.fallback_version;
    put(&mut ack, msh_field(7), options.timestamp);
    put(&mut ack, msh_field(9).component(1), "ACK");
    if version_at_least(version.as_bytes(), [2, 3, 1]).unwrap_or(true) {
        put(&mut ack, msh_field(9).component(3), "ACK");
    }
    put(&mut ack, msh_field(10), options.control_id);
    put(&mut ack, msh_field(11), options.fallback_processing_id);
    put(&mut ack, msh_field(12), version);
    put(&mut ack, msa(1), AckCode::ApplicationReject.as_str());
    put(&mut ack, msa(2), "");
    let error = match kind {
        ErrorKind::InvalidFieldSeparator => header_error(AckErrorCode::DataTypeError, msh_field(1)),
        ErrorKind::HeaderTooShort
        | ErrorKind::InvalidEncodingCharacter
        | ErrorKind::DuplicateDelimiter
        | ErrorKind::TooFewEncodingCharacters
        | ErrorKind::TooManyEncodingCharacters
        | ErrorKind::MalformedEscape
        | ErrorKind::CannotEscape => header_error(AckErrorCode::DataTypeError, msh_field(2)),
        ErrorKind::LimitExceeded { .. } => AckError::new(AckErrorCode::ValueTooLong),
        ErrorKind::UnsupportedEncoding(_) => header_error(AckErrorCode::DataTypeError, Path::new(b"MSH")),
        _ => header_error(AckErrorCode::SegmentSequenceError, Path::new(b"MSH")),
    };
    let modern = version_at_least(version.as_bytes(), [2, 5, 0]).unwrap_or(true);
    write_errors(&mut ack, &[error], modern);
    Ack { code: AckCode::ApplicationReject, message: ack }
}

fn header_error(code: AckErrorCode, at: Path) -> AckError {
    AckError { code, severity: ErrorSeverity::Error, location: Some(at) }
}

/// Sets a value from the options or a fixed code. It can only fail when it needs escaping and
/// MSH-2 has no escape character; such a value is left out (documented on [`acknowledge_message`]).
fn put(ack: &mut MessageBuf, path: Path, value: &str) {
    let _ = ack.set(path, value);
}

/// `MSH-n`.
const fn msh_field(n: usize) -> Path {
    Path::new(b"MSH").field(n)
}

/// `MSA-n`.
const fn msa(n: usize) -> Path {
    Path::new(b"MSA").field(n)
}

/// Echoes the first repetition of `from` into the field `to`, subcomponent by subcomponent.
/// Returns whether anything was written.
fn echo(ack: &mut MessageBuf, scan: Scan, from: Option<Field<'_>>, to: Path) -> bool {
    let Some(field) = from.filter(|f| !f.is_empty()) else {
        return false;
    };
    if scan != Scan::Bytes {
        return ack.set_raw(to, field.as_bytes()).is_ok();
    }
    let Some(repetition) = field.repetition(1) else {
        return false;
    };
    let mut wrote = false;
    for (c, component) in repetition.components().enumerate() {
        for (s, sub) in component.subcomponents().enumerate() {
            let value = sub.to_cow();
            if !value.is_empty() {
                wrote |= ack.set(to.component(c + 1).subcomponent(s + 1), &*value).is_ok();
            }
        }
    }
    wrote
}

/// Echoes one decoded value (escaped again), or its raw bytes outside plain byte scanning.
fn echo_value(ack: &mut MessageBuf, scan: Scan, raw: &[u8], decoded: &[u8], to: Path) {
    let _ = if scan == Scan::Bytes { ack.set(to, decoded) } else { ack.set_raw(to, raw) };
}

/// MSA-3 (before v2.5) and one ERR per error.
fn write_errors(ack: &mut MessageBuf, errors: &[AckError], modern: bool) {
    let Some(first) = errors.first() else {
        return;
    };
    if !modern {
        put(ack, msa(3), first.code.text());
    }
    let has_subcomponents = ack.delimiters().subcomponent().is_some();
    let number = |n: usize| alloc::format!("{n}");
    for (i, e) in errors.iter().enumerate() {
        let err = Path::new(b"ERR").occurrence(i + 1);
        let code = number(usize::from(e.code.code()));
        // ERR-1 (ELD) before v2.5, ERR-2 (ERL) from v2.5: both start segment^sequence^field.
        let location = err.field(if modern { 2 } else { 1 });
        if let Some(at) = e.location {
            let id = core::str::from_utf8(at.segment()).unwrap_or("");
            put(ack, location.component(1), id);
            put(ack, location.component(2), &number(at.segment_index().unwrap_or(1)));
            if let Some(f) = at.field_number() {
                put(ack, location.component(3), &number(f));
                if modern {
                    put(ack, location.component(4), &number(at.repetition_number().unwrap_or(1)));
                    if let Some(c) = at.component_number() {
                        put(ack, location.component(5), &number(c));
                    }
                    if let Some(s) = at.subcomponent_number() {
                        put(ack, location.component(6), &number(s));
                    }
                }
            }
        }
        if modern {
            put(ack, err.field(3).component(1), &code);
            put(ack, err.field(3).component(2), e.code.text());
            put(ack, err.field(3).component(3), "HL70357");
            put(ack, err.field(4), e.severity.as_str());
        } else if has_subcomponents {
            let eld4 = err.field(1).component(4);
            put(ack, eld4.subcomponent(1), &code);
            put(ack, eld4.subcomponent(2), e.code.text());
            put(ack, eld4.subcomponent(3), "HL70357");
        } else {
            put(ack, err.field(1).component(4), &code);
        }
    }
}

/// Whether a version text is at least `least` (`2.5.1` ≥ `[2, 5, 0]`); `None` when it is not a
/// dotted number of one to three parts.
fn version_at_least(version: &[u8], least: [u32; 3]) -> Option<bool> {
    let text = core::str::from_utf8(version).ok()?;
    let mut have = [0u32; 3];
    for (i, part) in text.trim().split('.').enumerate() {
        *have.get_mut(i)? = part.parse().ok()?;
    }
    Some(have >= least)
}

/// Whether the decoded value of `field`'s first component (or the field when `component` is 0) is
/// one of `allowed`; an empty list allows everything.
fn supported(field: Option<Field<'_>>, component: usize, allowed: &[&str]) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let raw =
        field.and_then(
            |f| if component == 0 { Some(f.as_bytes()) } else { f.component(component).map(|c| c.as_bytes()) },
        );
    raw.is_some_and(|v| allowed.iter().any(|a| a.as_bytes() == v))
}
