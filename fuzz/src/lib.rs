//! Shared checks for the hl7-core fuzz targets.
//!
//! Every check asserts a property of the parsed tree; none prints content (PHI rule: a failing
//! assertion names the property, the offsets and the lengths only).

use hl7_core::{Chunk, Limits, Message, Unescape};

/// Checks that a view's bytes are exactly the input bytes at its offset.
fn check_slice(input: &[u8], offset: usize, bytes: &[u8], what: &str) {
    let end = offset.checked_add(bytes.len());
    let at = end.and_then(|e| input.get(offset..e));
    assert!(at == Some(bytes), "{what} at {offset} (len {}) is not the input slice at its offset", bytes.len());
}

/// Decodes a value chunk by chunk and checks each chunk against the raw bytes: malformed and
/// verbatim escapes are subslices of the input at their offset; the decoded length is bounded by
/// the raw length (escapes never expand). Returns the decoded bytes.
pub fn decode(input: &[u8], raw: &[u8], chunks: Unescape<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    for c in chunks {
        match c {
            Chunk::Malformed { bytes, offset } => {
                check_slice(input, offset, bytes, "malformed escape");
                out.extend_from_slice(bytes);
            }
            other => other.with_bytes(|b| out.extend_from_slice(b)),
        }
    }
    assert!(out.len() <= raw.len(), "decoded value ({}) longer than raw ({})", out.len(), raw.len());
    out
}

/// Walks every segment, field, repetition, component and subcomponent; checks offsets, 1-based
/// accessors, decoding and the shape-only `Debug` output. Returns the number of views visited.
pub fn walk(msg: &Message<'_>) -> usize {
    let input = msg.input();
    let mut views = 0usize;
    let mut segments = 0usize;
    let mut prev_end = msg.header_offset();
    for seg in msg.segments() {
        segments += 1;
        assert!(seg.offset() >= prev_end, "segment at {} overlaps the previous one", seg.offset());
        check_slice(input, seg.offset(), seg.as_bytes(), "segment");
        prev_end = seg.offset() + seg.as_bytes().len() + seg.terminator().len();
        assert!(seg.terminator().iter().all(|&b| b == b'\r' || b == b'\n'), "terminator holds other bytes");
        let _ = format!("{seg:?}");
        assert!(seg.field(0).is_none());
        for (fi, field) in seg.fields().enumerate() {
            views += 1;
            check_slice(input, field.offset(), field.as_bytes(), "field");
            if fi < 4 {
                let again = seg.field(fi + 1).map(|f| (f.offset(), f.len()));
                assert_eq!(again, Some((field.offset(), field.len())), "field(n) disagrees with fields()");
            }
            let decoded = decode(input, field.as_bytes(), field.unescape());
            assert_eq!(decoded, &*field.to_cow(), "to_cow disagrees with unescape");
            let _ = field.check_escapes();
            let _ = format!("{field:?}");
            assert!(field.repetition(0).is_none());
            for rep in field.repetitions() {
                views += 1;
                check_slice(input, rep.offset(), rep.as_bytes(), "repetition");
                let _ = rep.to_cow();
                assert!(rep.component(0).is_none());
                for comp in rep.components() {
                    views += 1;
                    check_slice(input, comp.offset(), comp.as_bytes(), "component");
                    let _ = decode(input, comp.as_bytes(), comp.unescape());
                    assert!(comp.subcomponent(0).is_none());
                    for sub in comp.subcomponents() {
                        views += 1;
                        check_slice(input, sub.offset(), sub.as_bytes(), "subcomponent");
                        let decoded = decode(input, sub.as_bytes(), sub.unescape());
                        assert_eq!(decoded, &*sub.to_cow(), "subcomponent to_cow disagrees with unescape");
                        let _ = (sub.is_null(), sub.is_empty(), format!("{sub:?}"));
                    }
                }
            }
        }
    }
    assert_eq!(segments, msg.segment_count(), "segments() and segment_count() disagree");
    views
}

/// Checks that a message parsed with `limits` never exceeds them (the parser's cheap pre-count
/// must not let anything through).
pub fn check_within_limits(msg: &Message<'_>, limits: &Limits) {
    assert!(msg.segment_count() <= limits.max_segments, "segments over the limit");
    for seg in msg.segments() {
        assert!(seg.field_count() <= limits.max_fields, "fields over the limit at {}", seg.offset());
        for field in seg.fields() {
            assert!(field.len() <= limits.max_field_bytes, "field bytes over the limit at {}", field.offset());
            assert!(field.repetitions().count() <= limits.max_repetitions, "reps over the limit at {}", field.offset());
            for rep in field.repetitions() {
                assert!(rep.components().count() <= limits.max_components, "components over at {}", rep.offset());
                for comp in rep.components() {
                    let n = comp.subcomponents().count();
                    assert!(n <= limits.max_subcomponents, "subcomponents over the limit at {}", comp.offset());
                }
            }
        }
    }
}

/// Writes a message back from its parts.
pub fn written(msg: &Message<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.as_bytes().len());
    msg.write(|b| out.extend_from_slice(b));
    out
}

/// Asserts `a == b` naming only the property, the lengths and the first differing offset (an
/// `assert_eq!` would print the bytes, i.e. message content).
pub fn same_bytes(a: &[u8], b: &[u8], what: &str) {
    if a != b {
        let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
        panic!("{what}: {} vs {} bytes, first difference at {at}", a.len(), b.len());
    }
}

/// Asserts `a == b` naming only the property (for values whose `Debug` would show content).
pub fn same<T: PartialEq + ?Sized>(a: &T, b: &T, what: &str) {
    assert!(a == b, "{what}");
}
