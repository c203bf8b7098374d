//! Parsing and visiting every field, component and subcomponent, decoding every escape, allocates
//! nothing: checked with a counting global allocator over the project corpus and, when present, the
//! shared corpus.

use std::path::Path;

mod common;
use common::files_under;

/// Parses and walks everything; returns a checksum so the work is not optimised away.
fn walk(input: &[u8]) -> usize {
    let mut sum = 0;
    for msg in hl7_core::Batch::new(input).messages().flatten() {
        for seg in msg.segments() {
            sum += seg.id().len();
            for field in seg.fields() {
                for rep in field.repetitions() {
                    for comp in rep.components() {
                        for sub in comp.subcomponents() {
                            for chunk in sub.unescape() {
                                sum += chunk.with_bytes(<[u8]>::len);
                            }
                        }
                    }
                }
            }
        }
        sum += usize::from(msg.charset_report().utf8_valid);
        let _ = msg.query("PID-3[1].1");
    }
    sum
}

#[test]
fn parsing_and_visiting_allocates_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    files_under(&root.join("corpus"), &mut files);
    if let Some(shared) = common::shared_dir("corpus") {
        files_under(&shared, &mut files);
    }
    let inputs: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert!(inputs.len() > 40);
    let mut sum = 0;
    let info = allocation_counter::measure(|| {
        for input in &inputs {
            sum += walk(input);
        }
    });
    assert!(sum > 0);
    assert_eq!(info.count_total, 0, "parsing {} files allocated {} times", inputs.len(), info.count_total);
}

#[test]
fn the_counter_sees_allocations() {
    // Guards the test above: the counter does count allocations made in the closure.
    let info = allocation_counter::measure(|| {
        std::hint::black_box(vec![1u8; 16]);
    });
    assert!(info.count_total > 0);
}
