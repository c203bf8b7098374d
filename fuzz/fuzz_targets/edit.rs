//! `MessageBuf` editing: a base (a parsed message made editable, or a fresh header with one of
//! several delimiter sets) and a sequence of arbitrary edits by path. Checked after every edit:
//! a refused edit leaves the bytes unchanged; the written message parses with the same number of
//! segments; every value set and not overwritten since reads back exactly (under `\r`, `\n` and
//! `\r\n` output); a pushed or inserted segment reads back field by field.
//! Values are only compared when both the buffer and the reparsed message scan plain bytes
//! (escaping is byte-wise; ISO 2022 / Big5 values are the caller's to escape, see `set`).
#![no_main]

use arbitrary::Arbitrary;
use hl7_messaging::build::{BuildError, MessageBuf, Terminator};
use hl7_core::{Delimiters, Message, Path, Scan};
use libfuzzer_sys::fuzz_target;

const SEGMENTS: [&str; 7] = ["PID", "OBX", "ZZ1", "MSH", "NTE", "PV1", "BHS"];

/// A path built from parts, so that most paths parse and edits collide.
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Loc {
    segment: u8,
    segment_index: u8,
    field: u8,
    repetition: Option<u8>,
    component: Option<u8>,
    subcomponent: Option<u8>,
}

impl Loc {
    fn text(self) -> String {
        let mut p = String::from(SEGMENTS[usize::from(self.segment) % SEGMENTS.len()]);
        // 0..=3 with 0 rare: index 0 must be a typed error.
        match self.segment_index % 8 {
            0 if self.segment_index >= 128 => p.push_str("[0]"),
            i @ 1..=3 => p.push_str(&format!("[{i}]")),
            _ => {}
        }
        p.push_str(&format!("-{}", self.field % 24));
        if let Some(r) = self.repetition {
            p.push_str(&format!("[{}]", r % 5));
        }
        if let Some(c) = self.component {
            p.push_str(&format!(".{}", c % 6));
            if let Some(s) = self.subcomponent {
                p.push_str(&format!(".{}", s % 4));
            }
        }
        p
    }
}

#[derive(Arbitrary, Debug)]
enum Edit {
    Set(Loc, Vec<u8>),
    SetPathText(String, Vec<u8>),
    SetRaw(Loc, Vec<u8>),
    PushRepetition(Loc, Vec<u8>),
    RemoveRepetition(Loc),
    PushSegment(u8, Vec<Vec<u8>>),
    PushSegmentRaw(Vec<u8>),
    InsertSegment(u8, u8, Vec<Vec<u8>>),
    RemoveSegment(u8, u8),
}

#[derive(Arbitrary, Debug)]
enum Base {
    Parsed(Vec<u8>),
    Header(u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    base: Base,
    edits: Vec<Edit>,
}

const HEADERS: [&[u8]; 5] = [b"MSH|^~\\&", b"MSH#!@%*", b"MSH|^~\\&#", b"MSH|^~", b"MSH|^"];

/// Whether a repetition edit at `b` (which shifts or adds repetitions of its whole field) may
/// change what `a` reads.
fn same_field(a: &Path, b: &Path) -> bool {
    a.segment() == b.segment()
        && a.segment_index().unwrap_or(1) == b.segment_index().unwrap_or(1)
        && (a.field_number().is_none() || a.field_number() == b.field_number())
}

/// A value set earlier and expected to read back.
struct Expected {
    path: Path,
    value: Vec<u8>,
}

fn segment_id(n: u8) -> &'static str {
    SEGMENTS[usize::from(n) % SEGMENTS.len()]
}

