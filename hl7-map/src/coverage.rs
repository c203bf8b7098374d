//! Coverage: which valued parts of a message no matrix row consumed.
//!
//! A *leaf* is the finest part of a field repetition that exists: the repetition itself when it has
//! one component with one subcomponent, else each component, and each subcomponent of a component
//! that has several. A leaf is *valued* when it is not empty and not the HL7 null `""` (the engine
//! reads `""` as not valued, too). It is *consumed* when the byte span of some lineage entry covers
//! it (a row that read the whole field consumed all its leaves). Every segment is walked, Z-segments
//! and segments outside the message map included; MSH-1 and MSH-2 (the delimiters) are not data and
//! are left out.
//!
//! An [`Uncovered`] leaf carries its [`Path`] (with the field repetition, and the segment
//! occurrence when the segment id occurs more than once) and its byte span in the parsed input,
//! never its value. Spans use the same base as [`LineageEntry::span`]: offsets in the bytes the
//! message was parsed from (for a message of a batch file, the whole file).
//!
//! ```
//! use hl7_core::Message;
//! use hl7_map::coverage::{by_field, uncovered};
//! use hl7_map::engine::{ConvertOptions, Engine};
//!
//! let msg = Message::parse(b"MSH|^~\\&|APP|FAC|||20240131093000-0500||ADT^A01|42|P|2.5.1\rPID|1|||||||F\rZPI|x^y\r")?;
//! let options = ConvertOptions { coverage: true, lineage: true, ..Default::default() };
//! let out = Engine::builtin()?.convert_with(&msg, options)?;
//! let left = out.coverage.unwrap();
//! let paths: Vec<String> = left.iter().map(|u| u.path.to_string()).collect();
//! assert!(paths.contains(&"PID-1[1]".to_owned()));      // PID-1 (Set ID) has no row in the IG
//! assert!(paths.contains(&"ZPI-1[1].2".to_owned()));    // nor has a Z-segment
//! assert!(!paths.iter().any(|p| p.starts_with("PID-8"))); // PID-8 → Patient.gender
//! assert_eq!(by_field(&left)["ZPI-1"], 2);
//! // The same, from lineage the caller already has:
//! let again = uncovered(&msg, out.lineage.as_deref().unwrap_or_default());
//! assert_eq!(again, left);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::ops::Range;

use hl7_core::{Message, Path};

use crate::engine::LineageEntry;

/// A valued leaf of the message that no matrix row consumed.
///
/// ```
/// use hl7_map::coverage::Uncovered;
/// let u = Uncovered { path: "PID-2[1]".parse().unwrap(), span: 40..44 };
/// assert_eq!(u.field_key(), "PID-2");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uncovered {
    /// Where it is (`PID-2[1]`, `PID-3[2].4.2`, `OBX[3]-5[1]`).
    pub path: Path,
    /// Its byte span in the parsed input.
    pub span: Range<usize>,
}

impl Uncovered {
    /// The segment id and field number (`PID-2`), the key of [`by_field`].
    ///
    /// ```
    /// let u = hl7_map::coverage::Uncovered { path: "OBX[2]-5[1].3".parse().unwrap(), span: 0..1 };
    /// assert_eq!(u.field_key(), "OBX-5");
    /// ```
    pub fn field_key(&self) -> String {
        let id = std::str::from_utf8(self.path.segment()).unwrap_or("???");
        match self.path.field_number() {
            Some(f) => format!("{id}-{f}"),
            None => id.to_owned(),
        }
    }
}

