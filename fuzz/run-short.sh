#!/usr/bin/env bash
# Short fuzz run for CI: every cargo-fuzz target, one after another, for SECONDS each (default 20):
# parse, path, escape, mllp, batch, roundtrip, types, ack, validate, fhir_json, edit, and the
# mapping targets convert (v2 → FHIR through the built-in matrix) and matrix_load (hostile matrix
# CSVs). run.sh takes every file in fuzz_targets/, so a new target is run without being listed.
# Seeds from the project's corpus only; see run.sh for what it prints and when it fails.
set -uo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/run.sh" --seconds "${1:-20}"
