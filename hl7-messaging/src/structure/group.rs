//! Grouping: the message's segments placed in the groups of their structure.
//!
//! Greedy, one segment at a time, from the innermost open group outwards: a segment goes to the
//! first place after the current one where the structure allows it without skipping a required
//! element, preferring places where each group it enters begins with it (a new `ORDER` for an ORC,
//! not an optional `PRIOR_RESULT` that holds an ORC further in); failing that, to the first place allowing it at all (the skipped required elements are
//! reported as [`Missing`]); failing that, it stays where it is, in the innermost open group, and is
//! reported as [`Unexpected`]. Every segment ends in the tree exactly once, in message order.

use alloc::vec::Vec;
use core::fmt;

use super::catalog::Structure;
use super::syntax::{Element, Kind, Mode};
use hl7_core::{Message, Segment};

/// Why a segment is not where the structure allows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnexpectedReason {
    /// The structure has no such segment (Z-segments, segments of other messages).
    NotInStructure,
    /// The structure has the segment, but not after what came before (HL7 error 100).
    OutOfOrder,
}

/// A segment kept in place although the structure does not allow it there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Unexpected {
    /// 1-based position of the segment in the message (MSH is 1).
    pub index: usize,
    /// Why.
    pub reason: UnexpectedReason,
}

/// A required element of the structure that the message skipped.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Missing {
    /// The first segment id of the missing element (the segment, or the first of the group).
    pub segment: [u8; 3],
    /// Name of the group that lacks it (the structure id for the message level).
    pub group: &'static str,
    /// 1-based position of the segment that came where it was expected; `None` at the end.
    pub before: Option<usize>,
}

impl fmt::Debug for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Missing")
            .field("segment", &core::str::from_utf8(&self.segment).unwrap_or("???"))
            .field("group", &self.group)
            .field("before", &self.before)
            .finish()
    }
}

/// A segment in the tree, with its position in the message.
#[derive(Clone, Copy)]
pub struct Placed<'a> {
    index: usize,
    segment: Segment<'a>,
    expected: bool,
}

impl<'a> Placed<'a> {
    /// 1-based position in the message (MSH is 1).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The segment.
    pub fn segment(&self) -> Segment<'a> {
        self.segment
    }

    /// Whether the structure allows the segment here (false for [`Unexpected`] ones).
    pub fn is_expected(&self) -> bool {
        self.expected
    }
}

impl fmt::Debug for Placed<'_> {
    // Id and position only (PHI).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Placed")
            .field("id", &self.segment.id_str())
            .field("index", &self.index)
            .field("expected", &self.expected)
            .finish()
    }
}

/// An entry of a group: a segment or a nested group.
#[derive(Clone, Debug)]
pub enum Child<'a> {
    /// A segment.
    Segment(Placed<'a>),
    /// One instance (one repetition) of a nested group.
    Group(Group<'a>),
}

/// One instance of a group (one `ORDER_OBSERVATION`, one `OBSERVATION`…), or the message itself.
#[derive(Clone, Debug)]
pub struct Group<'a> {
    name: &'static str,
    children: Vec<Child<'a>>,
}

impl<'a> Group<'a> {
    /// The group name as in the standard (`PATIENT_RESULT`); the structure id for the message.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Segments and groups directly in this group, in message order.
    pub fn children(&self) -> &[Child<'a>] {
        &self.children
    }

    /// The segments directly in this group with this id.
    pub fn segments<'g>(&'g self, id: &'g [u8]) -> impl Iterator<Item = &'g Placed<'a>> + 'g {
        self.children.iter().filter_map(move |c| match c {
            Child::Segment(p) if p.segment.id() == id => Some(p),
            _ => None,
        })
    }