/// The valued leaves of `msg` that no entry of `lineage` covers, in message order.
///
/// ```
/// use hl7_core::Message;
/// let msg = Message::parse(b"MSH|^~\\&|A\rZZZ|a^b&c\r")?;
/// let left = hl7_map::coverage::uncovered(&msg, &[]);
/// let paths: Vec<String> = left.iter().map(|u| u.path.to_string()).collect();
/// assert_eq!(paths, ["MSH-3[1]", "ZZZ-1[1].1", "ZZZ-1[1].2.1", "ZZZ-1[1].2.2"]);
/// assert_eq!(&msg.as_bytes()[left[3].span.clone()], b"c");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn uncovered(msg: &Message<'_>, lineage: &[LineageEntry]) -> Vec<Uncovered> {
    let covered = merged(lineage.iter().map(|l| l.span.clone()));
    let mut counts: BTreeMap<&[u8], usize> = BTreeMap::new();
    for seg in msg.segments() {
        *counts.entry(seg.id()).or_default() += 1;
    }
    let mut seen: BTreeMap<&[u8], usize> = BTreeMap::new();
    let mut out = Vec::new();
    for seg in msg.segments() {
        let occurrence = {
            let n = seen.entry(seg.id()).or_default();
            *n += 1;
            *n
        };
        let id: [u8; 3] = seg.id().try_into().unwrap_or(*b"???");
        let mut base = Path::new(&id);
        if counts.get(seg.id()).copied().unwrap_or_default() > 1 {
            base = base.occurrence(occurrence);
        }
        let skip = if seg.is_header() { 2 } else { 0 };
        for (f, field) in seg.fields().enumerate().skip(skip) {
            if field.is_empty() {
                continue;
            }
            let field_path = base.field(f + 1);
            for (r, rep) in field.repetitions().enumerate() {
                let rep_path = field_path.repetition(r + 1);
                let mut leaves = Vec::new();
                let components: Vec<_> = rep.components().collect();
                if let [only] = components.as_slice() {
                    if only.subcomponents().count() == 1 {
                        leaves.push((rep_path, rep.offset(), rep.as_bytes()));
                        push_uncovered(&mut out, &covered, leaves);
                        continue;
                    }
                }
                for (c, comp) in components.iter().enumerate() {
                    let comp_path = rep_path.component(c + 1);
                    let subs: Vec<_> = comp.subcomponents().collect();
                    if subs.len() == 1 {
                        leaves.push((comp_path, comp.offset(), comp.as_bytes()));
                    } else {
                        for (s, sub) in subs.iter().enumerate() {
                            leaves.push((comp_path.subcomponent(s + 1), sub.offset(), sub.as_bytes()));
                        }
                    }
                }
                push_uncovered(&mut out, &covered, leaves);
            }
        }
    }
    out
}

/// Counts by segment id and field number (`PID-2` → 1), in key order.
///
/// ```
/// use hl7_map::coverage::{by_field, Uncovered};
/// let u = |p: &str| Uncovered { path: p.parse().unwrap(), span: 0..1 };
/// let counts = by_field(&[u("PID-2[1]"), u("ZPD-2[1].1"), u("ZPD-2[1].2")]);
/// assert_eq!(counts.into_iter().collect::<Vec<_>>(), [("PID-2".to_owned(), 1), ("ZPD-2".to_owned(), 2)]);
/// ```
pub fn by_field(uncovered: &[Uncovered]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for u in uncovered {
        *out.entry(u.field_key()).or_insert(0) += 1;
    }
    out
}

fn push_uncovered(out: &mut Vec<Uncovered>, covered: &[Range<usize>], leaves: Vec<(Path, usize, &[u8])>) {
    for (path, offset, bytes) in leaves {
        if bytes.is_empty() || bytes == b"\"\"" {
            continue;
        }
        let span = offset..offset + bytes.len();
        if !is_covered(covered, &span) {
            out.push(Uncovered { path, span });
        }
    }
}

/// The spans sorted and merged where they overlap or touch.
fn merged(spans: impl Iterator<Item = Range<usize>>) -> Vec<Range<usize>> {
    let mut all: Vec<Range<usize>> = spans.filter(|s| s.start < s.end).collect();
    all.sort_by_key(|s| (s.start, s.end));
    let mut out: Vec<Range<usize>> = Vec::with_capacity(all.len());
    for s in all {
        match out.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

/// Whether one merged span contains `span` whole.
fn is_covered(merged: &[Range<usize>], span: &Range<usize>) -> bool {
    let i = merged.partition_point(|m| m.start <= span.start);
    i.checked_sub(1).and_then(|i| merged.get(i)).is_some_and(|m| span.end <= m.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_keeps_gaps_and_joins_overlaps() {
        let m = merged([5..8, 0..2, 1..3, 3..4, 9..9].into_iter());
        assert_eq!(m, [0..4, 5..8]);
        assert!(is_covered(&m, &(1..4)));
        assert!(is_covered(&m, &(5..8)));
        assert!(!is_covered(&m, &(4..5)));
        assert!(!is_covered(&m, &(7..9)));
        assert!(!is_covered(&[], &(0..1)));
    }
}
