//! Helpers shared by the hl7-map integration tests.

// Each test binary uses only some of these.
#![allow(dead_code)]

#[path = "../../../hl7-core/tests/common/shared.rs"]
mod shared;
pub use shared::shared_dir;

/// The IG mapping tables (`../shared/v2-to-fhir/mappings`), or `None` with a notice.
pub fn ig_dir() -> Option<std::path::PathBuf> {
    shared_dir("v2-to-fhir/mappings")
}
