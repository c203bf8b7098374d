//! Embeds the built-in matrices (`mappings/<folder>/*.csv`) with `include_str!`, so that the data
//! files stay the only source of truth and `Engine::builtin()` needs no files at run time.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    for kind in ["messages", "segments", "datatypes", "vocabulary"] {
        let dir = root.join(kind);
        println!("cargo:rerun-if-changed={}", dir.display());
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")) {
                files.push((format!("{kind}/{}", e.file_name().to_string_lossy()), p));
            }
        }
    }
    files.sort();
    let mut out = String::from("&[\n");
    for (name, path) in &files {
        let _ = writeln!(out, "    ({name:?}, include_str!({:?})),", path.display().to_string());
    }
    out.push(']');
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("builtin.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        println!("cargo:warning=cannot write {}: {e}", dest.display());
    }
}
