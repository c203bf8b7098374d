//! Helpers shared by the integration tests: where the corpora are and which files they hold.

// Each test binary uses only some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

#[path = "../../../hl7-core/tests/common/shared.rs"]
mod shared;
pub use shared::shared_dir;

/// The repository root (the parent of this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every file below `dir` (recursively, in name order) except the `.md` and `.tsv` indexes.
pub fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else if p.extension().is_some_and(|e| e != "md" && e != "tsv") {
            out.push(p);
        }
    }
}
