//! Reading an acknowledgment that came back: the sending side's view.
//!
//! [`read_reply`] checks what a sender must check before it trusts an answer: there is an MSA,
//! MSA-1 is a code of table 0008, and MSA-2 names the control id (MSH-10) of the message that was
//! sent. Each failure is a typed [`ReplyError`] with the offset; no content is ever printed.

use core::fmt;

use super::{AckCode, AckErrorCode};
use hl7_core::Chunk;
use hl7_core::Message;
use hl7_core::Segment;
use hl7_core::Value;

/// Why an answer cannot be taken as the acknowledgment of the message sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplyError {
    /// The answer has no MSA segment (`offset`: the start of the answer).
    NoMsa {
        /// Byte offset.
        offset: usize,
    },
    /// MSA-1 is empty or not a code of table 0008 (`offset`: MSA-1, or MSA when it is absent).
    UnknownCode {
        /// Byte offset.
        offset: usize,
    },
    /// MSA-2 is empty or is not the control id of the message sent (`offset`: MSA-2 or MSA).
    ControlIdMismatch {
        /// Byte offset.
        offset: usize,
    },
}

impl ReplyError {
    /// Byte offset of the problem in the answer.
    pub fn offset(&self) -> usize {
        match *self {
            ReplyError::NoMsa { offset }
            | ReplyError::UnknownCode { offset }
            | ReplyError::ControlIdMismatch { offset } => offset,
        }
    }
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            ReplyError::NoMsa { .. } => "acknowledgment without MSA",
            ReplyError::UnknownCode { .. } => "MSA-1 is not an acknowledgment code",
            ReplyError::ControlIdMismatch { .. } => "MSA-2 does not match the control id sent",
        };
        write!(f, "{what} at byte {}", self.offset())
    }
}

impl core::error::Error for ReplyError {}

/// An acknowledgment that matches the message sent.
#[derive(Clone, Copy)]
pub struct Reply<'a> {
    /// MSA-1.
    pub code: AckCode,
    msg: Message<'a>,
}

impl fmt::Debug for Reply<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply").field("code", &self.code).field("errors", &self.errors().count()).finish()
    }
}

impl<'a> Reply<'a> {
    /// The error codes of the ERR segments, in order: ERR-3.1 (v2.5+) or ERR-1.4.1 (before);
    /// `None` for an ERR whose code is missing or not in table 0357.
    ///
    /// ```
    /// use hl7_messaging::ack::{read_reply, AckErrorCode};
    /// use hl7_core::Message;
    /// let answer = Message::parse(b"MSH|^~\\&|B||A||||ACK^A01^ACK|9|P|2.5\rMSA|AE|C1\rERR||PID^1^3|101^Required field missing^HL70357|E\r").unwrap();
    /// let reply = read_reply(&answer, b"C1").unwrap();
    /// assert_eq!(reply.errors().collect::<Vec<_>>(), [Some(AckErrorCode::RequiredFieldMissing)]);
    /// ```
    pub fn errors(&self) -> impl Iterator<Item = Option<AckErrorCode>> + 'a {
        self.msg.segments().filter(|s| s.id() == b"ERR").map(|err| error_code(&err))
    }
}

fn error_code(err: &Segment<'_>) -> Option<AckErrorCode> {
    let modern = err.field(3).and_then(|f| f.component(1)).map(|c| c.as_bytes()).filter(|b| !b.is_empty());
    let code = modern.or_else(|| {
        let eld = err.field(1).and_then(|f| f.component(4)).and_then(|c| c.subcomponent(1));
        eld.map(|s| s.as_bytes())
    })?;
    let text = core::str::from_utf8(code).ok()?;
    AckErrorCode::from_code(text.trim().parse().ok()?)
}

/// Whether the decoded value equals `expected`, without allocating.
fn decoded_eq(value: Value<'_>, expected: &[u8]) -> bool {
    let mut rest = expected;
    for chunk in value.unescape() {
        let ok = chunk.with_bytes(|b| match rest.strip_prefix(b) {
            Some(tail) => {
                rest = tail;
                true
            }
            None => false,
        });
        if !ok || matches!(chunk, Chunk::Malformed { .. }) {
            return false;
        }
    }
    rest.is_empty()
}

/// Reads an answer to a message whose MSH-10 was `sent_control_id` (decoded bytes).
///
/// ```
/// use hl7_messaging::ack::{read_reply, AckCode, ReplyError};
/// use hl7_core::Message;
/// let answer = Message::parse(b"MSH|^~\\&|B||A||||ACK^A01^ACK|9|P|2.5\rMSA|AA|C1\r").unwrap();
/// assert_eq!(read_reply(&answer, b"C1").unwrap().code, AckCode::ApplicationAccept);
/// assert!(matches!(read_reply(&answer, b"C2"), Err(ReplyError::ControlIdMismatch { offset: 44 })));
/// ```
pub fn read_reply<'a>(answer: &Message<'a>, sent_control_id: &[u8]) -> Result<Reply<'a>, ReplyError> {
    let Some(msa) = answer.segment(b"MSA") else {
        return Err(ReplyError::NoMsa { offset: answer.header_offset() });
    };
    let msa1 = msa.field(1).and_then(|f| f.component(1));
    let code = msa1
        .and_then(|c| AckCode::from_code(c.as_bytes()))
        .ok_or(ReplyError::UnknownCode { offset: msa1.map_or(msa.offset(), |c| c.offset()) })?;
    let msa2 = msa.field(2);
    match msa2 {
        Some(f) if !f.is_empty() && decoded_eq(f.into(), sent_control_id) => Ok(Reply { code, msg: *answer }),
        _ => Err(ReplyError::ControlIdMismatch { offset: msa2.map_or(msa.offset(), |f| f.offset()) }),
    }
}