    /// The first segment directly in this group with this id.
    pub fn segment(&self, id: &[u8]) -> Option<&Placed<'a>> {
        self.children.iter().find_map(|c| match c {
            Child::Segment(p) if p.segment.id() == id => Some(p),
            _ => None,
        })
    }

    /// The instances of a nested group directly in this group.
    pub fn groups<'g>(&'g self, name: &'g str) -> impl Iterator<Item = &'g Group<'a>> + 'g {
        self.children.iter().filter_map(move |c| match c {
            Child::Group(g) if g.name == name => Some(g),
            _ => None,
        })
    }

    /// The first instance of a nested group.
    pub fn group(&self, name: &str) -> Option<&Group<'a>> {
        self.children.iter().find_map(|c| match c {
            Child::Group(g) if g.name == name => Some(g),
            _ => None,
        })
    }

    /// Every segment in this group and below, in message order.
    pub fn flatten(&self) -> Vec<&Placed<'a>> {
        let mut out = Vec::new();
        self.collect_into(&mut out);
        out
    }

    fn collect_into<'g>(&'g self, out: &mut Vec<&'g Placed<'a>>) {
        for c in &self.children {
            match c {
                Child::Segment(p) => out.push(p),
                Child::Group(g) => g.collect_into(out),
            }
        }
    }
}

/// A message grouped by its structure: the tree, and what did not fit.
#[derive(Clone, Debug)]
pub struct Grouped<'a> {
    structure: &'static str,
    root: Group<'a>,
    unexpected: Vec<Unexpected>,
    missing: Vec<Missing>,
}

impl<'a> Grouped<'a> {
    /// The structure id used (`ORU_R01`).
    pub fn structure(&self) -> &'static str {
        self.structure
    }

    /// The message level group (named after the structure).
    pub fn root(&self) -> &Group<'a> {
        &self.root
    }

    /// Segments kept in place although the structure does not allow them there, in message order.
    pub fn unexpected(&self) -> &[Unexpected] {
        &self.unexpected
    }

    /// Required elements the message lacks, in message order.
    pub fn missing(&self) -> &[Missing] {
        &self.missing
    }

    /// Every segment of the message, in message order (the flattened tree).
    pub fn segments(&self) -> Vec<&Placed<'a>> {
        self.root.flatten()
    }
}

/// An open group while matching: where in its definition we are.
struct Frame<'s, 'a> {
    children: &'s [Element],
    /// Index of the current child.
    pos: usize,
    /// How often the current child has matched (0 before the first match of the group).
    count: usize,
    node: Group<'a>,
}

impl Frame<'_, '_> {
    /// Where `id` can go in this group: the child index and the required children skipped.
    fn scan(&self, id: &[u8], mode: Mode) -> Option<(usize, Vec<usize>)> {
        let mut skipped = Vec::new();
        for (j, child) in self.children.iter().enumerate().skip(self.pos) {
            let fresh = j > self.pos || self.count == 0;
            // A new repetition only for a segment that fits without skipping a required element:
            // a stray segment must not open a fresh ORDER with its required ORC reported missing.
            let repeat = child.repeating && mode != Mode::Loose;
            if (fresh || repeat) && child.can_start(id, mode) {
                return Some((j, skipped));
            }
            if fresh && !child.nullable() {
                if mode != Mode::Loose {
                    return None;
                }
                skipped.push(j);
            }
        }
        None
    }

    /// Required children not matched when the group closes.
    fn unmatched(&self) -> impl Iterator<Item = &Element> {
        let from = if self.count == 0 { self.pos } else { self.pos + 1 };
        self.children.iter().skip(from).filter(|c| !c.nullable())
    }
}

struct Matcher<'s, 'a> {
    stack: Vec<Frame<'s, 'a>>,
    missing: Vec<Missing>,
}

impl<'s, 'a> Matcher<'s, 'a> {
    fn report_unmatched(&mut self, frame: &Frame<'s, 'a>, before: Option<usize>) {
        for e in frame.unmatched() {
            if let Some(segment) = e.first_segment() {
                self.missing.push(Missing { segment, group: frame.node.name, before });
            }
        }
    }

