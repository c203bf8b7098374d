//! Where the shared material (`../shared/` beside the repository) is, for the tests of every crate
//! (each includes this file with `#[path]`).
//!
//! Absent shared material skips a test with a printed notice, so a fresh clone passes alone. CI
//! sets `HL7RS_REQUIRE_SHARED=1` (`.ci/run`): there an absent directory fails the test instead, so
//! CI can never pass without the shared corpus.

use std::path::{Path, PathBuf};

/// `../shared/<rel>` beside the repository, or `None` (with a notice on stderr) when it is
/// absent. Panics when it is absent and `HL7RS_REQUIRE_SHARED` is set.
pub fn shared_dir(rel: &str) -> Option<PathBuf> {
    // Every crate of the workspace sits one level below the repository root.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared").join(rel);
    let dir = if dir.exists() {
        dir
    } else {
        // fhir-model/codegen sits two levels below.
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(rel)
    };
    if dir.exists() {
        return Some(dir);
    }
    let required = std::env::var_os("HL7RS_REQUIRE_SHARED").is_some_and(|v| !v.is_empty() && v != "0");
    assert!(!required, "HL7RS_REQUIRE_SHARED is set but the shared material is absent: {}", dir.display());
    eprintln!("NOTICE: {} is absent; this test is skipped (set HL7RS_REQUIRE_SHARED=1 to fail instead)", dir.display());
    None
}
