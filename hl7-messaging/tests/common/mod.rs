//! The integration-test helpers of hl7-core (corpus locations, the shared-dir rule), used as they
//! are: both crates sit one level below the repository root.

#[path = "../../../hl7-core/tests/common/mod.rs"]
mod core_common;
pub use core_common::*;
