//! Structure grouping and validation on arbitrary messages: never a panic, every segment placed
//! exactly once and in order, the tree's lookups agree with its children, the unexpected list is
//! exactly the segments placed as not expected, diagnostics point inside the input.
#![no_main]

use hl7_messaging::structure::{Child, Group};
use hl7_messaging::validate::{validate_message, ValidationOptions};
use hl7_core::Message;
use hl7_messaging::structure;
use libfuzzer_sys::fuzz_target;

/// Checks `segment(id)`/`group(name)` (first match) and `segments`/`groups` (all matches) against
/// the children, then recurses.
fn check_node(node: &Group<'_>, segment_count: usize) {
    for child in node.children() {
        match child {
            Child::Segment(p) => {
                assert!((1..=segment_count).contains(&p.index()), "placed index outside the message");
                let id = p.segment().id();
                let first = node.segment(id).map(|q| q.index());
                assert!(first.is_some_and(|i| i <= p.index()), "segment(id) misses or passes a child");
                assert!(node.segments(id).any(|q| q.index() == p.index()), "segments(id) misses a child");
            }
            Child::Group(g) => {
                assert!(node.group(g.name()).is_some(), "group(name) misses a child group");
                assert!(node.groups(g.name()).count() >= 1);
                check_node(g, segment_count);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = Message::parse(data) else { return };
    if let Ok(grouped) = structure::group(&msg) {
        let placed = grouped.segments();
        let order: Vec<usize> = placed.iter().map(|p| p.index()).collect();
        let expected: Vec<usize> = (1..=msg.segment_count()).collect();
        assert_eq!(order, expected, "grouping lost, duplicated or reordered a segment");
        assert_eq!(grouped.root().name(), grouped.structure(), "root group not named after the structure");
        check_node(grouped.root(), msg.segment_count());
        let not_expected: Vec<usize> = placed.iter().filter(|p| !p.is_expected()).map(|p| p.index()).collect();
        let unexpected: Vec<usize> = grouped.unexpected().iter().map(|u| u.index).collect();
        assert_eq!(not_expected, unexpected, "unexpected list differs from the segments placed as unexpected");
        for m in grouped.missing() {
            assert!(m.before.is_none_or(|b| (1..=msg.segment_count()).contains(&b)), "missing.before outside");
        }
        let _ = format!("{grouped:?}");
    }
    for d in validate_message(&msg, &ValidationOptions::default()) {
        assert!(d.location.offset <= data.len(), "diagnostic offset past the input");
        let _ = (d.to_string(), format!("{d:?}"));
    }
});
