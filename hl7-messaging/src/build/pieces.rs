//! Byte-level work on one segment: splitting into pieces, padding, replacing, removing, escaping.
//!
//! A segment is split on the field separator (piece 0 is the id), a field on the repetition
//! separator, and so on down. Every split goes through hl7-core's one splitter
//! ([`Scan::pieces`]), the same the parser's views use, so an edit finds exactly the piece a reader
//! finds, and separator bytes inside multi-byte characters are never taken for separators.

use alloc::vec::Vec;

use super::{BuildError, Level, Target};
use hl7_core::Delimiters;
use hl7_core::Scan;

pub(super) fn header_segment(id: &[u8], d: &Delimiters) -> Vec<u8> {
    let (bytes, n) = d.header_bytes();
    let mut out = id.to_vec();
    out.extend_from_slice(bytes.get(..n).unwrap_or_default());
    out
}

pub(super) fn check_segment_id(id: &[u8]) -> Result<(), BuildError> {
    match id {
        [a, b, c] if a.is_ascii_uppercase() && [b, c].iter().all(|x| x.is_ascii_uppercase() || x.is_ascii_digit()) => {
            Ok(())
        }
        _ => Err(BuildError::InvalidSegmentId),
    }
}

pub(super) fn check_raw(raw: &[u8], target: &Target, scan: Scan) -> Result<(), BuildError> {
    if memchr::memchr2(b'\r', b'\n', raw).is_some() {
        return Err(BuildError::RawTerminator);
    }
    if target.forbidden.iter().flatten().any(|&sep| scan.find(raw, sep).is_some()) {
        return Err(BuildError::RawDelimiter);
    }
    Ok(())
}

/// Escapes a value with the one escape policy of [`hl7_core::escape()`] (delimiters, CR, LF and
/// the framing bytes 0x0B, 0x1B, 0x1C).
pub(super) fn escape_value(value: &[u8], d: &Delimiters) -> Result<Vec<u8>, BuildError> {
    hl7_core::escape(value, d).map(alloc::borrow::Cow::into_owned).map_err(|_| BuildError::CannotEscape)
}

/// Byte range of the 0-based `piece` of `bytes` split on `sep`, or `None` when there are fewer pieces.
pub(super) fn piece_range(bytes: &[u8], sep: u8, scan: Scan, piece: usize) -> Option<core::ops::Range<usize>> {
    scan.pieces(bytes, sep).nth(piece).map(|(p, at)| at..at + p.len())
}

/// Rebuilds `bytes` with its `levels[0]` piece replaced by the edit of the next levels, padding
/// with separators when the piece does not exist yet.
pub(super) fn edit_levels(
    bytes: &[u8],
    levels: &[Level],
    scan: Scan,
    leaf: impl FnOnce(&[u8]) -> Result<Vec<u8>, BuildError>,
) -> Result<Vec<u8>, BuildError> {
    let Some((level, rest)) = levels.split_first() else {
        return leaf(bytes);
    };
    let (range, pad) = if let Some(r) = piece_range(bytes, level.sep, scan, level.piece) {
        (r, 0)
    } else {
        // Count the pieces there are to know how many separators to add.
        let have = 1 + count_separators(bytes, level.sep, scan);
        (bytes.len()..bytes.len(), (level.piece + 1).saturating_sub(have))
    };
    let old = bytes.get(range.clone()).unwrap_or_default();
    let new = edit_levels(old, rest, scan, leaf)?;
    let mut out = Vec::with_capacity(bytes.len() + pad + new.len());
    out.extend_from_slice(bytes.get(..range.start).unwrap_or_default());
    out.resize(out.len() + pad, level.sep);
    out.extend_from_slice(&new);
    out.extend_from_slice(bytes.get(range.end..).unwrap_or_default());
    Ok(out)
}

fn count_separators(bytes: &[u8], sep: u8, scan: Scan) -> usize {
    scan.pieces(bytes, sep).count().saturating_sub(1)
}

/// `bytes` without its 0-based `piece` (split on `sep`) and one separator next to it.
pub(super) fn remove_piece(bytes: &[u8], sep: u8, scan: Scan, piece: usize) -> Vec<u8> {
    let Some(range) = piece_range(bytes, sep, scan, piece) else {
        return bytes.to_vec();
    };
    let (cut_start, cut_end) = if range.start > 0 {
        (range.start - 1, range.end)
    } else if range.end < bytes.len() {
        (range.start, range.end + 1)
    } else {
        (range.start, range.end)
    };
    let mut out = bytes.get(..cut_start).unwrap_or_default().to_vec();
    out.extend_from_slice(bytes.get(cut_end..).unwrap_or_default());
    out
}