fuzz_target!(|input: Input| {
    let (mut buf, scan_bytes) = match &input.base {
        Base::Parsed(data) => {
            let Ok(msg) = Message::parse(data) else { return };
            let buf = MessageBuf::from_message(&msg);
            let copied: Vec<&[u8]> = buf.segments().collect();
            let parsed: Vec<&[u8]> = msg.segments().map(|s| s.as_bytes()).collect();
            assert!(copied == parsed, "from_message changed a segment");
            (buf, msg.scan() == Scan::Bytes)
        }
        Base::Header(h) => {
            let header = HEADERS[usize::from(*h) % HEADERS.len()];
            let Ok((d, _)) = Delimiters::from_header(header) else { return };
            (MessageBuf::new(d), true)
        }
    };
    let mut expected: Vec<Expected> = Vec::new();
    for edit in input.edits.iter().take(24) {
        let before = buf.to_bytes();
        let mut set_value: Option<(Path, Vec<u8>)> = None;
        let mut pushed: Option<(usize, Vec<Vec<u8>>)> = None;
        let result: Result<(), BuildError> = match edit {
            Edit::Set(loc, value) => {
                let text = loc.text();
                let r = buf.set(text.as_str(), value);
                if r.is_ok() {
                    let path: Path = text.parse().expect("a path the builder accepted parses");
                    expected.retain(|e| !e.path.overlaps(&path));
                    set_value = Some((path, value.clone()));
                }
                r
            }
            Edit::SetPathText(text, value) => {
                let r = buf.set(text.as_str(), value);
                if r.is_ok() {
                    let path: Path = text.parse().expect("a path the builder accepted parses");
                    expected.retain(|e| !e.path.overlaps(&path));
                    set_value = Some((path, value.clone()));
                }
                r
            }
            Edit::SetRaw(loc, raw) => {
                let text = loc.text();
                let r = buf.set_raw(text.as_str(), raw);
                if r.is_ok() {
                    let path: Path = text.parse().expect("a path the builder accepted parses");
                    expected.retain(|e| !e.path.overlaps(&path));
                }
                r
            }
            Edit::PushRepetition(loc, value) => {
                let text = loc.text();
                let r = buf.push_repetition(text.as_str(), value);
                if r.is_ok() {
                    let path: Path = text.parse().expect("a path the builder accepted parses");
                    expected.retain(|e| !same_field(&e.path, &path));
                }
                r
            }
            Edit::RemoveRepetition(loc) => {
                let text = loc.text();
                let r = buf.remove_repetition(text.as_str());
                if r.is_ok() {
                    let path: Path = text.parse().expect("a path the builder accepted parses");
                    expected.retain(|e| !same_field(&e.path, &path));
                }
                r
            }
            Edit::PushSegment(id, fields) => {
                let id = segment_id(*id);
                let r = buf.push_segment(id, fields);
                if r.is_ok() {
                    pushed = Some((buf.segment_count(), fields.clone()));
                }
                r
            }
            Edit::PushSegmentRaw(raw) => {
                let r = buf.push_segment_raw(raw);
                if r.is_ok() {
                    // A raw segment may carry any id, so indexes by id may shift: forget all.
                    expected.clear();
                }
                r
            }
            Edit::InsertSegment(position, id, fields) => {
                let id = segment_id(*id);
                let position = usize::from(*position % 8);
                let r = buf.insert_segment(position, id, fields);
                if r.is_ok() {
                    expected.retain(|e| e.path.segment() != id.as_bytes());
                    pushed = Some((position, fields.clone()));
                }
                r
            }
            Edit::RemoveSegment(id, n) => {
                let id = segment_id(*id);
                let r = buf.remove_segment(id, usize::from(*n % 4));
                if r.is_ok() {
                    expected.retain(|e| e.path.segment() != id.as_bytes());
                }
                r
            }
        };
        let after = buf.to_bytes();
        if let Err(e) = result {
            assert!(before == after, "a refused edit changed the message");
            let _ = (e.to_string(), format!("{e:?}"));
            continue;
        }
        if let Some((path, value)) = set_value {
            expected.push(Expected { path, value });
        }
        if !scan_bytes {
            continue;
        }
        // The written message parses back with as many segments as the buffer holds, unless an
        // edit (MSH-18) declared a charset that changes how it is scanned.
        let msg = Message::parse(&after).expect("the written message parses");
        if msg.scan() != Scan::Bytes {
            continue;
        }
        assert_eq!(msg.segment_count(), buf.segment_count(), "segment count changed on the way back");
        if let Some((position, fields)) = &pushed {
            let seg = msg.segments().nth(position - 1).expect("the pushed segment is there");
            for (i, want) in fields.iter().enumerate() {
                let got = seg.field(i + 1).map(|f| f.to_cow().into_owned()).unwrap_or_default();
                assert!(got == *want, "pushed field {} does not read back", i + 1);
            }
        }
        for terminator in [Terminator::Cr, Terminator::Lf, Terminator::CrLf] {
            let bytes = buf.to_bytes_with(terminator);
            let msg = Message::parse(&bytes).expect("the written message parses");
            assert_eq!(msg.segment_count(), buf.segment_count(), "segment count depends on the terminator");
            for e in &expected {
                let got = msg.get(&e.path).map(|v| v.to_cow().into_owned());
                assert!(got.as_deref() == Some(&e.value[..]), "a value set at {} does not read back", e.path);
            }
        }
    }
});
