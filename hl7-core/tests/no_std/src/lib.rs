//! A `#![no_std]` crate without `alloc` that parses a message with hl7-core: if hl7-core pulled in
//! `std` or `alloc` without its features, this crate would not build with `--no-default-features`
//! semantics. Built in CI with `cargo build -p hl7-core-no-std-check`.
#![no_std]

use hl7_core::{Chunk, Message};

/// Parses `input` and sums the decoded bytes of every subcomponent; `None` when it does not parse.
///
/// ```
/// assert_eq!(hl7_core_no_std_check::decoded_len(b"MSH|^~\\&|A\rPID|1||a\\S\\b\r"), Some(10));
/// ```
pub fn decoded_len(input: &[u8]) -> Option<usize> {
    let msg = Message::parse(input).ok()?;
    let mut n = 0;
    for seg in msg.segments() {
        for field in seg.fields() {
            for rep in field.repetitions() {
                for comp in rep.components() {
                    for sub in comp.subcomponents() {
                        n += sub.unescape().map(|c: Chunk<'_>| c.with_bytes(<[u8]>::len)).sum::<usize>();
                    }
                }
            }
        }
    }
    Some(n)
}
