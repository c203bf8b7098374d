//! The encoder.

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

use super::{MllpError, MllpErrorKind, CR, EB, SB};

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
/// Fails with [`MllpErrorKind::ForbiddenByte`] if the payload contains [`SB`] or
/// [`EB`], and with [`MllpErrorKind::BufferTooSmall`] if `out` is too short; `out` is
/// not modified on error.
///
/// ```
/// use hl7_core::mllp::{encode_into, MllpError, MllpErrorKind};
/// let mut out = [0u8; 8];
/// assert_eq!(encode_into(b"MSH|", &mut out), Ok(7));
/// assert_eq!(&out[..7], b"\x0bMSH|\x1c\r");
/// assert_eq!(
///     encode_into(b"MSH|^~\\&|", &mut out),
///     Err(MllpError::new(MllpErrorKind::BufferTooSmall { needed: 12, available: 8 }, 8))
/// );
/// ```
pub fn encode_into(payload: &[u8], out: &mut [u8]) -> Result<usize, MllpError> {
    if let Some(offset) = memchr::memchr2(SB, EB, payload) {
        return Err(MllpError::new(MllpErrorKind::ForbiddenByte, offset));
    }
    let needed = frame_len(payload.len());
    let too_small = MllpError::new(MllpErrorKind::BufferTooSmall { needed, available: out.len() }, out.len());
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
/// Fails with [`MllpErrorKind::ForbiddenByte`] if the payload contains [`SB`] or [`EB`].
///
/// ```
/// # #[cfg(feature = "alloc")] {
/// assert_eq!(hl7_core::mllp::encode(b"MSH|").unwrap(), b"\x0bMSH|\x1c\r");
/// # }
/// ```
#[cfg(feature = "alloc")]
pub fn encode(payload: &[u8]) -> Result<Vec<u8>, MllpError> {
    if let Some(offset) = memchr::memchr2(SB, EB, payload) {
        return Err(MllpError::new(MllpErrorKind::ForbiddenByte, offset));
    }
    let mut out = Vec::with_capacity(frame_len(payload.len()));
    out.push(SB);
    out.extend_from_slice(payload);
    out.push(EB);
    out.push(CR);
    Ok(out)
}
