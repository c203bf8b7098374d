//! A segment index: the message's segments found once, then looked up by id or position without
//! scanning again.
//!
//! [`Message::segment`], [`Message::segment_nth`] and [`Message::get`] walk the message from its
//! start on every call, which costs nothing for a header field and a whole scan for the last OBX
//! of a long result. A caller doing many lookups builds a [`SegmentIndex`] once (one scan, one
//! allocation; the table by id is sorted at the first lookup by id) and then pays a binary search
//! per lookup.
//!
//! ```
//! use hl7_core::Message;
//! use hl7_messaging::SegmentIndex;
//!
//! let msg = Message::parse(b"MSH|^~\\&|LAB|H|EHR|H|20240101||ORU^R01|1|P|2.5.1\r\
//! PID|1||123\rOBR|1\rOBX|1|NM|GLU||5.4\rOBX|2|NM|K||4.1\r").unwrap();
//! let index = SegmentIndex::new(&msg);
//! assert_eq!(index.count(b"OBX"), 2);
//! assert_eq!(index.query("OBX[2]-5")?.unwrap().as_bytes(), b"4.1");
//! # Ok::<(), hl7_core::PathError>(())
//! ```

use alloc::vec::Vec;
use core::fmt;
use std::sync::OnceLock;

use hl7_core::{Message, Path, PathError, Segment, Value};

/// The segments of a message by position and by id, found once.
///
/// Positions are 1-based as in HL7 (MSH is 1), occurrences too (`nth(b"OBX", 2)` is the second
/// OBX); 0 finds nothing.
///
/// ```
/// use hl7_core::Message;
/// use hl7_messaging::SegmentIndex;
///
/// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1\rOBX|1\rNTE|1\rOBX|2\r").unwrap();
/// let index = SegmentIndex::new(&msg);
/// assert_eq!(index.len(), 5);
/// assert_eq!(index.at(3).unwrap().id(), b"OBX");
/// assert_eq!(index.nth(b"OBX", 2).unwrap().offset(), msg.segment_nth(b"OBX", 2).unwrap().offset());
/// assert_eq!(index.positions(b"OBX").collect::<Vec<_>>(), [3, 5]);
/// ```
#[derive(Clone)]
pub struct SegmentIndex<'a> {
    message: Message<'a>,
    /// Every segment, in message order.
    segments: Vec<Segment<'a>>,
    /// (`id_key` of the segment id, 0-based position) for every segment, sorted; built at the
    /// first lookup by id, so that a caller wanting positions only does not pay for the sort.
    by_id: OnceLock<Vec<(u32, usize)>>,
}

impl<'a> SegmentIndex<'a> {
    /// Indexes the segments of `msg` (one scan of the message).
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::SegmentIndex;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1\r").unwrap();
    /// assert_eq!(SegmentIndex::new(&msg).len(), msg.segment_count());
    /// ```
    pub fn new(msg: &Message<'a>) -> SegmentIndex<'a> {
        SegmentIndex { message: *msg, segments: msg.segments().collect(), by_id: OnceLock::new() }
    }

    /// The message indexed.
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::SegmentIndex;
    /// let msg = Message::parse(b"MSH|^~\\&|A\r").unwrap();
    /// assert_eq!(SegmentIndex::new(&msg).message().as_bytes(), msg.as_bytes());
    /// ```
    pub fn message(&self) -> &Message<'a> {
        &self.message
    }

