//! Validation: a message against its structure, field rules and tables, as HL7 error codes.
//!
//! [`validate_message`] gives [`Diagnostic`]s with the HL7 error code of table 0357 (the same
//! [`AckErrorCode`] the acknowledgment builder writes), a [`ErrorSeverity`], what was found
//! ([`Problem`]) and where ([`DiagnosticLocation`]: segment id, 1-based segment position, field,
//! repetition, component, byte offset). Diagnostics never hold or print field content.
//!
//! - 100 segment sequence: from [`structure::group`](crate::structure::group): a required segment
//!   missing, a segment out of order (errors); a segment the structure does not have (warning; Z
//!   segments only when [`ValidationOptions::z_segments`] asks, as information).
//! - 101 required field missing, 102 data type error, 103 table value not found, 104 value too long:
//!   from the field rules of `data/fields.txt` (the important fields of the segments of the
//!   supported structures) and the tables of `data/tables.txt`. Values outside a user-defined table
//!   are warnings (sites extend those tables); outside an HL7 table, errors. OBX-5 is checked as
//!   the type OBX-2 names.
//! - 200–203: MSH-9.1 not in table 0076, MSH-9.2 not in 0003, MSH-11.1 not in 0103, MSH-12.1 not
//!   in 0104 (errors). A known message type without a structure in the table gives 200 as
//!   information: its segment sequence was not checked.
//! - 204–207 are application outcomes (keys, locks, internal errors); a message alone cannot show
//!   them, so they are never produced here.
//!
//! ```
//! use hl7_core::Message;
//! use hl7_messaging::validate::{validate_message, ValidationOptions, Problem};
//!
//! let msg = Message::parse(b"MSH|^~\\&|LAB|H|EHR|H|20240101||ORU^R01|1|P|2.5.1\r\
//! PID|1||123^^^H^MR||DOE^JANE||19801301\rOBR|1||X|GLU\rOBX|1|NM|GLU||high||||||F\r").unwrap();
//! let found = validate_message(&msg, &ValidationOptions::default());
//! let codes: Vec<u16> = found.iter().map(|d| d.code.code()).collect();
//! assert_eq!(codes, [102, 102]); // PID-7 month 13, OBX-5 not a number
//! assert_eq!(found[0].location.segment_index, Some(2));
//! assert_eq!(found[0].location.field, Some(7));
//! assert_eq!(found[0].to_string(), "E 102 data type error (month out of range) at PID segment 2 field 7[1].1, byte 82");
//! ```

use alloc::vec::Vec;
use core::fmt;

mod fields;
mod tables;

pub use crate::ack::{AckErrorCode, ErrorSeverity};
pub use tables::{table_contains, table_kind, TableKind};

use crate::ack::AckError;
use crate::index::SegmentIndex;
use crate::structure::{Structure, StructureError, UnexpectedReason, Version};
use fields::{check_datatype, rules_for, Usage};
use hl7_core::types::{Msg, Pt, TypeErrorKind, Vid};
use hl7_core::{Field, Message, Path, Segment};

/// What to check. All on by default except the report of Z-segments.
///
/// ```
/// use hl7_messaging::validate::ValidationOptions;
/// let mut options = ValidationOptions::default();
/// options.user_tables = false; // site codes are not ours to judge
/// assert!(options.structure && options.fields);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[allow(clippy::struct_excessive_bools)] // independent switches, one per check
pub struct ValidationOptions {
    /// Segment sequence (100).
    pub structure: bool,
    /// Required fields and datatypes (101, 102).
    pub fields: bool,
    /// Table values (103).
    pub tables: bool,
    /// Include user-defined tables (0001, 0002, 0004, 0203…) in the table check, as warnings.
    pub user_tables: bool,
    /// Maximum lengths (104).
    pub lengths: bool,
    /// Header codes (200–203).
    pub header: bool,
    /// Report Z-segments as information (100).
    pub z_segments: bool,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            structure: true,
            fields: true,
            tables: true,
            user_tables: true,
            lengths: true,
            header: true,
            z_segments: false,
        }
    }
}

