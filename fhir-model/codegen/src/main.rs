//! `cargo run -p fhir-codegen [-- FHIR_R4_DIR [OUT_DIR [EXEMPLAR_DIR]]]`: regenerates
//! `fhir-model/src/generated/` and the exemplar instances in `fhir-model/tests/exemplars/`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use fhir_codegen::GeneratedFile;

/// Writes `files` into `dir`, removing files with extension `ext` that are no longer produced.
fn write_dir(dir: &Path, files: &[GeneratedFile], ext: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().extension().is_some_and(|e| e == ext) && !files.iter().any(|f| f.name == name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    for f in files {
        std::fs::write(dir.join(&f.name), &f.text).map_err(|e| format!("{}: {e}", f.name))?;
    }
    eprintln!("fhir-codegen: wrote {} files to {}", files.len(), dir.display());
    Ok(())
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut args = std::env::args_os().skip(1);
    let input = args.next().map_or_else(|| manifest.join("../../../shared/fhir-r4"), PathBuf::from);
    let out = args.next().map_or_else(|| manifest.join("../src/generated"), PathBuf::from);
    let exemplar_dir = args.next().map_or_else(|| manifest.join("../tests/exemplars"), PathBuf::from);
    let schema = fhir_codegen::read_schema(&input)?;
    let generated = fhir_codegen::emit_schema(&schema);
    for w in &generated.warnings {
        eprintln!("note: {w}");
    }
    write_dir(&out, &generated.files, "rs")?;
    let exemplars = fhir_codegen::exemplars::exemplars(&schema);
    for path in &exemplars.cut_required {
        eprintln!("note: exemplars leave out required {path} (a cycle or the depth cut)");
    }
    write_dir(&exemplar_dir, &exemplars.files, "json")
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fhir-codegen: {e}");
            ExitCode::FAILURE
        }
    }
}
