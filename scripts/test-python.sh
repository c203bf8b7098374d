#!/usr/bin/env bash
# Python bindings: build the abi3 wheel with maturin, install it in a fresh venv, run pytest (with
# the package's doctests) and mypy stubtest (the .pyi against the built module). From the repo root:
#   bash scripts/test-python.sh
# PY_PROFILE=release (default) or dev; HL7RS_REQUIRE_SHARED=1 makes the corpus tests fail when
# ../shared/corpus is absent (CI sets it), and the MLLP interop tests fail when python-hl7 or the
# hl7rs binary is missing. HL7RS_BIN (default: the debug build, made here) is the hl7rs command
# that tests/test_mllp_interop.py runs against python-hl7.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
PYTHON="${PYTHON:-python3}"
venv="$CARGO_TARGET_DIR/py-venv"
wheels="$CARGO_TARGET_DIR/py-wheels"

echo "-- fresh venv in $venv"
rm -rf "$venv" "$wheels"
"$PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "maturin>=1.7,<2" "pytest>=7.4" "mypy>=1.10"
# python-hl7: the differential test of hl7rs.compat and the MLLP interop tests run against it.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "hl7==0.4.5"
# pyarrow and pandas: the `arrow` / `pandas` extras, for hl7rs.to_arrow / to_pandas (tests/test_arrow.py).
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "pyarrow>=12" "pandas>=1.5"

echo "-- hl7rs command (for the MLLP interop tests with python-hl7)"
if [ -z "${HL7RS_BIN:-}" ]; then
  cargo build --quiet -p hl7rs-cli
  HL7RS_BIN="$CARGO_TARGET_DIR/debug/hl7rs"
fi
export HL7RS_BIN

echo "-- wheel"
profile_flag=(--release)
if [ "${PY_PROFILE:-release}" = dev ]; then profile_flag=(); fi
# LTO off: the workspace release profile's fat LTO roughly doubles this build for a few % speed.
CARGO_PROFILE_RELEASE_LTO="${CARGO_PROFILE_RELEASE_LTO:-false}" \
  "$venv/bin/maturin" build "${profile_flag[@]}" -m bindings-python/Cargo.toml -o "$wheels" \
  --interpreter "$venv/bin/python" --quiet
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --find-links "$wheels" hl7rs

echo "-- pytest"
cd bindings-python
# Exit status 5 (no tests collected) is a failure too: set -e sees any non-zero status.
"$venv/bin/python" -m pytest -q -p no:cacheprovider --doctest-modules \
  "$("$venv/bin/python" -c 'import hl7rs, os; print(os.path.dirname(hl7rs.__file__))')" tests
echo "-- stubtest"
"$venv/bin/python" -m mypy.stubtest hl7rs --allowlist stubtest-allowlist.txt --mypy-config-file pyproject.toml