    /// Number of segments.
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::SegmentIndex;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1\r").unwrap();
    /// assert_eq!(SegmentIndex::new(&msg).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.segments.len()
    }

    /// Whether the message has no segment (never for a parsed message, which has its MSH).
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::SegmentIndex;
    /// let msg = Message::parse(b"MSH|^~\\&|A\r").unwrap();
    /// assert!(!SegmentIndex::new(&msg).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Every segment, in message order (slot `i` holds position `i + 1`).
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::SegmentIndex;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1\r").unwrap();
    /// let index = SegmentIndex::new(&msg);
    /// let ids: Vec<_> = index.all().iter().map(|s| s.id_str()).collect();
    /// assert_eq!(ids, ["MSH", "PID"]);
    /// ```
    pub fn all(&self) -> &[Segment<'a>] {
        &self.segments
    }

    /// The segment at `position` (1-based: MSH is 1); `None` for 0 or past the end.
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::SegmentIndex;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1\r").unwrap();
    /// let index = SegmentIndex::new(&msg);
    /// assert_eq!(index.at(2).unwrap().id(), b"PID");
    /// assert!(index.at(0).is_none() && index.at(3).is_none());
    /// ```
    pub fn at(&self, position: usize) -> Option<Segment<'a>> {
        self.segments.get(position.checked_sub(1)?).copied()
    }

    /// The slots of `by_id` that hold segment `id`.
    fn slots(&self, id: &[u8]) -> &[(u32, usize)] {
        let by_id = self.by_id.get_or_init(|| {
            // Segment ids are at most 3 bytes (`Segment::id`), so every segment has a key.
            let mut by_id: Vec<(u32, usize)> =
                self.segments.iter().enumerate().filter_map(|(i, s)| Some((id_key(s.id())?, i))).collect();
            by_id.sort_unstable();
            by_id
        });
        let Some(key) = id_key(id) else { return &[] };
        let start = by_id.partition_point(|&(k, _)| k < key);
        let rest = by_id.get(start..).unwrap_or_default();
        let len = rest.partition_point(|&(k, _)| k == key);
        rest.get(..len).unwrap_or_default()
    }

    /// The first segment with this id.
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::SegmentIndex;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1\r").unwrap();
    /// let index = SegmentIndex::new(&msg);
    /// assert_eq!(index.segment(b"PID").unwrap().offset(), 11);
    /// assert!(index.segment(b"PV1").is_none());
    /// ```
    pub fn segment(&self, id: &[u8]) -> Option<Segment<'a>> {
        self.nth(id, 1)
    }

    /// The `n`-th (1-based) segment with this id; `None` for 0 or past the last.
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::SegmentIndex;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1\rOBX|2\r").unwrap();
    /// let index = SegmentIndex::new(&msg);
    /// assert_eq!(index.nth(b"OBX", 2).unwrap().field(1).unwrap().as_bytes(), b"2");
    /// assert!(index.nth(b"OBX", 0).is_none() && index.nth(b"OBX", 3).is_none());
    /// ```
    pub fn nth(&self, id: &[u8], n: usize) -> Option<Segment<'a>> {
        let &(_, i) = self.slots(id).get(n.checked_sub(1)?)?;
        self.segments.get(i).copied()
    }

    /// The segments with this id, in message order.
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::SegmentIndex;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1\rNTE|1\rOBX|2\r").unwrap();
    /// let index = SegmentIndex::new(&msg);
    /// let values: Vec<_> = index.segments(b"OBX").map(|s| s.field(1).unwrap().as_bytes()).collect();
    /// assert_eq!(values, [b"1", b"2"]);
    /// ```
    pub fn segments<'i>(&'i self, id: &[u8]) -> impl Iterator<Item = Segment<'a>> + 'i {
        self.slots(id).iter().filter_map(|&(_, i)| self.segments.get(i).copied())
    }

    /// The 1-based positions in the message of the segments with this id, in message order.
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::SegmentIndex;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1\rNTE|1\rOBX|2\r").unwrap();
    /// assert_eq!(SegmentIndex::new(&msg).positions(b"OBX").collect::<Vec<_>>(), [2, 4]);
    /// ```
    pub fn positions<'i>(&'i self, id: &[u8]) -> impl Iterator<Item = usize> + 'i {
        self.slots(id).iter().map(|&(_, i)| i + 1)
    }

    /// How many segments have this id.
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::SegmentIndex;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1\rOBX|2\r").unwrap();
    /// let index = SegmentIndex::new(&msg);
    /// assert_eq!((index.count(b"OBX"), index.count(b"PID")), (2, 0));
    /// ```
    pub fn count(&self, id: &[u8]) -> usize {
        self.slots(id).len()
    }

    /// Which occurrence of its id (1-based) the segment at `position` is: 2 for the second OBX.
    /// `None` for 0 or past the end.
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::SegmentIndex;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1\rNTE|1\rOBX|2\r").unwrap();
    /// let index = SegmentIndex::new(&msg);
    /// assert_eq!(index.occurrence(4), Some(2));
    /// assert_eq!(index.occurrence(1), Some(1));
    /// assert_eq!(index.occurrence(5), None);
    /// ```
    pub fn occurrence(&self, position: usize) -> Option<usize> {
        let i = position.checked_sub(1)?;
        let segment = self.segments.get(i)?;
        let slots = self.slots(segment.id());
        slots.binary_search_by_key(&i, |&(_, p)| p).ok().map(|n| n + 1)
    }

    /// Resolves a path as [`Message::get`] does, finding its segment through the index. A path to a
    /// whole segment (`OBX[2]`, no field) is handed to [`Message::get`].
    ///
    /// ```
    /// use hl7_core::{Message, Path};
    /// use hl7_messaging::SegmentIndex;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1|ST|x||first\rOBX|2|CE|y||a^b&c~d\r").unwrap();
    /// let index = SegmentIndex::new(&msg);
    /// for text in ["OBX[2]-5", "OBX[2]-5[2]", "OBX[2]-5.2.2", "OBX-3", "OBX[2]", "MSH-1", "OBX[3]-5", "OBX[0]-5"] {
    ///     let path: Path = text.parse().unwrap();
    ///     assert_eq!(index.get(&path).map(|v| v.as_bytes()), msg.get(&path).map(|v| v.as_bytes()), "{text}");
    /// }
    /// ```
    pub fn get(&self, path: &Path) -> Option<Value<'a>> {
        self.nth(path.segment(), path.segment_index().unwrap_or(1))?.get(path)
    }

    /// Parses `path` and resolves it ([`SegmentIndex::get`]).
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::SegmentIndex;
    /// let msg = Message::parse(b"MSH|^~\\&|A||||||ADT^A01\r").unwrap();
    /// let index = SegmentIndex::new(&msg);
    /// assert_eq!(index.query("MSH-9.2")?.unwrap().as_bytes(), b"A01");
    /// assert!(index.query("MSH-").is_err());
    /// # Ok::<(), hl7_core::PathError>(())
    /// ```
    pub fn query(&self, path: &str) -> Result<Option<Value<'a>>, PathError> {
        Ok(self.get(&path.parse()?))
    }
}

/// A segment id of at most 3 bytes as one number (bytes, then the length), so that sorting and
/// searching compare integers; `None` for a longer id, which no segment has.
pub(crate) fn id_key(id: &[u8]) -> Option<u32> {
    if id.len() > 3 {
        return None;
    }
    let mut key = 0u32;
    for i in 0..3 {
        key = key << 8 | u32::from(id.get(i).copied().unwrap_or(0));
    }
    // The length keeps `AB` apart from `AB\0`.
    Some(key << 8 | u32::try_from(id.len()).unwrap_or(0))
}

impl fmt::Debug for SegmentIndex<'_> {
    // Ids only (PHI).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.segments.iter().map(Segment::id_str)).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_keys_are_distinct() {
        let ids: [&[u8]; 7] = [b"", b"A", b"AB", b"AB\0", b"ABC", b"\0", b"OBX"];
        let keys: Vec<u32> = ids.iter().map(|id| id_key(id).unwrap()).collect();
        for (i, a) in keys.iter().enumerate() {
            assert!(keys.iter().skip(i + 1).all(|b| a != b), "{:?}", ids[i]);
        }
        assert_eq!(id_key(b"ABCD"), None);
    }
}
