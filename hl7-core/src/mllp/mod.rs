//! MLLP (Minimal Lower Layer Protocol) framing: a streaming, allocation-free
//! decoder and an encoder.
//!
//! An MLLP frame is `<SB> payload <EB><CR>` with [`SB`] = `0x0B`,
//! [`EB`] = `0x1C` and [`CR`] = `0x0D`. The payload is one HL7 message (or, in
//! MLLP release 2, a one-byte commit acknowledgement, see [`COMMIT_ACK`] and
//! [`COMMIT_NAK`]).
//!
//! The module depends only on `core` and `memchr`; [`encode`] needs the
//! `alloc` feature.
//!
//! # Decoding
//!
//! [`Decoder`] works in the spirit of `httparse`: hand it all the bytes
//! received so far; it returns a [`Status`] telling how many bytes to drop
//! from the front of the buffer (`consumed`) and, for a complete frame, where
//! the payload is. Call again until it returns [`Status::Partial`], then read
//! more bytes. At end of stream call [`Decoder::finish`] instead, so an
//! unterminated frame is reported as [`MllpErrorKind::Truncated`] rather than waited
//! for.
//!
//! ```
//! use hl7_core::mllp::{self, Decoder, Status};
//!
//! // Some log noise, then two frames, the second split across two reads.
//! let reads: [&[u8]; 2] = [
//!     b"noise\x0bMSH|^~\\&|A\r\x1c\r\x0bMSH|^~\\&|",
//!     b"B\r\x1c\r",
//! ];
//! let mut decoder = Decoder::new();
//! let mut buf: Vec<u8> = Vec::new();
//! let mut messages = Vec::new();
//! let mut junk = 0;
//! for read in reads {
//!     buf.extend_from_slice(read);
//!     loop {
//!         match decoder.decode(&buf).expect("well-formed stream") {
//!             Status::Complete { frame, consumed } => {
//!                 messages.push(buf[frame].to_vec());
//!                 buf.drain(..consumed);
//!             }
//!             Status::Junk { offset, len } => {
//!                 assert_eq!((offset, len), (0, 5)); // never silent
//!                 junk += len;
//!                 buf.drain(..len);
//!             }
//!             Status::Partial => break,
//!         }
//!     }
//! }
//! assert!(buf.is_empty());
//! assert_eq!(junk, 5);
//! assert_eq!(messages, [b"MSH|^~\\&|A\r".to_vec(), b"MSH|^~\\&|B\r".to_vec()]);
//!
//! // Encoding is the reverse.
//! let mut out = [0u8; 32];
//! let n = mllp::encode_into(b"MSH|^~\\&|A\r", &mut out).unwrap();
//! assert_eq!(&out[..n], b"\x0bMSH|^~\\&|A\r\x1c\r");
//! ```
//!
//! # Policies
//!
//! * **Bytes before a start block** (junk): by default skipped and reported
//!   as [`Status::Junk`] events, never silently; with [`JunkPolicy::Reject`]
//!   they are an [`MllpErrorKind::JunkBeforeStartBlock`].
//! * **A start block inside a frame**: [`MllpErrorKind::UnexpectedStartBlock`]; the
//!   decoder then resynchronises at the new start block, and reports the
//!   abandoned partial frame as [`Status::Junk`].
//! * **End block not followed by CR**: by default ([`EndPolicy::Strict`]) an
//!   [`MllpErrorKind::MissingCarriageReturn`]; with [`EndPolicy::Lenient`] the end
//!   block alone ends the frame and the byte after it is left in the stream
//!   (a following start block begins the next frame; anything else is junk).
//!   An end block that is the last byte received is [`Status::Partial`]
//!   (a CR may follow) until [`Decoder::finish`] decides.
//! * **Empty frame** (`<SB><EB><CR>`): a [`Status::Complete`] with an empty
//!   payload range; the caller decides whether it means anything.
//! * **Oversized frame**: once more than [`DecoderOptions::max_frame`] payload bytes
//!   have been received without an end block, [`MllpErrorKind::FrameTooLarge`] is
//!   returned at once (the decoder never needs more than `max_frame + 3`
//!   buffered bytes), and the rest of that frame is then reported as junk.
//! * **After any error** the decoder is in recovery: the next calls discard
//!   the bad frame (or rejected junk) up to the next start block and report
//!   the discarded bytes as [`Status::Junk`], whatever the [`JunkPolicy`].
//!   So an error never consumes bytes; the junk events that follow do.
//! * **Offsets** in errors and junk events are stream offsets: bytes counted
//!   from the first byte ever given to this decoder. Frame ranges are indices
//!   into the buffer of the current call.
//! * **PHI**: errors display kinds, offsets and lengths, never payload bytes.

use core::fmt;
use core::ops::Range;

