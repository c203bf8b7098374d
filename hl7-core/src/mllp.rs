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
//! unterminated frame is reported as [`Error::Truncated`] rather than waited
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
//!   they are an [`Error::JunkBeforeStartBlock`].
//! * **A start block inside a frame**: [`Error::UnexpectedStartBlock`]; the
//!   decoder then resynchronises at the new start block, and reports the
//!   abandoned partial frame as [`Status::Junk`].
//! * **End block not followed by CR**: by default ([`EndPolicy::Strict`]) an
//!   [`Error::MissingCarriageReturn`]; with [`EndPolicy::Lenient`] the end
//!   block alone ends the frame and the byte after it is left in the stream
//!   (a following start block begins the next frame; anything else is junk).
//!   An end block that is the last byte received is [`Status::Partial`]
//!   (a CR may follow) until [`Decoder::finish`] decides.
//! * **Empty frame** (`<SB><EB><CR>`): a [`Status::Complete`] with an empty
//!   payload range; the caller decides whether it means anything.
//! * **Oversized frame**: once more than [`Config::max_frame`] payload bytes
//!   have been received without an end block, [`Error::FrameTooLarge`] is
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

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

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
/// Default [`Config::max_frame`]: 10 MiB of payload.
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
    /// Return [`Error::JunkBeforeStartBlock`]; the bytes are then reported as
    /// junk by the recovery that follows every error.
    Reject,
}

/// What to do when an end block is not followed by a carriage return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EndPolicy {
    /// `<EB>` must be followed by `<CR>`; anything else is
    /// [`Error::MissingCarriageReturn`] (default).
    #[default]
    Strict,
    /// `<EB>` alone ends the frame; a `<CR>` right after it is consumed, any
    /// other byte is left for the next call (start block or junk).
    Lenient,
}

/// Decoder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Config {
    /// Largest accepted payload, in bytes (default [`DEFAULT_MAX_FRAME`]).
    pub max_frame: usize,
    /// Handling of bytes outside frames (default [`JunkPolicy::Report`]).
    pub junk: JunkPolicy,
    /// Handling of an end block without carriage return (default [`EndPolicy::Strict`]).
    pub end: EndPolicy,
}

impl Config {
    /// The defaults: 10 MiB frames, junk reported, strict end.
    #[must_use]
    pub const fn new() -> Self {
        Self { max_frame: DEFAULT_MAX_FRAME, junk: JunkPolicy::Report, end: EndPolicy::Strict }
    }

    /// Sets [`Config::max_frame`].
    #[must_use]
    pub const fn max_frame(mut self, max_frame: usize) -> Self {
        self.max_frame = max_frame;
        self
    }

    /// Sets [`Config::junk`].
    #[must_use]
    pub const fn junk(mut self, junk: JunkPolicy) -> Self {
        self.junk = junk;
        self
    }

    /// Sets [`Config::end`].
    #[must_use]
    pub const fn end(mut self, end: EndPolicy) -> Self {
        self.end = end;
        self
    }
}

