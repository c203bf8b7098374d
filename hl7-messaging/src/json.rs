//! A message as a JSON tree: the shape the `hl7rs parse --json` command writes and the Python
//! `to_dict()` returns.
//!
//! ```text
//! { "offset": 0,                       byte offset of the message in its input
//!   "segments": [ { "id": "PID", "offset": 51, "fields": [ <field 1>, <field 2>, … ] } ],
//!   "notes": [ { "kind": "encoding_repair", "offset": 5, "text": "…" } ] }
//! ```
//!
//! The notes are [`Message::all_notes`] ([`hl7_core::Note`]: `leading_bytes`, `bom`,
//! `encoding_repair`, `continuation_lines`, `trailing_bytes`, `charset_name_repaired`).
//!
//! `fields[i]` is field `i + 1` (for MSH, `fields[0]` is MSH-1 and `fields[1]` MSH-2, both as
//! written). Values are text: escapes decoded, then the charset ([`TextDecoder`]). The nesting
//! depth says the level, so no two inputs share a shape:
//!
//! | input | field | rule |
//! |---|---|---|
//! | `X` | `"X"` | one repetition of one component of one subcomponent: a string |
//! | `X~Y` | `["X","Y"]` | a list at the field level is the repetitions |
//! | `X^Y` | `[["X","Y"]]` | a list inside a repetition is its components |
//! | `X&Y` | `[[["X","Y"]]]` | a list inside a component is its subcomponents |
//! | `X^Y~Z` | `[["X","Y"],"Z"]` | each repetition collapses on its own |
//!
//! Empty values are `""`; the HL7 null `""` is the two-character string `"\"\""`.
//!
//! ```
//! use hl7_core::Message;
//! use hl7_messaging::{json, TextDecoder};
//!
//! let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||X~Y|X^Y|X&Y\r")?;
//! let tree = json::message(&msg, &TextDecoder::new(&msg));
//! let pid = &tree["segments"][1];
//! assert_eq!(pid["id"], "PID");
//! assert_eq!(pid["fields"][2], serde_json::json!(["X", "Y"]));
//! assert_eq!(pid["fields"][3], serde_json::json!([["X", "Y"]]));
//! assert_eq!(pid["fields"][4], serde_json::json!([[["X", "Y"]]]));
//! assert_eq!(tree["segments"][0]["fields"][1], "^~\\&");
//! # Ok::<(), hl7_core::ParseError>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use hl7_core::{Component, Field, Message, Note, Repetition, Segment};
use serde_json::{json, Value};

use crate::text::TextDecoder;

/// The whole message: offset, segments and the parser's notes.
///
/// ```
/// use hl7_messaging::{json, TextDecoder};
/// let msg = hl7_core::Message::parse(b"\x0bMSH|^~\\&|A\r\x1c\r")?;
/// let tree = json::message(&msg, &TextDecoder::new(&msg));
/// assert_eq!(tree["segments"].as_array().unwrap().len(), 1);
/// assert_eq!(tree["notes"][0]["kind"], "leading_bytes");
/// # Ok::<(), hl7_core::ParseError>(())
/// ```
pub fn message(msg: &Message<'_>, text: &TextDecoder) -> Value {
    let segments: Vec<Value> = msg.segments().map(|s| segment(&s, text)).collect();
    json!({ "offset": msg.offset(), "segments": segments, "notes": notes(msg.all_notes()) })
}

/// One segment: id, offset and fields.
///
/// ```
/// use hl7_messaging::{json, TextDecoder};
/// let msg = hl7_core::Message::parse(b"MSH|^~\\&|A\rZPD|1|\r")?;
/// let seg = json::segment(&msg.segments().nth(1).unwrap(), &TextDecoder::new(&msg));
/// assert_eq!(seg, serde_json::json!({ "id": "ZPD", "offset": 11, "fields": ["1", ""] }));
/// # Ok::<(), hl7_core::ParseError>(())
/// ```
pub fn segment(seg: &Segment<'_>, text: &TextDecoder) -> Value {
    let fields: Vec<Value> = seg
        .fields()
        .enumerate()
        .map(|(i, f)| {
            if seg.is_header() && i < 2 {
                // MSH-1 and MSH-2 are the delimiters themselves: written as they are.
                Value::String(String::from_utf8_lossy(f.as_bytes()).into_owned())
            } else {
                field(&f, text)
            }
        })
        .collect();
    json!({ "id": seg.id_str(), "offset": seg.offset(), "fields": fields })
}

/// One field, by the nesting rules of the module documentation.
///
/// ```
/// use hl7_messaging::{json, TextDecoder};
/// let msg = hl7_core::Message::parse(b"MSH|^~\\&|A\rPID|X^Y~Z\r")?;
/// let f = msg.query("PID-1")?.unwrap();
/// let pid1 = msg.segments().nth(1).unwrap().field(1).unwrap();
/// assert_eq!(json::field(&pid1, &TextDecoder::new(&msg)), serde_json::json!([["X", "Y"], "Z"]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn field(field: &Field<'_>, text: &TextDecoder) -> Value {
    let mut reps: Vec<Value> = field.repetitions().map(|r| repetition(&r, *text)).collect();
    if reps.len() == 1 && reps.first().is_some_and(Value::is_string) {
        reps.pop().unwrap_or(Value::Null)
    } else {
        Value::Array(reps)
    }
}

fn repetition(rep: &Repetition<'_>, text: TextDecoder) -> Value {
    let mut comps: Vec<Value> = rep.components().map(|c| component(&c, text)).collect();
    if comps.len() == 1 && comps.first().is_some_and(Value::is_string) {
        comps.pop().unwrap_or(Value::Null)
    } else {
        Value::Array(comps)
    }
}

fn component(comp: &Component<'_>, text: TextDecoder) -> Value {
    let mut subs: Vec<Value> = comp.subcomponents().map(|s| Value::String(text.value(s).into_owned())).collect();
    if subs.len() == 1 {
        subs.pop().unwrap_or(Value::Null)
    } else {
        Value::Array(subs)
    }
}

/// Notes as a list of `{kind, offset, text}` objects (text from [`Note`]'s `Display`: offsets and
/// lengths only).
///
/// ```
/// use hl7_messaging::json;
/// let msg = hl7_core::Message::parse(b"MSH|^~\\&|A\r")?;
/// assert_eq!(json::notes(msg.all_notes()), serde_json::json!([]));
/// # Ok::<(), hl7_core::ParseError>(())
/// ```
pub fn notes(notes: impl IntoIterator<Item = Note>) -> Value {
    Value::Array(
        notes.into_iter().map(|n| json!({ "kind": n.kind(), "offset": n.offset(), "text": n.to_string() })).collect(),
    )
}
