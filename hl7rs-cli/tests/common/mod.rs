//! Helpers shared by the command's tests: run the binary, make a fresh temporary directory.

// Each test binary uses only some of these.
#![allow(dead_code)]

pub mod mllp;

use std::path::PathBuf;
use std::process::Command;

/// Runs `hl7rs` with `args`; returns the exit code (-1 when killed by a signal), stdout, stderr.
pub fn hl7rs(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hl7rs")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A new, empty directory under the system's temporary directory, named after the test area
/// (`area`), the case (`name`) and the process.
pub fn temp_dir(area: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hl7rs-{area}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