impl Default for Config {
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

/// MLLP framing errors. Offsets are stream offsets (see the module docs).
/// `Display` shows kinds, offsets and lengths, never payload bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// [`JunkPolicy::Reject`]: `len` bytes that are not a start block at `offset`.
    JunkBeforeStartBlock {
        /// Stream offset of the first unexpected byte.
        offset: usize,
        /// Bytes up to the next start block (or the end of the buffer so far).
        len: usize,
    },
    /// A start block inside the frame that began at `frame_offset`.
    UnexpectedStartBlock {
        /// Stream offset of the unexpected start block.
        offset: usize,
        /// Stream offset of the start block of the abandoned frame.
        frame_offset: usize,
    },
    /// [`EndPolicy::Strict`]: the byte at `offset`, after an end block, is not a CR.
    MissingCarriageReturn {
        /// Stream offset of the byte that should have been a CR.
        offset: usize,
    },
    /// The frame starting at `offset` has more than `limit` payload bytes.
    FrameTooLarge {
        /// Bytes received after the start block so far (more than `limit`;
        /// the frame may be larger, and the count may include its `<EB><CR>`).
        seen: usize,
        /// The configured [`Config::max_frame`].
        limit: usize,
        /// Stream offset of the frame's start block.
        offset: usize,
    },
    /// [`Decoder::finish`]: the stream ended inside the frame starting at `offset`.
    Truncated {
        /// Stream offset of the frame's start block.
        offset: usize,
        /// Bytes of the unfinished frame (start block included).
        len: usize,
    },
    /// Encoder: the output buffer is too small.
    BufferTooSmall {
        /// Bytes the frame needs.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// Encoder: the payload holds a start or end block byte at `offset`, which
    /// MLLP cannot carry.
    ForbiddenByte {
        /// Index of the byte in the payload.
        offset: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::JunkBeforeStartBlock { offset, len } => {
                write!(f, "MLLP: {len} byte(s) before start block at stream offset {offset}")
            }
            Error::UnexpectedStartBlock { offset, frame_offset } => write!(
                f,
                "MLLP: unexpected start block at stream offset {offset} inside frame starting at {frame_offset}"
            ),
            Error::MissingCarriageReturn { offset } => {
                write!(f, "MLLP: end block not followed by carriage return at stream offset {offset}")
            }
            Error::FrameTooLarge { seen, limit, offset } => write!(
                f,
                "MLLP: frame at stream offset {offset} exceeds the {limit}-byte limit ({seen} bytes received)"
            ),
            Error::Truncated { offset, len } => {
                write!(f, "MLLP: stream ended inside frame at stream offset {offset} ({len} byte(s) received)")
            }
            Error::BufferTooSmall { needed, available } => {
                write!(f, "MLLP: output buffer too small ({needed} byte(s) needed, {available} available)")
            }
            Error::ForbiddenByte { offset } => {
                write!(f, "MLLP: payload holds a start or end block byte at offset {offset}")
            }
        }
    }
}

#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// Recovery state after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Resync {
    /// Normal decoding.
    No,
    /// The byte at the front of the buffer belongs to the bad frame (its
    /// start block): discard it and everything up to the next start block.
    SkipFirst,
    /// Discard everything up to the next start block.
    Seeking,
}

/// Streaming MLLP decoder over caller-provided buffers; never allocates.
///
/// Contract: after each `Ok` result the caller drops exactly
/// [`Status::consumed`] bytes from the front of its buffer and passes the
/// remaining bytes (plus any new ones) to the next call. The decoder keeps
/// only the stream offset, the recovery state and how far the current frame
/// has been scanned (so a large frame arriving in small reads is scanned
/// once, not once per read).
#[derive(Debug, Clone)]
pub struct Decoder {
    config: Config,
    /// Stream offset of the front of the caller's buffer.
    offset: usize,
    /// Payload bytes of the frame at the front already scanned without
    /// finding `SB` or `EB`.
    scanned: usize,
    resync: Resync,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder with the default [`Config`].
    #[must_use]
    pub const fn new() -> Self {
        Self::with_config(Config::new())
    }

    /// A decoder with the given settings.
    #[must_use]
    pub const fn with_config(config: Config) -> Self {
        Self { config, offset: 0, scanned: 0, resync: Resync::No }
    }

    /// The settings in use.
    #[must_use]
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// Stream offset of the front of the caller's buffer: the total of all
    /// bytes consumed so far.
    #[must_use]
    pub const fn stream_offset(&self) -> usize {
        self.offset
    }

    /// Decodes the next event from `buf`, the bytes received and not yet
    /// consumed. Returns [`Status::Partial`] when more bytes are needed.
    ///
    /// ```
    /// use hl7_core::mllp::{Decoder, Status};
    /// let mut d = Decoder::new();
    /// assert_eq!(d.decode(b"\x0bMSH|"), Ok(Status::Partial));
    /// assert_eq!(
    ///     d.decode(b"\x0bMSH|\x1c\r"),
    ///     Ok(Status::Complete { frame: 1..5, consumed: 7 })
    /// );
    /// ```
    pub fn decode(&mut self, buf: &[u8]) -> Result<Status, Error> {
        self.step(buf, false)
    }

