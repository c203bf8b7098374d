//! `cargo run -p fhir-codegen [-- FHIR_R4_DIR OUT_DIR]`: regenerates `fhir-model/src/generated/`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut args = std::env::args_os().skip(1);
    let input = args.next().map_or_else(|| manifest.join("../../../shared/fhir-r4"), PathBuf::from);
    let out = args.next().map_or_else(|| manifest.join("../src/generated"), PathBuf::from);
    let generated = match fhir_codegen::generate(&input) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("fhir-codegen: {e}");
            return ExitCode::FAILURE;
        }
    };
    for w in &generated.warnings {
        eprintln!("note: {w}");
    }
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("fhir-codegen: {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    // Remove files of resources no longer listed.
    if let Ok(dir) = std::fs::read_dir(&out) {
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().extension().is_some_and(|e| e == "rs") && !generated.files.iter().any(|f| f.name == name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    for f in &generated.files {
        if let Err(e) = std::fs::write(out.join(&f.name), &f.text) {
            eprintln!("fhir-codegen: {}: {e}", f.name);
            return ExitCode::FAILURE;
        }
    }
    eprintln!("fhir-codegen: wrote {} files to {}", generated.files.len(), out.display());
    ExitCode::SUCCESS
}
