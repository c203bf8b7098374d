//! Structured round trip: an arbitrary message tree (segments incl. Z-segments, fields,
//! repetitions, components, subcomponents of arbitrary text incl. delimiters) is written with a
//! random legal delimiter set and random terminators, every value escaped with
//! `hl7_core::escape`; parsing it gives the same segment count and every value reads back by path.
#![no_main]

use std::fmt;

use arbitrary::Arbitrary;
use hl7_core::{escape, Delimiters, Message, ParseOptions};
use hl7_core_fuzz::{walk, written};
use libfuzzer_sys::fuzz_target;

const PUNCT: &[u8; 32] = b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const IDS: [&[u8; 3]; 12] =
    [b"PID", b"PV1", b"OBX", b"NTE", b"OBR", b"EVN", b"ZPD", b"ZZ1", b"Z01", b"ZXY", b"BTS", b"FTS"];
const TERMINATORS: [&[u8]; 3] = [b"\r", b"\n", b"\r\n"];

type Text = Vec<u8>;

#[derive(Arbitrary)]
struct Segment {
    id: u8,
    terminator: u8,
    blank_lines: u8,
    fields: Vec<Vec<Vec<Vec<Text>>>>,
}

#[derive(Arbitrary)]
struct Tree {
    field: u8,
    encoding: [u8; 5],
    encoding_len: u8,
    final_terminator: bool,
    segments: Vec<Segment>,
}

// Shape only: harnesses never print message content.
impl fmt::Debug for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tree").field("segments", &self.segments.len()).finish_non_exhaustive()
    }
}

fn delimiters(tree: &Tree) -> Delimiters {
    let field = PUNCT[usize::from(tree.field % 32)];
    let n = 2 + usize::from(tree.encoding_len % 4);
    let mut enc: Vec<u8> = Vec::new();
    for &b in &tree.encoding {
        // Walk the punctuation ring to the next unused character.
        let mut i = usize::from(b % 32);
        while PUNCT[i] == field || enc.contains(&PUNCT[i]) {
            i = (i + 1) % 32;
        }
        if enc.len() < n {
            enc.push(PUNCT[i]);
        }
    }
    Delimiters::new(field, &enc).expect("distinct punctuation is a legal set")
}

/// At least one element per level (an empty field is one empty repetition, etc.).
fn non_empty<T: Clone + Default>(v: &[T], max: usize) -> Vec<T> {
    if v.is_empty() {
        vec![T::default()]
    } else {
        v.iter().take(max).cloned().collect()
    }
}

fn join(out: &mut Vec<u8>, parts: &[Vec<u8>], sep: u8) {
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(sep);
        }
        out.extend_from_slice(p);
    }
}

fuzz_target!(|tree: Tree| {
    let d = delimiters(&tree);
    // ESC would switch the scanner to ISO 2022 and 0x1C ends an MLLP frame: neither is plain text.
    let clean = |t: &Text| -> Text {
        let t: Text = t.iter().copied().filter(|&b| b != 0x1B && b != 0x1C).take(24).collect();
        if d.escape().is_some() {
            t
        } else {
            // Without an escape character, only bytes the escape policy leaves as they are.
            t.into_iter().filter(|&b| !d.is_delimiter(b) && !matches!(b, b'\r' | b'\n' | 0x0B)).collect()
        }
    };
    // The model: per segment (id, fields → reps → comps → subs of decoded text).
    let mut model: Vec<(&[u8; 3], Vec<Vec<Vec<Vec<Text>>>>)> = Vec::new();
    let (hdr, hn) = d.header_bytes();
    let mut bytes = b"MSH".to_vec();
    bytes.extend_from_slice(&hdr[..hn]);
    bytes.extend_from_slice(&[d.field(), b'S']);
    let segs: Vec<&Segment> = tree.segments.iter().take(24).collect();
    let mut terminator: &[u8] = TERMINATORS[0];
    for seg in &segs {
        bytes.extend_from_slice(terminator);
        terminator = TERMINATORS[usize::from(seg.terminator % 3)];
        for _ in 0..seg.blank_lines % 3 {
            bytes.extend_from_slice(terminator);
        }
        let id = IDS[usize::from(seg.id) % IDS.len()];
        bytes.extend_from_slice(id);
        let mut fields = Vec::new();
        for f in seg.fields.iter().take(12) {
            let mut reps = Vec::new();
            let mut rep_bytes = Vec::new();
            for r in non_empty(f, 4) {
                let mut comps = Vec::new();
                let mut comp_bytes = Vec::new();
                for c in non_empty(&r, 5) {
                    let subs: Vec<Text> =
                        non_empty(&c, if d.subcomponent().is_some() { 3 } else { 1 }).iter().map(clean).collect();
                    let escaped: Vec<Vec<u8>> =
                        subs.iter().map(|s| escape(s, &d).expect("clean text escapes").into_owned()).collect();
                    let mut cb = Vec::new();
                    join(&mut cb, &escaped, d.subcomponent().unwrap_or(b'?'));
                    comp_bytes.push(cb);
                    comps.push(subs);
                }
                let mut rb = Vec::new();
                join(&mut rb, &comp_bytes, d.component());
                rep_bytes.push(rb);
                reps.push(comps);
            }
            bytes.push(d.field());
            join(&mut bytes, &rep_bytes, d.repetition());
            fields.push(reps);
        }
        model.push((id, fields));
    }
    if tree.final_terminator {
        bytes.extend_from_slice(terminator);
    }

    let msg = Message::parse_with(&bytes, &ParseOptions::default()).expect("a well-formed message parses");
    walk(&msg);
    assert_eq!(msg.segment_count(), model.len() + 1, "segment count differs");
    assert!(written(&msg) == bytes, "write() differs from the built bytes");
    let mut nth = std::collections::HashMap::new();
    for (seg, (id, fields)) in msg.segments().skip(1).zip(&model) {
        assert_eq!(seg.id(), &id[..]);
        assert_eq!(seg.field_count(), fields.len(), "field count differs");
        let k: &mut usize = nth.entry(*id).or_insert(0);
        *k += 1;
        let id = std::str::from_utf8(&id[..]).expect("ascii id");
        for (fi, reps) in fields.iter().enumerate() {
            for (ri, comps) in reps.iter().enumerate() {
                for (ci, subs) in comps.iter().enumerate() {
                    for (si, text) in subs.iter().enumerate() {
                        let path = format!("{id}[{k}]-{}[{}].{}.{}", fi + 1, ri + 1, ci + 1, si + 1);
                        let value = msg.query(&path).expect("path parses");
                        let value = value.unwrap_or_else(|| panic!("{path} is absent"));
                        assert!(*value.to_cow() == **text, "{path} reads back differently");
                    }
                }
            }
        }
    }
});