    /// Like [`Decoder::decode`], but `buf` is everything that is left: the
    /// stream has ended. An unfinished frame is [`Error::Truncated`]; under
    /// [`EndPolicy::Lenient`] a frame ending with `<EB>` as the very last byte
    /// is complete. Returns [`Status::Partial`] only when `buf` is empty.
    ///
    /// ```
    /// use hl7_core::mllp::{Decoder, Error};
    /// let mut d = Decoder::new();
    /// assert_eq!(
    ///     d.finish(b"\x0bMSH|"),
    ///     Err(Error::Truncated { offset: 0, len: 5 })
    /// );
    /// ```
    pub fn finish(&mut self, buf: &[u8]) -> Result<Status, Error> {
        self.step(buf, true)
    }

    /// Reports the first `len` bytes of the buffer as junk and consumes them.
    fn junk(&mut self, len: usize) -> Status {
        let offset = self.offset;
        self.offset = self.offset.saturating_add(len);
        Status::Junk { offset, len }
    }

    /// Enters recovery and returns `err`.
    fn fail(&mut self, resync: Resync, err: Error) -> Result<Status, Error> {
        self.scanned = 0;
        self.resync = resync;
        Err(err)
    }

    fn step(&mut self, buf: &[u8], eof: bool) -> Result<Status, Error> {
        if buf.is_empty() {
            return Ok(Status::Partial);
        }
        if self.resync != Resync::No {
            let from = usize::from(self.resync == Resync::SkipFirst);
            let next_sb = buf.get(from..).and_then(|rest| memchr::memchr(SB, rest)).map(|i| i.saturating_add(from));
            match next_sb {
                Some(0) => self.resync = Resync::No,
                Some(pos) => {
                    self.resync = Resync::No;
                    return Ok(self.junk(pos));
                }
                None => {
                    self.resync = Resync::Seeking;
                    return Ok(self.junk(buf.len()));
                }
            }
        }

        match buf.split_first() {
            None => Ok(Status::Partial),
            Some((&SB, body)) => self.frame(buf, body, eof),
            Some(_) => self.front_junk(buf),
        }
    }

    /// `buf[0]` is not a start block, outside recovery.
    fn front_junk(&mut self, buf: &[u8]) -> Result<Status, Error> {
        let len = memchr::memchr(SB, buf).unwrap_or(buf.len());
        match self.config.junk {
            JunkPolicy::Report => Ok(self.junk(len)),
            JunkPolicy::Reject => self.fail(Resync::Seeking, Error::JunkBeforeStartBlock { offset: self.offset, len }),
        }
    }

    /// A frame starts at `buf[0]`; its payload would start at `body[0]`.
    fn frame(&mut self, buf: &[u8], body: &[u8], eof: bool) -> Result<Status, Error> {
        let limit = self.config.max_frame;
        let window_end = body.len().min(limit.saturating_add(1));
        let start = self.scanned.min(window_end);
        let found = body
            .get(start..window_end)
            .and_then(|window| memchr::memchr2(SB, EB, window))
            .map(|i| i.saturating_add(start));

        let Some(i) = found else {
            if body.len() > limit {
                return self
                    .fail(Resync::SkipFirst, Error::FrameTooLarge { seen: body.len(), limit, offset: self.offset });
            }
            if eof {
                return self.fail(Resync::SkipFirst, Error::Truncated { offset: self.offset, len: buf.len() });
            }
            self.scanned = window_end;
            return Ok(Status::Partial);
        };

        // body[i] is SB or EB, and i <= limit.
        if body.get(i) == Some(&SB) {
            return self.fail(
                Resync::SkipFirst,
                Error::UnexpectedStartBlock {
                    offset: self.offset.saturating_add(i).saturating_add(1),
                    frame_offset: self.offset,
                },
            );
        }
        // body[i] is EB; the payload is body[..i] = buf[1..=i].
        let frame = 1..i.saturating_add(1);
        let after = i.saturating_add(1);
        let complete = |consumed: usize| Status::Complete { frame: frame.clone(), consumed };
        let status = match (body.get(after), self.config.end) {
            (Some(&CR), _) => complete(after.saturating_add(2)),
            (Some(_), EndPolicy::Lenient) => complete(after.saturating_add(1)),
            (Some(_), EndPolicy::Strict) => {
                return self.fail(
                    Resync::SkipFirst,
                    Error::MissingCarriageReturn { offset: self.offset.saturating_add(after).saturating_add(1) },
                );
            }
            (None, EndPolicy::Lenient) if eof => complete(after.saturating_add(1)),
            (None, EndPolicy::Strict) if eof => {
                return self.fail(Resync::SkipFirst, Error::Truncated { offset: self.offset, len: buf.len() });
            }
            (None, _) => {
                // EB is the last byte so far: a CR may still come.
                self.scanned = i;
                return Ok(Status::Partial);
            }
        };
        self.scanned = 0;
        self.offset = self.offset.saturating_add(status.consumed());
        Ok(status)
    }
}

