#!/usr/bin/env bash
# Short fuzz run for CI: every cargo-fuzz target, one after another, for SECONDS each (default 20).
# Seeds from the project's corpus only; see run.sh for what it prints and when it fails.
set -uo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/run.sh" --seconds "${1:-20}"
