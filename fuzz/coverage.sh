#!/usr/bin/env bash
# Source coverage of the fuzz corpora: for each target, replays fuzz/corpus/<target> through a
# coverage-instrumented build (`cargo fuzz coverage`) and prints the line coverage of the project's
# own library code in that binary, by area (hl7-core/src; fhir-model/src without src/generated;
# fhir-model/src/generated), then the same for all targets together (profiles merged).
#
#   fuzz/coverage.sh [TARGET ...]     (default: every target)
#
# For long local runs, after fuzz/run.sh; not part of CI. Needs the nightly toolchain's
# llvm-tools component (`rustup +nightly component add llvm-tools-preview`; Debian's llvm is
# too old for nightly's profile format). Writes fuzz/coverage/<target>/ (gitignored) and
# fuzz/target/coverage-reports/<target>.txt (per-file tables).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$here" || exit 1
unset CARGO_TARGET_DIR

host="$(rustc +nightly -vV | sed -n 's/^host: //p')"
tools="$(rustc +nightly --print sysroot)/lib/rustlib/$host/bin"
if [ ! -x "$tools/llvm-cov" ]; then
    echo "fuzz coverage: no llvm-cov in $tools (rustup +nightly component add llvm-tools-preview)"
    exit 1
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for src in "$here"/fuzz_targets/*.rs; do targets+=("$(basename "$src" .rs)"); done
fi

reports="$here/target/coverage-reports"
mkdir -p "$reports"

area_totals() { # area_totals <label> <profile> <llvm-cov object args...>: one line per area
    local label="$1" profile="$2"
    shift 2
    # No source filter: a filter that matches no file makes llvm-cov report every file, and with the
    # dependencies' files left in, the common prefix it strips is "/", so project paths stay whole.
    "$tools/llvm-cov" report "$@" -instr-profile="$profile" >"$reports/$label.txt" 2>/dev/null
    # Columns: file, regions, missed, cover, functions, missed, executed, lines, missed, cover, ...
    awk -v t="$label" -v root="${root#/}/" '
        index($1, root) == 1 && $1 ~ /\.rs$/ {
            f = substr($1, length(root) + 1)
            if (f ~ /^hl7-core\/src\//) a = "hl7-core"
            else if (f ~ /^fhir-model\/src\/generated\//) a = "generated"
            else if (f ~ /^fhir-model\/src\//) a = "fhir-model"
            else next
            lines[a] += $8; missed[a] += $9
        }
        END {
            for (a in lines) if (lines[a] > missed[a])
                printf "%-10s %-12s %8d %8d %7.1f%%\n", t, a, lines[a], lines[a] - missed[a], \
                    100 * (lines[a] - missed[a]) / lines[a]
        }' "$reports/$label.txt" | sort -k2,2
}

printf '%-10s %-12s %8s %8s %8s\n' target code lines covered percent
objects=()
profiles=()
for target in "${targets[@]}"; do
    if ! cargo +nightly fuzz coverage "$target" "corpus/$target" >"$reports/$target.build.log" 2>&1; then
        echo "fuzz coverage: $target failed (log $reports/$target.build.log)"
        continue
    fi
    binary="$here/target/$host/coverage/$host/release/$target"
    profile="$here/coverage/$target/coverage.profdata"
    objects+=(-object "$binary")
    profiles+=("$profile")
    area_totals "$target" "$profile" "$binary"
done

# The union: every target's profile merged, every binary an object.
if [ ${#profiles[@]} -gt 1 ]; then
    "$tools/llvm-profdata" merge -sparse "${profiles[@]}" -o "$here/coverage/all.profdata"
    area_totals all "$here/coverage/all.profdata" "${objects[@]}"
fi
echo "per-file reports: $reports/<target>.txt"