/// Size of the MLLP frame for a payload of `payload_len` bytes
/// (`payload_len + 3`, saturating).
///
/// ```
/// assert_eq!(hl7_core::mllp::frame_len(10), 13);
/// ```
#[must_use]
pub const fn frame_len(payload_len: usize) -> usize {
    payload_len.saturating_add(3)
}

/// Writes `<SB> payload <EB><CR>` to the front of `out` and returns the
/// number of bytes written ([`frame_len`]`(payload.len())`).
///
/// Fails with [`Error::ForbiddenByte`] if the payload contains [`SB`] or
/// [`EB`], and with [`Error::BufferTooSmall`] if `out` is too short; `out` is
/// not modified on error.
///
/// ```
/// use hl7_core::mllp::{encode_into, Error};
/// let mut out = [0u8; 8];
/// assert_eq!(encode_into(b"MSH|", &mut out), Ok(7));
/// assert_eq!(&out[..7], b"\x0bMSH|\x1c\r");
/// assert_eq!(
///     encode_into(b"MSH|^~\\&|", &mut out),
///     Err(Error::BufferTooSmall { needed: 12, available: 8 })
/// );
/// ```
pub fn encode_into(payload: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    if let Some(offset) = memchr::memchr2(SB, EB, payload) {
        return Err(Error::ForbiddenByte { offset });
    }
    let needed = frame_len(payload.len());
    let too_small = Error::BufferTooSmall { needed, available: out.len() };
    let Some((head, rest)) = out.split_first_mut() else {
        return Err(too_small);
    };
    let Some((body, tail)) = rest.split_at_mut_checked(payload.len()) else {
        return Err(too_small);
    };
    let Some([eb, cr]) = tail.get_mut(..2) else {
        return Err(too_small);
    };
    *head = SB;
    body.copy_from_slice(payload);
    *eb = EB;
    *cr = CR;
    Ok(needed)
}

