//! The committed `src/generated/` must be exactly what the generator writes today.

use std::path::PathBuf;

#[test]
fn generated_code_is_up_to_date() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let input = manifest.join("../../../shared/fhir-r4");
    if !input.join("profiles-resources.json").exists() {
        eprintln!("skipping: ../shared/fhir-r4 absent");
        return;
    }
    let generated = fhir_codegen::generate(&input).expect("generation succeeds");
    let out = manifest.join("../src/generated");
    let mut differ = Vec::new();
    for f in &generated.files {
        let committed = std::fs::read_to_string(out.join(&f.name)).unwrap_or_default();
        if committed != f.text {
            differ.push(f.name.clone());
        }
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&out)
        .expect("src/generated exists")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| std::path::Path::new(n).extension().is_some_and(|e| e == "rs"))
        .collect();
    on_disk.retain(|n| !generated.files.iter().any(|f| &f.name == n));
    assert!(
        differ.is_empty() && on_disk.is_empty(),
        "src/generated is stale (run `cargo run -p fhir-codegen`): differing {differ:?}, extra {on_disk:?}"
    );
}
