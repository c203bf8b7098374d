//! `Batch::entries` on arbitrary bytes (default and strict options): iteration ends, entries come in
//! order inside the input, every message is walked and written back byte-exact, each entry's
//! `span()` covers its bytes (an envelope segment's terminator too), the bytes no entry covers are
//! MLLP start blocks or hold an error's offset, and `Batch::write` gives the input back.
#![no_main]

use hl7_core::{Batch, BatchEntry, ParseOptions};
use hl7_core_fuzz::{same_bytes, walk, written};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for options in [ParseOptions::default(), ParseOptions::strict()] {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let mut errors: Vec<usize> = Vec::new();
        let mut count = 0usize;
        let batch = Batch::with_options(data, &options);
        for item in batch.entries() {
            count += 1;
            assert!(count <= data.len() + 2, "batch iteration does not end");
            if let Ok(entry) = &item {
                let span = entry.span();
                assert!(span.start <= span.end && span.end <= data.len(), "span past the input");
            }
            match item {
                Ok(BatchEntry::Message(msg)) => {
                    walk(&msg);
                    assert!(written(&msg) == msg.as_bytes(), "write() differs from the message bytes");
                    spans.push((msg.offset(), msg.as_bytes().len()));
                }
                Ok(
                    BatchEntry::FileHeader(seg)
                    | BatchEntry::BatchHeader(seg)
                    | BatchEntry::BatchTrailer(seg)
                    | BatchEntry::FileTrailer(seg),
                ) => {
                    let _ = (seg.fields().count(), format!("{seg:?}"));
                    assert!(
                        seg.terminator().iter().all(|&b| matches!(b, b'\r' | b'\n')),
                        "an envelope terminator holds more than line breaks"
                    );
                    spans.push((seg.offset(), seg.as_bytes().len() + seg.terminator().len()));
                }
                Ok(BatchEntry::Skipped(s)) => spans.push((s.offset, s.len)),
                Ok(other) => {
                    let _ = format!("{other:?}");
                }
                Err(e) => {
                    assert!(e.offset() <= data.len(), "error offset past the input");
                    errors.push(e.offset());
                }
            }
        }
        spans.sort_unstable();
        let mut at = 0usize;
        for &(offset, len) in spans.iter().chain(std::iter::once(&(data.len(), 0))) {
            assert!(offset + len <= data.len(), "item past the input");
            if offset > at {
                let gap = &data[at..offset];
                let explained = gap.iter().all(|&b| b == 0x0B)
                    || errors.iter().any(|&e| e >= at && e <= offset);
                assert!(explained, "bytes {at}..{offset} are in no item and no error");
            }
            assert!(offset >= at || offset + len <= at, "items overlap at {offset}");
            at = at.max(offset + len);
        }
        let mut out = Vec::with_capacity(data.len());
        batch.write(|b| out.extend_from_slice(b));
        same_bytes(&out, data, "Batch::write differs from the input");
    }
});