/// Start block: the first byte of every MLLP frame (`0x0B`, vertical tab).
pub const SB: u8 = 0x0B;
/// End block: the byte after the payload (`0x1C`, file separator).
pub const EB: u8 = 0x1C;
/// Carriage return: the last byte of every MLLP frame (`0x0D`).
pub const CR: u8 = 0x0D;
/// ASCII ACK (`0x06`): the payload of an MLLP release 2 commit acknowledgement.
pub const ACK: u8 = 0x06;
/// ASCII NAK (`0x15`): the payload of an MLLP release 2 negative commit acknowledgement.
pub const NAK: u8 = 0x15;
/// A complete MLLP release 2 commit acknowledgement frame: `<SB><ACK><EB><CR>`.
pub const COMMIT_ACK: [u8; 4] = [SB, ACK, EB, CR];
/// A complete MLLP release 2 negative commit acknowledgement frame: `<SB><NAK><EB><CR>`.
pub const COMMIT_NAK: [u8; 4] = [SB, NAK, EB, CR];
/// Default [`DecoderOptions::max_frame`]: 10 MiB of payload.
pub const DEFAULT_MAX_FRAME: usize = 10 * 1024 * 1024;

/// An MLLP release 2 commit acknowledgement, recognised by [`commit_kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Commit {
    /// `<ACK>`: the receiver has committed the message to storage.
    Ack,
    /// `<NAK>`: the receiver could not commit the message.
    Nak,
}

/// Tells whether a decoded frame payload is an MLLP release 2 commit
/// acknowledgement (a payload of exactly one [`ACK`] or [`NAK`] byte).
///
/// ```
/// use hl7_core::mllp::{commit_kind, Commit, Decoder, Status, COMMIT_NAK};
/// let mut d = Decoder::new();
/// let Ok(Status::Complete { frame, .. }) = d.decode(&COMMIT_NAK) else { panic!() };
/// assert_eq!(commit_kind(&COMMIT_NAK[frame]), Some(Commit::Nak));
/// assert_eq!(commit_kind(b"MSH|^~\\&"), None);
/// ```
#[must_use]
pub fn commit_kind(payload: &[u8]) -> Option<Commit> {
    match payload {
        [ACK] => Some(Commit::Ack),
        [NAK] => Some(Commit::Nak),
        _ => None,
    }
}

/// What to do with bytes found where a start block was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum JunkPolicy {
    /// Skip them and report each run as a [`Status::Junk`] event (default).
    #[default]
    Report,
    /// Return [`MllpErrorKind::JunkBeforeStartBlock`]; the bytes are then reported as
    /// junk by the recovery that follows every error.
    Reject,
}

/// What to do when an end block is not followed by a carriage return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EndPolicy {
    /// `<EB>` must be followed by `<CR>`; anything else is
    /// [`MllpErrorKind::MissingCarriageReturn`] (default).
    #[default]
    Strict,
    /// `<EB>` alone ends the frame; a `<CR>` right after it is consumed, any
    /// other byte is left for the next call (start block or junk).
    Lenient,
}

/// Decoder options (a plain struct with `Default`, like [`crate::ParseOptions`]).
///
/// ```
/// use hl7_core::mllp::{DecoderOptions, EndPolicy};
/// let mut options = DecoderOptions::default();
/// options.max_frame = 1 << 20;
/// options.end = EndPolicy::Lenient;
/// assert_eq!(options, DecoderOptions::new().max_frame(1 << 20).end(EndPolicy::Lenient));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DecoderOptions {
    /// Largest accepted payload, in bytes (default [`DEFAULT_MAX_FRAME`]).
    pub max_frame: usize,
    /// Handling of bytes outside frames (default [`JunkPolicy::Report`]).
    pub junk: JunkPolicy,
    /// Handling of an end block without carriage return (default [`EndPolicy::Strict`]).
    pub end: EndPolicy,
}

impl DecoderOptions {
    /// The defaults: 10 MiB frames, junk reported, strict end.
    #[must_use]
    pub const fn new() -> Self {
        Self { max_frame: DEFAULT_MAX_FRAME, junk: JunkPolicy::Report, end: EndPolicy::Strict }
    }

    /// Sets [`DecoderOptions::max_frame`].
    #[must_use]
    pub const fn max_frame(mut self, max_frame: usize) -> Self {
        self.max_frame = max_frame;
        self
    }

    /// Sets [`DecoderOptions::junk`].
    #[must_use]
    pub const fn junk(mut self, junk: JunkPolicy) -> Self {
        self.junk = junk;
        self
    }

    /// Sets [`DecoderOptions::end`].
    #[must_use]
    pub const fn end(mut self, end: EndPolicy) -> Self {
        self.end = end;
        self
    }
}

impl Default for DecoderOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// The outcome of one successful [`Decoder::decode`] or [`Decoder::finish`] call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    /// A whole frame. `frame` indexes the payload (without `<SB>`, `<EB>`,
    /// `<CR>`) in the buffer given to this call; the caller then drops the
    /// first `consumed` bytes of that buffer.
    Complete {
        /// Payload range in the buffer given to this call (may be empty).
        frame: Range<usize>,
        /// Bytes to drop from the front of the buffer (the whole frame).
        consumed: usize,
    },
    /// The first `len` bytes of the buffer are not part of any frame (bytes
    /// before a start block, or a frame abandoned after an error). The caller
    /// drops them.
    Junk {
        /// Stream offset of the first junk byte.
        offset: usize,
        /// Number of junk bytes, all at the front of the buffer; drop them.
        len: usize,
    },
    /// More bytes are needed (or, from [`Decoder::finish`], nothing is left).
    /// Nothing is consumed.
    Partial,
}

