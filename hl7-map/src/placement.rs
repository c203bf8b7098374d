//! Where each segment of a message stands in its message map: the message grouped by the map's
//! structure (hl7-messaging's grouping), each segment with its group instances and the map rows for
//! its position (`ORU_R01.PATIENT_RESULT.ORDER_OBSERVATION.OBSERVATION.OBX`).
//!
//! A message whose version names its groups differently (older versions) still finds its rows: a
//! position without rows of its own takes the rows of the same segment whose position shares the
//! most group names with it. Nothing is dropped: a segment with no row is simply not mapped (and
//! is listed by coverage).

use std::collections::HashMap;

use hl7_core::{Message, Segment};
use hl7_messaging::structure::{Child, Group, Placed, Structure, Version};

use crate::matrix::{MessageMap, MessageRow};

/// One segment, placed.
pub(crate) struct Placement<'g, 'a, 'm> {
    /// 0-based position in the message.
    pub index: usize,
    /// The segment.
    pub segment: Segment<'a>,
    /// Ids of the group instances it is in, outermost (the message, 0) first; unique per instance.
    pub scope: Vec<usize>,
    /// The same group instances, innermost first (what a condition may read besides the segment:
    /// the innermost group's whole subtree, then each enclosing group's own segments).
    pub chain: Vec<&'g Group<'a>>,
    /// The message-map rows for its position, in file order.
    pub rows: Vec<&'m MessageRow>,
}

/// The grouped message a placement borrows from.
pub(crate) struct Grouping<'a> {
    root: Group<'a>,
}

impl<'a> Grouping<'a> {
    /// Groups the message by the map's structure (the message's own version first, then 2.5.1,
    /// whose structures the IG maps were written for); `None` when the catalog has no such
    /// structure.
    pub fn new(msg: &Message<'a>, map: &MessageMap) -> Option<Grouping<'a>> {
        let id = map.name.as_str();
        let structure = Version::of_message(msg)
            .and_then(|v| Structure::find(id, v))
            .or_else(|| Structure::find(id, Version::new(2, 5, 1)))?;
        Some(Grouping { root: structure.group(msg).root().clone() })
    }

    /// Every segment with its place and rows, in message order.
    pub fn place<'g, 'm>(&'g self, map: &'m MessageMap) -> Vec<Placement<'g, 'a, 'm>> {
        let mut by_position: HashMap<&str, Vec<&'m MessageRow>> = HashMap::new();
        for r in &map.rows {
            by_position.entry(r.position.trim()).or_default().push(r);
        }
        let mut out = Vec::new();
        let mut next_id = 1;
        let mut names = Vec::new();
        walk(&self.root, &mut vec![0], &mut vec![&self.root], &mut names, &mut next_id, &mut out);
        for p in &mut out {
            let seg = p.segment.id_str();
            let groups: Vec<&str> = p.chain.iter().rev().skip(1).map(|g| g.name()).collect();
            let mut position = String::from(map.name.as_str());
            for g in &groups {
                position.push('.');
                position.push_str(g);
            }
            position.push('.');
            position.push_str(seg);
            if let Some(rows) = by_position.get(position.as_str()) {
                p.rows.clone_from(rows);
                continue;
            }
            // Another version's group names: the same segment's rows sharing most group names.
            let score = |r: &MessageRow| r.position.split('.').filter(|part| groups.contains(part)).count();
            let candidates: Vec<&MessageRow> = map.rows.iter().filter(|r| r.segment.as_deref() == Some(seg)).collect();
            if let Some(best) = candidates.iter().map(|r| score(r)).max() {
                let position = candidates.iter().find(|r| score(r) == best).map(|r| r.position.trim());
                p.rows = candidates.into_iter().filter(|r| Some(r.position.trim()) == position).collect();
            }
        }
        out
    }
}

fn walk<'g, 'a>(
    group: &'g Group<'a>,
    scope: &mut Vec<usize>,
    chain: &mut Vec<&'g Group<'a>>,
    names: &mut Vec<&'static str>,
    next_id: &mut usize,
    out: &mut Vec<Placement<'g, 'a, '_>>,
) {
    for child in group.children() {
        match child {
            Child::Segment(p) => out.push(Placement {
                index: p.index().saturating_sub(1),
                segment: p.segment(),
                scope: scope.clone(),
                chain: chain.iter().rev().copied().collect(),
                rows: Vec::new(),
            }),
            Child::Group(g) => {
                scope.push(*next_id);
                *next_id += 1;
                chain.push(g);
                names.push(g.name());
                walk(g, scope, chain, names, next_id, out);
                names.pop();
                chain.pop();
                scope.pop();
            }
        }
    }
}

/// The first segment with this id that a condition on a segment in `chain` may read: in the
/// innermost group's subtree, else among an enclosing group's own segments.
pub(crate) fn find_around<'a>(chain: &[&Group<'a>], id: &[u8]) -> Option<Segment<'a>> {
    let (inner, outer) = chain.split_first()?;
    find_in(inner, id).or_else(|| outer.iter().find_map(|g| g.segment(id).map(Placed::segment)))
}

fn find_in<'a>(g: &Group<'a>, id: &[u8]) -> Option<Segment<'a>> {
    for c in g.children() {
        match c {
            Child::Segment(p) if p.segment().id() == id => return Some(p.segment()),
            Child::Group(sub) => {
                if let Some(s) = find_in(sub, id) {
                    return Some(s);
                }
            }
            Child::Segment(_) => {}
        }
    }
    None
}