    /// Closes the innermost group and hands its instance to the parent.
    fn pop(&mut self, before: Option<usize>) -> Option<Group<'a>> {
        let frame = self.stack.pop()?;
        self.report_unmatched(&frame, before);
        match self.stack.last_mut() {
            Some(parent) => {
                parent.node.children.push(Child::Group(frame.node));
                None
            }
            None => Some(frame.node),
        }
    }

    /// Places the segment at child `j` of the innermost group (found by `scan`).
    fn take(&mut self, j: usize, skipped: &[usize], placed: Placed<'a>, mode: Mode) {
        let Some(top) = self.stack.last_mut() else { return };
        top.count = if j == top.pos { top.count + 1 } else { 1 };
        top.pos = j;
        let name = top.node.name;
        let children = top.children;
        for &k in skipped {
            if let Some(segment) = children.get(k).and_then(Element::first_segment) {
                self.missing.push(Missing { segment, group: name, before: Some(placed.index) });
            }
        }
        if let Some(child) = children.get(j) {
            self.enter(child, placed, mode);
        }
    }

    fn enter(&mut self, element: &'s Element, placed: Placed<'a>, mode: Mode) {
        let id = placed.segment.id();
        match &element.kind {
            Kind::Segment(_) => {
                if let Some(top) = self.stack.last_mut() {
                    top.node.children.push(Child::Segment(placed));
                }
            }
            Kind::Choice(alts) => {
                if let Some(alt) = alts.iter().find(|a| a.can_start(id, mode)) {
                    self.enter(alt, placed, mode);
                }
            }
            Kind::Group { name, children } => {
                let frame = Frame { children, pos: 0, count: 0, node: Group { name, children: Vec::new() } };
                self.stack.push(frame);
                if let Some((j, skipped)) = self.stack.last().and_then(|f| f.scan(id, mode)) {
                    self.take(j, &skipped, placed, mode);
                }
            }
        }
    }

    /// Finds a place for the segment; false when there is none.
    fn place(&mut self, placed: Placed<'a>) -> bool {
        let id = placed.segment.id();
        for mode in [Mode::Leading, Mode::Strict, Mode::Loose] {
            let found = self.stack.iter().enumerate().rev().find_map(|(depth, f)| f.scan(id, mode).map(|s| (depth, s)));
            if let Some((depth, (j, skipped))) = found {
                while self.stack.len() > depth + 1 {
                    self.pop(Some(placed.index));
                }
                self.take(j, &skipped, placed, mode);
                return true;
            }
        }
        false
    }
}

impl Structure {
    /// Groups a message by this structure. Never fails and never drops a segment: what does not fit
    /// is kept in place and listed in [`Grouped::unexpected`].
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::structure::{Child, Structure, Version};
    /// let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5.1\r\
    /// PID|1||123\rOBR|1\rOBX|1\rNTE|1\rOBX|2\rOBR|2\rOBX|1\rZXY|1\r").unwrap();
    /// let grouped = Structure::find("ORU_R01", Version::new(2, 5, 1)).unwrap().group(&msg);
    /// let result = grouped.root().group("PATIENT_RESULT").unwrap();
    /// let orders: Vec<_> = result.groups("ORDER_OBSERVATION").collect();
    /// assert_eq!(orders.len(), 2);
    /// let first_obx = orders[0].group("OBSERVATION").unwrap();
    /// assert_eq!(first_obx.segment(b"NTE").unwrap().index(), 5); // the NTE is under its OBX
    /// assert_eq!(grouped.unexpected()[0].index, 9); // ZXY: kept, reported
    /// assert_eq!(grouped.segments().len(), msg.segment_count());
    /// ```
    pub fn group<'a>(&self, msg: &Message<'a>) -> Grouped<'a> {
        let Kind::Group { name, children } = &self.root.kind else {
            // The table's definitions are always groups; a segment root holds nothing to match.
            let root = Group { name: self.id, children: Vec::new() };
            return Grouped { structure: self.id, root, unexpected: Vec::new(), missing: Vec::new() };
        };
        let root = Frame { children, pos: 0, count: 0, node: Group { name, children: Vec::new() } };
        let mut m = Matcher { stack: alloc::vec![root], missing: Vec::new() };
        let mut unexpected = Vec::new();
        for (i, segment) in msg.segments().enumerate() {
            let index = i + 1;
            let placed = Placed { index, segment, expected: true };
            let z = segment.id().first() == Some(&b'Z');
            if z || !m.place(placed) {
                let reason = if !z && self.root.mentions(segment.id()) {
                    UnexpectedReason::OutOfOrder
                } else {
                    UnexpectedReason::NotInStructure
                };
                unexpected.push(Unexpected { index, reason });
                if let Some(top) = m.stack.last_mut() {
                    top.node.children.push(Child::Segment(Placed { expected: false, ..placed }));
                }
            }
        }
        let mut root = Group { name: self.id, children: Vec::new() };
        while !m.stack.is_empty() {
            if let Some(done) = m.pop(None) {
                root = done;
            }
        }
        Grouped { structure: self.id, root, unexpected, missing: m.missing }
    }
}