/// What a diagnostic found. Kinds and numbers only, never content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Problem {
    /// A required segment (or group, named by its first segment) is missing (100).
    SegmentMissing,
    /// The segment is in the structure, but not after what came before it (100).
    SegmentOutOfOrder,
    /// The structure has no such segment (100).
    SegmentNotInStructure,
    /// A required field is empty (101).
    FieldMissing,
    /// A value does not fit its datatype (102).
    DataType(TypeErrorKind),
    /// A coded value is not in the table (103).
    TableValue {
        /// Table number.
        table: u16,
    },
    /// A value is longer than allowed (104).
    TooLong {
        /// Maximum length in bytes.
        max: usize,
        /// Actual length in bytes.
        len: usize,
    },
    /// MSH-9.1 is not in table 0076 (200).
    MessageType,
    /// No structure is known for this message type and version; the segment sequence was not
    /// checked (200, information).
    StructureNotChecked,
    /// MSH-9.2 is not in table 0003 (201).
    EventCode,
    /// MSH-11.1 is not in table 0103 (202).
    ProcessingId,
    /// MSH-12.1 is not in table 0104 (203).
    VersionId,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::SegmentMissing => f.write_str("required segment missing"),
            Problem::SegmentOutOfOrder => f.write_str("segment out of order"),
            Problem::SegmentNotInStructure => f.write_str("segment not in message structure"),
            Problem::FieldMissing => f.write_str("required field missing"),
            Problem::DataType(kind) => write!(f, "data type error ({kind})"),
            Problem::TableValue { table } => write!(f, "value not in table {table:04}"),
            Problem::TooLong { max, len } => write!(f, "value of {len} bytes longer than {max}"),
            Problem::MessageType => f.write_str("unsupported message type"),
            Problem::StructureNotChecked => f.write_str("no message structure known; sequence not checked"),
            Problem::EventCode => f.write_str("unsupported event code"),
            Problem::ProcessingId => f.write_str("unsupported processing id"),
            Problem::VersionId => f.write_str("unsupported version id"),
        }
    }
}

/// Where a diagnostic points. Numbers are 1-based as in HL7; `offset` is a byte offset in the input.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DiagnosticLocation {
    /// Segment id (for a missing segment: the one expected).
    pub segment: [u8; 3],
    /// Position of the segment in the message (MSH is 1). For a missing segment: the segment that
    /// came in its place; `None` when it was expected at the end.
    pub segment_index: Option<usize>,
    /// Field number.
    pub field: Option<usize>,
    /// Repetition number.
    pub repetition: Option<usize>,
    /// Component number.
    pub component: Option<usize>,
    /// Byte offset of the segment or value concerned (for a missing segment at the end: the end of
    /// the message).
    pub offset: usize,
}

impl DiagnosticLocation {
    fn at_segment(segment: &Segment<'_>, index: usize) -> Self {
        let mut id = [b'?'; 3];
        for (d, s) in id.iter_mut().zip(segment.id()) {
            *d = *s;
        }
        DiagnosticLocation {
            segment: id,
            segment_index: Some(index),
            field: None,
            repetition: None,
            component: None,
            offset: segment.offset(),
        }
    }

    /// The segment id as text (`???` when not ASCII).
    pub fn segment_str(&self) -> &str {
        core::str::from_utf8(&self.segment).unwrap_or("???")
    }
}

impl fmt::Debug for DiagnosticLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DiagnosticLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.segment_str())?;
        match self.segment_index {
            Some(i) => write!(f, " segment {i}")?,
            None => f.write_str(" at end")?,
        }
        if let Some(field) = self.field {
            write!(f, " field {field}")?;
            if let Some(r) = self.repetition {
                write!(f, "[{r}]")?;
            }
            if let Some(c) = self.component {
                write!(f, ".{c}")?;
            }
        }
        write!(f, ", byte {}", self.offset)
    }
}