/// Returns the MLLP frame for `payload` in a new vector (feature `alloc`).
///
/// Fails with [`Error::ForbiddenByte`] if the payload contains [`SB`] or [`EB`].
///
/// ```
/// # #[cfg(feature = "alloc")] {
/// assert_eq!(hl7_core::mllp::encode(b"MSH|").unwrap(), b"\x0bMSH|\x1c\r");
/// # }
/// ```
#[cfg(feature = "alloc")]
pub fn encode(payload: &[u8]) -> Result<Vec<u8>, Error> {
    if let Some(offset) = memchr::memchr2(SB, EB, payload) {
        return Err(Error::ForbiddenByte { offset });
    }
    let mut out = Vec::with_capacity(frame_len(payload.len()));
    out.push(SB);
    out.extend_from_slice(payload);
    out.push(EB);
    out.push(CR);
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    extern crate std;

    use super::*;
    use std::format;
    use std::string::ToString;
    use std::vec;
    use std::vec::Vec;

    /// One decoded event, owned.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Ev {
        Frame(Vec<u8>),
        Junk { offset: usize, len: usize },
        Err(Error),
    }

    /// Feeds `chunks` one by one into a growing buffer, draining events after
    /// each; then calls `finish`. Stops after `max_errors` errors in a row
    /// would loop (errors never consume, so at most one in a row is expected).
    fn run(config: Config, chunks: &[&[u8]]) -> (Vec<Ev>, Vec<u8>) {
        let mut d = Decoder::with_config(config);
        let mut buf = Vec::new();
        let mut evs = Vec::new();
        let drain = |d: &mut Decoder, buf: &mut Vec<u8>, eof: bool, evs: &mut Vec<Ev>| {
            let mut errors_in_a_row = 0;
            loop {
                let r = if eof { d.finish(buf) } else { d.decode(buf) };
                match r {
                    Ok(Status::Complete { frame, consumed }) => {
                        errors_in_a_row = 0;
                        evs.push(Ev::Frame(buf[frame].to_vec()));
                        buf.drain(..consumed);
                    }
                    Ok(Status::Junk { offset, len }) => {
                        errors_in_a_row = 0;
                        assert!(len > 0);
                        evs.push(Ev::Junk { offset, len });
                        buf.drain(..len);
                    }
                    Ok(Status::Partial) => break,
                    Err(e) => {
                        errors_in_a_row += 1;
                        assert!(errors_in_a_row < 2, "two errors in a row: {e:?}");
                        evs.push(Ev::Err(e));
                    }
                }
            }
        };
        for c in chunks {
            buf.extend_from_slice(c);
            drain(&mut d, &mut buf, false, &mut evs);
        }
        let leftover = buf.clone();
        drain(&mut d, &mut buf, true, &mut evs);
        assert!(buf.is_empty(), "finish left bytes");
        (evs, leftover)
    }

    fn frame(p: &[u8]) -> Vec<u8> {
        let mut out = vec![0; frame_len(p.len())];
        let n = encode_into(p, &mut out).unwrap();
        assert_eq!(n, out.len());
        out
    }

    fn f(p: &[u8]) -> Ev {
        Ev::Frame(p.to_vec())
    }

    const MSG: &[u8] = b"MSH|^~\\&|SND|FAC|RCV|FAC|20250101||ADT^A01|1|P|2.5.1\rPID|1||TEST123\r";

    #[test]
    fn constants() {
        assert_eq!((SB, EB, CR), (0x0B, 0x1C, 0x0D));
        assert_eq!(COMMIT_ACK, [0x0B, 0x06, 0x1C, 0x0D]);
        assert_eq!(COMMIT_NAK, [0x0B, 0x15, 0x1C, 0x0D]);
        assert_eq!(Config::default().max_frame, 10 * 1024 * 1024);
    }

    #[test]
    fn single_frame() {
        let s = frame(MSG);
        let mut d = Decoder::new();
        let st = d.decode(&s).unwrap();
        assert_eq!(st, Status::Complete { frame: 1..1 + MSG.len(), consumed: s.len() });
        assert_eq!(d.stream_offset(), s.len());
        assert_eq!(d.decode(&[]), Ok(Status::Partial));
        assert_eq!(d.finish(&[]), Ok(Status::Partial));
    }

    #[test]
    fn every_split_point_partial_then_complete() {
        let s = frame(MSG);
        for cut in 0..s.len() {
            let mut d = Decoder::new();
            assert_eq!(d.decode(&s[..cut]), Ok(Status::Partial), "cut {cut}");
            assert_eq!(d.decode(&s), Ok(Status::Complete { frame: 1..1 + MSG.len(), consumed: s.len() }), "cut {cut}");
        }
        // And byte by byte through the helper (exercises the scan memo).
        let chunks: Vec<&[u8]> = s.chunks(1).collect();
        assert_eq!(run(Config::new(), &chunks).0, vec![f(MSG)]);
    }

    #[test]
    fn several_frames_in_one_read() {
        let mut s = frame(b"A");
        s.extend(frame(b""));
        s.extend(frame(MSG));
        s.extend(frame(b"B\rC\r"));
        let (evs, _) = run(Config::new(), &[&s]);
        assert_eq!(evs, vec![f(b"A"), f(b""), f(MSG), f(b"B\rC\r")]);
    }

    #[test]
    fn empty_frame_is_complete_with_empty_payload() {
        let mut d = Decoder::new();
        assert_eq!(d.decode(&[SB, EB, CR]), Ok(Status::Complete { frame: 1..1, consumed: 3 }));
    }

    #[test]
    fn junk_before_start_block_is_reported_with_stream_offsets() {
        let mut s = b"log line\n".to_vec();
        s.extend(frame(b"A"));
        s.extend(b"\r\n");
        s.extend(frame(b"B"));
        s.extend(b"tail");
        let (evs, _) = run(Config::new(), &[&s]);
        assert_eq!(
            evs,
            vec![
                Ev::Junk { offset: 0, len: 9 },
                f(b"A"),
                Ev::Junk { offset: 13, len: 2 },
                f(b"B"),
                Ev::Junk { offset: 19, len: 4 },
            ]
        );
    }

    #[test]
    fn junk_split_across_reads() {
        let mut s = b"abc".to_vec();
        s.extend(frame(b"A"));
        let (evs, _) = run(Config::new(), &[&s[..2], &s[2..]]);
        assert_eq!(evs, vec![Ev::Junk { offset: 0, len: 2 }, Ev::Junk { offset: 2, len: 1 }, f(b"A")]);
    }

    #[test]
    fn junk_rejected_in_strict_mode_then_recovered() {
        let mut s = b"xx".to_vec();
        s.extend(frame(b"A"));
        let cfg = Config::new().junk(JunkPolicy::Reject);
        let (evs, _) = run(cfg, &[&s]);
        assert_eq!(
            evs,
            vec![Ev::Err(Error::JunkBeforeStartBlock { offset: 0, len: 2 }), Ev::Junk { offset: 0, len: 2 }, f(b"A"),]
        );
        // Junk that runs to the end of a read, with the SB arriving in the next one.
        let (evs, _) = run(cfg, &[&s[..2], &s[2..]]);
        assert_eq!(
            evs,
            vec![Ev::Err(Error::JunkBeforeStartBlock { offset: 0, len: 2 }), Ev::Junk { offset: 0, len: 2 }, f(b"A"),]
        );
    }

    #[test]
    fn start_block_inside_frame_resynchronises() {
        // A frame cut short (sender restarted), then a good frame.
        let mut s = b"\x0bMSH|half".to_vec();
        s.extend(frame(b"A"));
        let (evs, _) = run(Config::new(), &[&s]);
        assert_eq!(
            evs,
            vec![
                Ev::Err(Error::UnexpectedStartBlock { offset: 9, frame_offset: 0 }),
                Ev::Junk { offset: 0, len: 9 },
                f(b"A"),
            ]
        );
        // Same, fed byte by byte.
        let chunks: Vec<&[u8]> = s.chunks(1).collect();
        assert_eq!(run(Config::new(), &chunks).0, evs);
    }

    #[test]
    fn end_block_without_cr_strict() {
        let mut s = b"\x0bA\x1c".to_vec();
        s.extend(frame(b"B"));
        let (evs, _) = run(Config::new(), &[&s]);
        assert_eq!(
            evs,
            vec![Ev::Err(Error::MissingCarriageReturn { offset: 3 }), Ev::Junk { offset: 0, len: 3 }, f(b"B"),]
        );
        // EB then a non-CR, non-SB byte.
        let (evs, _) = run(Config::new(), &[b"\x0bA\x1cX"]);
        assert_eq!(evs, vec![Ev::Err(Error::MissingCarriageReturn { offset: 3 }), Ev::Junk { offset: 0, len: 4 },]);
        // EB as the last byte of the stream.
        let mut d = Decoder::new();
        assert_eq!(d.decode(b"\x0bA\x1c"), Ok(Status::Partial));
        assert_eq!(d.finish(b"\x0bA\x1c"), Err(Error::Truncated { offset: 0, len: 3 }));
    }

    #[test]
    fn end_block_without_cr_lenient() {
        let cfg = Config::new().end(EndPolicy::Lenient);
        let mut s = b"\x0bA\x1c".to_vec();
        s.extend(frame(b"B"));
        s.extend(b"\x0bC\x1c\n");
        s.extend(b"\x0bD\x1c");
        let (evs, _) = run(cfg, &[&s]);
        assert_eq!(evs, vec![f(b"A"), f(b"B"), f(b"C"), Ev::Junk { offset: 10, len: 1 }, f(b"D"),]);
        // EB at end of a read waits for the next byte.
        let mut d = Decoder::with_config(cfg);
        assert_eq!(d.decode(b"\x0bA\x1c"), Ok(Status::Partial));
        assert_eq!(d.decode(b"\x0bA\x1c\r"), Ok(Status::Complete { frame: 1..2, consumed: 4 }));
    }

    #[test]
    fn oversized_frame_is_refused_early() {
        let cfg = Config::new().max_frame(4);
        // Exactly the limit is fine.
        let (evs, _) = run(cfg, &[&frame(b"ABCD")]);
        assert_eq!(evs, vec![f(b"ABCD")]);
        // One more byte, EB not yet received: error as soon as 5 payload bytes are in.
        let mut d = Decoder::with_config(cfg);
        assert_eq!(d.decode(b"\x0bABCD"), Ok(Status::Partial));
        assert_eq!(d.decode(b"\x0bABCDE"), Err(Error::FrameTooLarge { seen: 5, limit: 4, offset: 0 }));
        // The rest of the oversized frame streams out as junk, then the next frame.
        let mut s = b"\x0bABCDEFGHIJ\x1c\r".to_vec();
        s.extend(frame(b"ok"));
        let chunks: Vec<&[u8]> = s.chunks(3).collect();
        let (evs, _) = run(cfg, &chunks);
        assert_eq!(
            evs,
            vec![
                Ev::Err(Error::FrameTooLarge { seen: 5, limit: 4, offset: 0 }),
                Ev::Junk { offset: 0, len: 6 },
                Ev::Junk { offset: 6, len: 3 },
                Ev::Junk { offset: 9, len: 3 },
                Ev::Junk { offset: 12, len: 1 },
                f(b"ok"),
            ]
        );
        // Even in strict-junk mode the recovery junk is reported, not rejected.
        let (evs2, _) = run(cfg.junk(JunkPolicy::Reject), &chunks);
        assert_eq!(evs2, evs);
        // Zero limit: only empty frames pass.
        let (evs, _) = run(Config::new().max_frame(0), &[&frame(b"")]);
        assert_eq!(evs, vec![f(b"")]);
    }

    #[test]
    fn oversized_frame_detected_with_eb_present() {
        let cfg = Config::new().max_frame(2);
        let mut d = Decoder::with_config(cfg);
        assert_eq!(d.decode(&frame(b"ABC")), Err(Error::FrameTooLarge { seen: 5, limit: 2, offset: 0 }));
    }

    #[test]
    fn truncated_at_end_of_stream() {
        let mut s = frame(b"A");
        s.extend(b"\x0bMSH|par");
        let (evs, leftover) = run(Config::new(), &[&s]);
        assert_eq!(leftover, b"\x0bMSH|par");
        assert_eq!(
            evs,
            vec![f(b"A"), Ev::Err(Error::Truncated { offset: 4, len: 8 }), Ev::Junk { offset: 4, len: 8 },]
        );
    }

    #[test]
    fn commit_acknowledgements() {
        let mut s = COMMIT_ACK.to_vec();
        s.extend(COMMIT_NAK);
        s.extend(frame(&[ACK, ACK]));
        let (evs, _) = run(Config::new(), &[&s]);
        let kinds: Vec<_> = evs
            .iter()
            .map(|e| match e {
                Ev::Frame(p) => commit_kind(p),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(kinds, vec![Some(Commit::Ack), Some(Commit::Nak), None]);
        assert_eq!(frame(&[ACK]), COMMIT_ACK);
        assert_eq!(frame(&[NAK]), COMMIT_NAK);
    }

    #[test]
    fn encoder() {
        assert_eq!(frame_len(0), 3);
        assert_eq!(frame_len(usize::MAX), usize::MAX);
        let mut out = [0xAA; 8];
        assert_eq!(encode_into(b"", &mut out), Ok(3));
        assert_eq!(&out[..4], &[SB, EB, CR, 0xAA]);
        let mut out = [0xAA; 6];
        assert_eq!(encode_into(b"ABCD", &mut out), Err(Error::BufferTooSmall { needed: 7, available: 6 }));
        assert_eq!(out, [0xAA; 6], "untouched on error");
        assert_eq!(encode_into(b"", &mut []), Err(Error::BufferTooSmall { needed: 3, available: 0 }));
        assert_eq!(encode_into(b"ab\x1c", &mut [0; 16]), Err(Error::ForbiddenByte { offset: 2 }));
        assert_eq!(encode_into(b"\x0b", &mut [0; 16]), Err(Error::ForbiddenByte { offset: 0 }));
        let mut out = [0; 7];
        assert_eq!(encode_into(b"ABCD", &mut out), Ok(7));
        assert_eq!(&out, b"\x0bABCD\x1c\r");
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn encode_alloc() {
        assert_eq!(encode(MSG).unwrap(), frame(MSG));
        assert_eq!(encode(b"\x1c"), Err(Error::ForbiddenByte { offset: 0 }));
    }

    #[test]
    fn display_has_kinds_and_offsets_not_payload() {
        let errs = [
            Error::JunkBeforeStartBlock { offset: 7, len: 3 },
            Error::UnexpectedStartBlock { offset: 9, frame_offset: 2 },
            Error::MissingCarriageReturn { offset: 11 },
            Error::FrameTooLarge { seen: 12, limit: 10, offset: 5 },
            Error::Truncated { offset: 4, len: 8 },
            Error::BufferTooSmall { needed: 13, available: 2 },
            Error::ForbiddenByte { offset: 6 },
        ];
        for e in errs {
            let s = e.to_string();
            assert!(s.starts_with("MLLP: "), "{s}");
            assert!(s.chars().any(|c| c.is_ascii_digit()), "{s}");
            assert!(s.is_ascii());
        }
        assert_eq!(
            format!("{}", errs[3]),
            "MLLP: frame at stream offset 5 exceeds the 10-byte limit (12 bytes received)"
        );
    }

    #[test]
    fn status_consumed() {
        assert_eq!(Status::Partial.consumed(), 0);
        assert_eq!(Status::Junk { offset: 3, len: 2 }.consumed(), 2);
        assert_eq!(Status::Complete { frame: 1..2, consumed: 4 }.consumed(), 4);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn payload() -> impl Strategy<Value = Vec<u8>> {
            proptest::collection::vec(any::<u8>().prop_filter("no SB/EB", |b| *b != SB && *b != EB), 0..64)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Any payloads, framed and concatenated, fed in any chunking,
            /// decode to the same payloads with no junk and no error.
            #[test]
            fn any_chunking_round_trips(
                payloads in proptest::collection::vec(payload(), 0..8),
                cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..16),
                lenient in any::<bool>(),
            ) {
                let mut stream = Vec::new();
                for p in &payloads {
                    stream.extend(frame(p));
                }
                let mut points: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
                points.push(0);
                points.push(stream.len());
                points.sort_unstable();
                points.dedup();
                let chunks: Vec<&[u8]> = points.windows(2).map(|w| &stream[w[0]..w[1]]).collect();
                let cfg = if lenient { Config::new().end(EndPolicy::Lenient) } else { Config::new() };
                let (evs, leftover) = run(cfg, &chunks);
                prop_assert!(leftover.is_empty());
                let expected: Vec<Ev> = payloads.iter().map(|p| Ev::Frame(p.clone())).collect();
                prop_assert_eq!(evs, expected);
            }

            /// Arbitrary bytes in arbitrary chunks never panic, every byte is
            /// accounted for exactly once (frames + junk), and errors never
            /// repeat without progress.
            #[test]
            fn arbitrary_bytes_are_all_accounted_for(
                stream in proptest::collection::vec(
                    prop_oneof![Just(SB), Just(EB), Just(CR), any::<u8>()], 0..200),
                chunk in 1usize..17,
                max_frame in 0usize..40,
                reject in any::<bool>(),
                lenient in any::<bool>(),
            ) {
                let mut cfg = Config::new().max_frame(max_frame);
                if reject { cfg = cfg.junk(JunkPolicy::Reject); }
                if lenient { cfg = cfg.end(EndPolicy::Lenient); }
                let chunks: Vec<&[u8]> = stream.chunks(chunk).collect();
                let (evs, _) = run(cfg, &chunks);
                // Rebuild: frames and junk tile the stream in order.
                let mut pos = 0usize;
                for e in &evs {
                    match e {
                        Ev::Junk { offset, len } => {
                            prop_assert_eq!(*offset, pos);
                            pos += len;
                        }
                        Ev::Frame(p) => {
                            prop_assert!(p.len() <= max_frame);
                            prop_assert_eq!(stream.get(pos), Some(&SB));
                            prop_assert_eq!(&stream[pos + 1..pos + 1 + p.len()], &p[..]);
                            prop_assert_eq!(stream.get(pos + 1 + p.len()), Some(&EB));
                            pos += p.len() + 2;
                            if stream.get(pos) == Some(&CR) { pos += 1; }
                        }
                        Ev::Err(_) => {}
                    }
                }
                prop_assert_eq!(pos, stream.len());
            }
        }
    }
}
