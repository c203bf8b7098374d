#!/usr/bin/env bash
# All tests: formatting, clippy, unit/integration/doc tests, no_std builds, bench build, short fuzz.
# Installs what it needs (rustup components; cargo-fuzz via fuzz/run-short.sh). Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

echo "== toolchain"
cargo --version
rustup component list --installed 2>/dev/null | grep -E '^(clippy|rustfmt)' || true
for c in clippy rustfmt; do
  rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c" || true
done

echo "== format"
cargo fmt --all -- --check

echo "== clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

echo "== tests"
cargo test --workspace

echo "== conformance (v2 -> FHIR against ../shared/conformance; floor on the IG-adjusted recall)"
cargo build --quiet -p hl7rs-cli
python3 hl7-map/conformance/score.py --hl7rs "${CARGO_TARGET_DIR:-target}/debug/hl7rs" --floor 0.80

echo "== hl7-core without default features (no_std, no alloc)"
cargo build -p hl7-core --no-default-features
# Built alone, so no other member's features are unified into hl7-core.
cargo build -p hl7-core-no-std-check
cargo test -p hl7-core --no-default-features --lib
cargo build -p hl7-core --no-default-features --features alloc
cargo test -p hl7-core --doc

echo "== benchmarks compile (without LTO: this only checks they build)"
CARGO_PROFILE_BENCH_LTO=false CARGO_PROFILE_BENCH_CODEGEN_UNITS=16 cargo bench --workspace --no-run

echo "== python bindings (wheel, pytest, stubtest)"
bash scripts/test-python.sh

if [ -x fuzz/run-short.sh ]; then
  echo "== fuzz (short)"
  bash fuzz/run-short.sh "${FUZZ_SECONDS:-20}"
fi
echo "== CI passed"