/// One finding: HL7 error code, severity, what, where.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// HL7 table 0357 code.
    pub code: AckErrorCode,
    /// Error, warning or information.
    pub severity: ErrorSeverity,
    /// What was found.
    pub problem: Problem,
    /// Where.
    pub location: DiagnosticLocation,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {} at {}", self.severity.as_str(), self.code.code(), self.problem, self.location)
    }
}

impl Diagnostic {
    /// The diagnostic as an error for an acknowledgment's ERR segment (the location as a path with
    /// the segment's occurrence, `PID[1]-3[1].5`).
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::validate::{validate_message, ValidationOptions};
    /// let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rEVN|A01|20240101\rPID|1\rPV1|1|I\r").unwrap();
    /// let found = validate_message(&msg, &ValidationOptions::default());
    /// let err = found[0].to_ack_error(&msg);
    /// assert_eq!(err.code.code(), 101);
    /// assert_eq!(err.location.unwrap().to_string(), "PID[1]-3");
    /// ```
    pub fn to_ack_error(&self, msg: &Message<'_>) -> AckError {
        let error = AckError::new(self.code).with_severity(self.severity);
        let occurrence = self
            .location
            .segment_index
            .map(|i| msg.segments().take(i).filter(|s| s.id() == self.location.segment.as_slice()).count().max(1));
        let l = &self.location;
        let mut path = Path::new(&l.segment);
        if let Some(n) = occurrence {
            path = path.occurrence(n);
        }
        if let Some(field) = l.field {
            path = path.field(field);
            if let Some(r) = l.repetition {
                path = path.repetition(r);
            }
            if let Some(c) = l.component {
                path = path.component(c);
            }
        }
        error.at(path)
    }
}

/// Validates a message. Diagnostics come in message order, header codes first.
pub fn validate_message(msg: &Message<'_>, options: &ValidationOptions) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // The segments are found once; the structure check and the field checks read them from here.
    let index = SegmentIndex::new(msg);
    let version = Version::of_message(msg).unwrap_or(Version::new(2, 5, 0));
    let code_known = if options.header { check_header(msg, &mut out) } else { true };
    if options.structure {
        check_structure(&index, *options, code_known, &mut out);
    }
    if options.fields || options.tables || options.lengths {
        let mut fields = Vec::new();
        for (i, segment) in index.all().iter().enumerate() {
            check_segment(segment, i + 1, version, *options, &mut fields, &mut out);
        }
    }
    out.sort_by_key(|d| (d.code.code() < 200, d.location.segment_index.unwrap_or(usize::MAX), d.location.offset));
    out
}

fn header_diagnostic(
    msh: &Segment<'_>,
    code: AckErrorCode,
    problem: Problem,
    field: usize,
    value: hl7_core::Value<'_>,
) -> Diagnostic {
    let mut location = DiagnosticLocation::at_segment(msh, 1);
    location.field = Some(field);
    location.repetition = Some(1);
    location.component = Some(1);
    location.offset = value.offset();
    Diagnostic { code, severity: ErrorSeverity::Error, problem, location }
}

