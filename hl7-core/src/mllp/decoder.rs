//! The streaming decoder.

use super::{DecoderOptions, EndPolicy, JunkPolicy, MllpError, MllpErrorKind, Status, CR, EB, SB};

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
    options: DecoderOptions,
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
    /// A decoder with the default [`DecoderOptions`].
    #[must_use]
    pub const fn new() -> Self {
        Self::with_options(DecoderOptions::new())
    }

    /// A decoder with the given settings.
    #[must_use]
    pub const fn with_options(options: DecoderOptions) -> Self {
        Self { options, offset: 0, scanned: 0, resync: Resync::No }
    }

    /// The settings in use.
    #[must_use]
    pub const fn options(&self) -> &DecoderOptions {
        &self.options
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
    pub fn decode(&mut self, buf: &[u8]) -> Result<Status, MllpError> {
        self.step(buf, false)
    }

    /// Like [`Decoder::decode`], but `buf` is everything that is left: the
    /// stream has ended. An unfinished frame is [`MllpErrorKind::Truncated`]; under
    /// [`EndPolicy::Lenient`] a frame ending with `<EB>` as the very last byte
    /// is complete. Returns [`Status::Partial`] only when `buf` is empty.
    ///
    /// ```
    /// use hl7_core::mllp::{Decoder, MllpError, MllpErrorKind};
    /// let mut d = Decoder::new();
    /// assert_eq!(
    ///     d.finish(b"\x0bMSH|"),
    ///     Err(MllpError::new(MllpErrorKind::Truncated { len: 5 }, 0))
    /// );
    /// ```
    pub fn finish(&mut self, buf: &[u8]) -> Result<Status, MllpError> {
        self.step(buf, true)
    }

    /// Reports the first `len` bytes of the buffer as junk and consumes them.
    fn junk(&mut self, len: usize) -> Status {
        let offset = self.offset;
        self.offset = self.offset.saturating_add(len);
        Status::Junk { offset, len }
    }

    /// Enters recovery and returns `err`.
    fn fail(&mut self, resync: Resync, err: MllpError) -> Result<Status, MllpError> {
        self.scanned = 0;
        self.resync = resync;
        Err(err)
    }

    fn step(&mut self, buf: &[u8], eof: bool) -> Result<Status, MllpError> {
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
    fn front_junk(&mut self, buf: &[u8]) -> Result<Status, MllpError> {
        let len = memchr::memchr(SB, buf).unwrap_or(buf.len());
        match self.options.junk {
            JunkPolicy::Report => Ok(self.junk(len)),
            JunkPolicy::Reject => {
                self.fail(Resync::Seeking, MllpError::new(MllpErrorKind::JunkBeforeStartBlock { len }, self.offset))
            }
        }
    }

    /// A frame starts at `buf[0]`; its payload would start at `body[0]`.
    fn frame(&mut self, buf: &[u8], body: &[u8], eof: bool) -> Result<Status, MllpError> {
        let limit = self.options.max_frame;
        let window_end = body.len().min(limit.saturating_add(1));
        let start = self.scanned.min(window_end);
        let found = body
            .get(start..window_end)
            .and_then(|window| memchr::memchr2(SB, EB, window))
            .map(|i| i.saturating_add(start));

        let Some(i) = found else {
            if body.len() > limit {
                return self.fail(
                    Resync::SkipFirst,
                    MllpError::new(MllpErrorKind::FrameTooLarge { seen: body.len(), limit }, self.offset),
                );
            }
            if eof {
                return self
                    .fail(Resync::SkipFirst, MllpError::new(MllpErrorKind::Truncated { len: buf.len() }, self.offset));
            }
            self.scanned = window_end;
            return Ok(Status::Partial);
        };

        // body[i] is SB or EB, and i <= limit.
        if body.get(i) == Some(&SB) {
            return self.fail(
                Resync::SkipFirst,
                MllpError::new(
                    MllpErrorKind::UnexpectedStartBlock { frame_offset: self.offset },
                    self.offset.saturating_add(i).saturating_add(1),
                ),
            );
        }
        // body[i] is EB; the payload is body[..i] = buf[1..=i].
        let frame = 1..i.saturating_add(1);
        let after = i.saturating_add(1);
        let complete = |consumed: usize| Status::Complete { frame: frame.clone(), consumed };
        let status = match (body.get(after), self.options.end) {
            (Some(&CR), _) => complete(after.saturating_add(2)),
            (Some(_), EndPolicy::Lenient) => complete(after.saturating_add(1)),
            (Some(_), EndPolicy::Strict) => {
                return self.fail(
                    Resync::SkipFirst,
                    MllpError::new(
                        MllpErrorKind::MissingCarriageReturn,
                        self.offset.saturating_add(after).saturating_add(1),
                    ),
                );
            }
            (None, EndPolicy::Lenient) if eof => complete(after.saturating_add(1)),
            (None, EndPolicy::Strict) if eof => {
                return self
                    .fail(Resync::SkipFirst, MllpError::new(MllpErrorKind::Truncated { len: buf.len() }, self.offset));
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
