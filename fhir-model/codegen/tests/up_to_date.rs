//! What the generator writes today must be what is committed: `src/generated/` and the exemplar
//! instances in `tests/exemplars/`.

#[path = "../../../hl7-core/tests/common/shared.rs"]
mod shared;

use std::path::{Path, PathBuf};

use fhir_codegen::GeneratedFile;

/// The definitions folder, or `None` (with a printed notice) when it is absent.
fn definitions() -> Option<PathBuf> {
    shared::shared_dir("fhir-r4")
}

/// Asserts that `dir` holds exactly `files` among its files with extension `ext`.
fn assert_committed(dir: &Path, files: &[GeneratedFile], ext: &str) {
    let differ: Vec<&str> = files
        .iter()
        .filter(|f| std::fs::read_to_string(dir.join(&f.name)).ok().as_deref() != Some(f.text.as_str()))
        .map(|f| f.name.as_str())
        .collect();
    let extra: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == ext))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !files.iter().any(|f| &f.name == n))
        .collect();
    assert!(
        differ.is_empty() && extra.is_empty(),
        "{} is stale (run `cargo run -p fhir-codegen`): differing {differ:?}, extra {extra:?}",
        dir.display()
    );
}

#[test]
fn generated_code_is_up_to_date() {
    let Some(input) = definitions() else { return };
    let generated = fhir_codegen::generate(&input).expect("generation succeeds");
    assert_committed(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../src/generated"), &generated.files, "rs");
}

#[test]
fn exemplars_are_up_to_date() {
    let Some(input) = definitions() else { return };
    let schema = fhir_codegen::read_schema(&input).expect("definitions read");
    let exemplars = fhir_codegen::exemplars::exemplars(&schema);
    // Every element with min >= 1 is in them: none was cut by a cycle or the depth limit.
    assert!(exemplars.cut_required.is_empty(), "required elements left out: {:?}", exemplars.cut_required);
    assert_committed(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/exemplars"), &exemplars.files, "json");
}