/// A value that is there: not absent, empty or the HL7 null.
fn valued(v: Option<hl7_core::Value<'_>>) -> Option<hl7_core::Value<'_>> {
    v.filter(|v| !v.is_empty() && !v.is_null())
}

/// 200–203; returns whether the message code is a known one (or absent: then 101 reports it).
fn check_header(msg: &Message<'_>, out: &mut Vec<Diagnostic>) -> bool {
    let Some(msh) = msg.segment(b"MSH") else { return true };
    let mut known = true;
    if let Some(f) = msh.field(9) {
        let t = Msg::from_field(f);
        if let Some(code) = valued(t.message_code()) {
            if table_contains(76, code.as_bytes()) == Some(false) {
                known = false;
                out.push(header_diagnostic(&msh, AckErrorCode::UnsupportedMessageType, Problem::MessageType, 9, code));
            }
        }
        if let Some(event) = valued(t.trigger_event()) {
            if table_contains(3, event.as_bytes()) == Some(false) {
                let mut d = header_diagnostic(&msh, AckErrorCode::UnsupportedEventCode, Problem::EventCode, 9, event);
                d.location.component = Some(2);
                out.push(d);
            }
        }
    }
    if let Some(id) = valued(msh.field(11).map(Pt::from_field).and_then(|p| p.processing_id())) {
        if table_contains(103, id.as_bytes()) == Some(false) {
            out.push(header_diagnostic(&msh, AckErrorCode::UnsupportedProcessingId, Problem::ProcessingId, 11, id));
        }
    }
    if let Some(v) = valued(msh.field(12).map(Vid::from_field).and_then(|v| v.version_id())) {
        if table_contains(104, v.as_bytes()) == Some(false) {
            out.push(header_diagnostic(&msh, AckErrorCode::UnsupportedVersionId, Problem::VersionId, 12, v));
        }
    }
    known
}

fn check_structure(index: &SegmentIndex<'_>, options: ValidationOptions, code_known: bool, out: &mut Vec<Diagnostic>) {
    let msg = index.message();
    let structure = match Structure::for_message(msg) {
        Ok(s) => s,
        Err(StructureError::UnknownStructure) if code_known => {
            if let Some(msh) = msg.segment(b"MSH") {
                let mut location = DiagnosticLocation::at_segment(&msh, 1);
                location.field = Some(9);
                out.push(Diagnostic {
                    code: AckErrorCode::UnsupportedMessageType,
                    severity: ErrorSeverity::Information,
                    problem: Problem::StructureNotChecked,
                    location,
                });
            }
            return;
        }
        Err(_) => return,
    };
    let grouped = structure.group(msg);
    for missing in grouped.missing() {
        let offset = match missing.before {
            Some(i) => index.at(i).map_or(0, |s| s.offset()),
            None => msg.offset() + msg.as_bytes().len(),
        };
        let location = DiagnosticLocation {
            segment: missing.segment,
            segment_index: missing.before,
            field: None,
            repetition: None,
            component: None,
            offset,
        };
        out.push(Diagnostic {
            code: AckErrorCode::SegmentSequenceError,
            severity: ErrorSeverity::Error,
            problem: Problem::SegmentMissing,
            location,
        });
    }
    for u in grouped.unexpected() {
        let Some(segment) = index.at(u.index) else { continue };
        let z = segment.id().first() == Some(&b'Z');
        let (severity, problem) = match u.reason {
            UnexpectedReason::OutOfOrder => (ErrorSeverity::Error, Problem::SegmentOutOfOrder),
            _ if z && !options.z_segments => continue,
            _ if z => (ErrorSeverity::Information, Problem::SegmentNotInStructure),
            _ => (ErrorSeverity::Warning, Problem::SegmentNotInStructure),
        };
        out.push(Diagnostic {
            code: AckErrorCode::SegmentSequenceError,
            severity,
            problem,
            location: DiagnosticLocation::at_segment(&segment, u.index),
        });
    }
}

fn check_segment<'a>(
    segment: &Segment<'a>,
    index: usize,
    version: Version,
    options: ValidationOptions,
    fields: &mut Vec<Field<'a>>,
    out: &mut Vec<Diagnostic>,
) {
    let located = |field: usize, rep: Option<usize>, component: Option<usize>, offset: usize| {
        let mut l = DiagnosticLocation::at_segment(segment, index);
        l.field = Some(field);
        l.repetition = rep;
        l.component = component;
        l.offset = offset;
        l
    };
    let header = segment.id() == b"MSH";
    let rules = rules_for(segment.id(), version);
    // The fields the rules name, split once (a lookup by number would rescan the segment per rule).
    fields.clear();
    fields.extend(segment.fields().take(rules.iter().map(|r| r.field).max().unwrap_or(0)));
    for rule in rules {
        let present = rule.field.checked_sub(1).and_then(|i| fields.get(i)).copied();
        let Some(field) = present.filter(|f| !f.is_empty()) else {
            if options.fields && rule.usage == Usage::Required {
                // Where the value belongs: the empty field, or the end of a shorter segment.
                let offset = present.map_or(segment.offset() + segment.as_bytes().len(), |f| f.offset());
                out.push(Diagnostic {
                    code: AckErrorCode::RequiredFieldMissing,
                    severity: ErrorSeverity::Error,
                    problem: Problem::FieldMissing,
                    location: located(rule.field, None, None, offset),
                });
            }
            continue;
        };
        for (r, rep) in field.repetitions().enumerate() {
            let r = Some(r + 1);
            if options.fields {
                if let Some((e, component)) = check_datatype(rule.datatype, rep) {
                    out.push(Diagnostic {
                        code: AckErrorCode::DataTypeError,
                        severity: ErrorSeverity::Error,
                        problem: Problem::DataType(e.kind()),
                        location: located(rule.field, r, component, e.offset()),
                    });
                }
            }
            if options.lengths {
                if let Some(max) = rule.max_len.filter(|&max| rep.len() > max) {
                    out.push(Diagnostic {
                        code: AckErrorCode::ValueTooLong,
                        severity: ErrorSeverity::Warning,
                        problem: Problem::TooLong { max, len: rep.len() },
                        location: located(rule.field, r, None, rep.offset()),
                    });
                }
            }
            if options.tables && !header {
                if let Some(d) = check_table_value(rule.table, rep, options, |c, o| located(rule.field, r, Some(c), o))
                {
                    out.push(d);
                }
            }
        }
    }
    if segment.id() == b"OBX" && options.fields {
        check_obx_value(segment, &located, out);
    }
}