impl Status {
    /// Number of bytes the caller must drop from the front of its buffer.
    #[must_use]
    pub fn consumed(&self) -> usize {
        match *self {
            Status::Complete { consumed, .. } => consumed,
            Status::Junk { len, .. } => len,
            Status::Partial => 0,
        }
    }
}

/// An MLLP framing error: what went wrong ([`MllpErrorKind`]) and where (a stream offset, see the
/// module docs; for the encoder, an index in the payload or the output buffer). The same shape as
/// [`crate::ParseError`]. `Display` shows kinds, offsets and lengths, never payload bytes.
///
/// ```
/// use hl7_core::mllp::{Decoder, MllpError, MllpErrorKind};
/// let err = Decoder::new().finish(b"\x0bMSH|").unwrap_err();
/// assert_eq!(err.kind(), MllpErrorKind::Truncated { len: 5 });
/// assert_eq!(err.offset(), 0);
/// assert_eq!(err, MllpError::new(MllpErrorKind::Truncated { len: 5 }, 0));
/// assert_eq!(err.to_string(), "MLLP: stream ended inside frame at stream offset 0 (5 byte(s) received)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MllpError {
    kind: MllpErrorKind,
    offset: usize,
}

impl MllpError {
    /// An error of `kind` at `offset`.
    #[cold]
    #[must_use]
    pub const fn new(kind: MllpErrorKind, offset: usize) -> Self {
        MllpError { kind, offset }
    }

    /// What went wrong.
    #[must_use]
    pub const fn kind(&self) -> MllpErrorKind {
        self.kind
    }

    /// Where: the stream offset of the byte or frame the error is about (see each kind).
    #[must_use]
    pub const fn offset(&self) -> usize {
        self.offset
    }
}

/// What went wrong in MLLP framing. The offset of an [`MllpError`] says where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MllpErrorKind {
    /// [`JunkPolicy::Reject`]: `len` bytes that are not a start block (offset: the first).
    JunkBeforeStartBlock {
        /// Bytes up to the next start block (or the end of the buffer so far).
        len: usize,
    },
    /// A start block inside a frame (offset: the unexpected start block).
    UnexpectedStartBlock {
        /// Stream offset of the start block of the abandoned frame.
        frame_offset: usize,
    },
    /// [`EndPolicy::Strict`]: the byte after an end block is not a CR (offset: that byte).
    MissingCarriageReturn,
    /// A frame has more than `limit` payload bytes (offset: its start block).
    FrameTooLarge {
        /// Bytes received after the start block so far (more than `limit`;
        /// the frame may be larger, and the count may include its `<EB><CR>`).
        seen: usize,
        /// The configured [`DecoderOptions::max_frame`].
        limit: usize,
    },
    /// [`Decoder::finish`]: the stream ended inside a frame (offset: its start block).
    Truncated {
        /// Bytes of the unfinished frame (start block included).
        len: usize,
    },
    /// Encoder: the output buffer is too small (offset: its length, where the frame stops fitting).
    BufferTooSmall {
        /// Bytes the frame needs.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// Encoder: the payload holds a start or end block byte, which MLLP cannot carry (offset: its
    /// index in the payload).
    ForbiddenByte,
}

impl fmt::Display for MllpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let offset = self.offset;
        match self.kind {
            MllpErrorKind::JunkBeforeStartBlock { len } => {
                write!(f, "MLLP: {len} byte(s) before start block at stream offset {offset}")
            }
            MllpErrorKind::UnexpectedStartBlock { frame_offset } => write!(
                f,
                "MLLP: unexpected start block at stream offset {offset} inside frame starting at {frame_offset}"
            ),
            MllpErrorKind::MissingCarriageReturn => {
                write!(f, "MLLP: end block not followed by carriage return at stream offset {offset}")
            }
            MllpErrorKind::FrameTooLarge { seen, limit } => write!(
                f,
                "MLLP: frame at stream offset {offset} exceeds the {limit}-byte limit ({seen} bytes received)"
            ),
            MllpErrorKind::Truncated { len } => {
                write!(f, "MLLP: stream ended inside frame at stream offset {offset} ({len} byte(s) received)")
            }
            MllpErrorKind::BufferTooSmall { needed, available } => {
                write!(f, "MLLP: output buffer too small ({needed} byte(s) needed, {available} available)")
            }
            MllpErrorKind::ForbiddenByte => {
                write!(f, "MLLP: payload holds a start or end block byte at offset {offset}")
            }
        }
    }
}

#[cfg(feature = "std")]
extern crate std;

impl core::error::Error for MllpError {}

mod decoder;
mod encode;
#[cfg(test)]
mod tests;

pub use decoder::Decoder;
#[cfg(feature = "alloc")]
pub use encode::encode;
pub use encode::{encode_into, frame_len};