fn check_table_value(
    table: Option<(u16, usize)>,
    rep: hl7_core::Repetition<'_>,
    options: ValidationOptions,
    located: impl Fn(usize, usize) -> DiagnosticLocation,
) -> Option<Diagnostic> {
    let (number, component) = table?;
    let kind = table_kind(number)?;
    if kind == TableKind::User && !options.user_tables {
        return None;
    }
    let value = rep.component(component).filter(|c| !c.is_empty() && !c.is_null())?;
    if table_contains(number, value.as_bytes())? {
        return None;
    }
    let severity = if kind == TableKind::Hl7 { ErrorSeverity::Error } else { ErrorSeverity::Warning };
    Some(Diagnostic {
        code: AckErrorCode::TableValueNotFound,
        severity,
        problem: Problem::TableValue { table: number },
        location: located(component, value.offset()),
    })
}

/// OBX-2 is required when OBX-5 is valued (101); OBX-5 is checked as the type OBX-2 names (102).
fn check_obx_value(
    segment: &Segment<'_>,
    located: &impl Fn(usize, Option<usize>, Option<usize>, usize) -> DiagnosticLocation,
    out: &mut Vec<Diagnostic>,
) {
    let Some(value) = segment.field(5).filter(|f| !f.is_empty()) else { return };
    let value_type = segment.field(2).filter(|f| !f.is_empty());
    let Some(value_type) = value_type else {
        out.push(Diagnostic {
            code: AckErrorCode::RequiredFieldMissing,
            severity: ErrorSeverity::Error,
            problem: Problem::FieldMissing,
            location: located(2, None, None, value.offset()),
        });
        return;
    };
    let datatype = match value_type.as_bytes() {
        b"NM" => "NM",
        b"SN" => "SN",
        b"DT" => "DT",
        b"TM" => "TM",
        b"TS" => "TS",
        b"DTM" => "DTM",
        b"CQ" => "CQ",
        _ => return,
    };
    for (r, rep) in value.repetitions().enumerate() {
        if let Some((e, component)) = check_datatype(datatype, rep) {
            out.push(Diagnostic {
                code: AckErrorCode::DataTypeError,
                severity: ErrorSeverity::Error,
                problem: Problem::DataType(e.kind()),
                location: located(5, Some(r + 1), component, e.offset()),
            });
        }
    }
}

/// Checks the field and table data files; returns the first bad line (`fields.txt` line number).
///
/// ```
/// assert_eq!(hl7_messaging::validate::check_tables(), Ok(()));
/// ```
pub fn check_tables() -> Result<(), usize> {
    fields::check_table()
}
