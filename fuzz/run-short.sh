#!/usr/bin/env bash
# Short fuzz run for CI: seeds the corpora, builds every cargo-fuzz target, runs each for SECONDS
# (default 20), prints one summary line per target, exits non-zero on any crash or build failure.
# Without a nightly toolchain it skips (exit 0). Logs stay in fuzz/target/short-logs; only the
# panic line is echoed (libFuzzer's own crash dump would print the input bytes).
set -uo pipefail

seconds="${1:-20}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "skipping fuzz: nightly toolchain not available"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked || { echo "fuzz: cargo-fuzz install failed"; exit 1; }
fi

# cargo fuzz builds into fuzz/target; a CI-wide CARGO_TARGET_DIR would mix sanitizer builds in.
unset CARGO_TARGET_DIR
cd "$here" || exit 1
"$root/scripts/fuzz-seeds.sh" || { echo "fuzz: seeding failed"; exit 1; }
mkdir -p "$here/target"
if ! cargo +nightly fuzz build >/dev/null 2>"$here/target/build.log"; then
    tail -n 30 "$here/target/build.log"
    echo "fuzz: build failed"
    exit 1
fi
rm -f "$here/target/build.log"

# Run the binaries just built (not `cargo fuzz run`, which would rebuild if sources moved meanwhile).
host="$(rustc +nightly -vV | sed -n 's/^host: //p')"
bin="$here/target/$host/release"
logs="$here/target/short-logs"
mkdir -p "$logs"
failed=0
for src in "$here"/fuzz_targets/*.rs; do
    target="$(basename "$src" .rs)"
    mkdir -p "corpus/$target" "artifacts/$target"
    log="$logs/$target.log"
    dict="$here/$target.dict"
    [ -f "$dict" ] || dict="$here/hl7.dict"
    "$bin/$target" "corpus/$target" -artifact_prefix="artifacts/$target/" \
        -max_total_time="$seconds" -dict="$dict" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1
    rc=$?
    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)"
    if [ "$rc" -eq 0 ]; then
        echo "fuzz $target: ${seconds}s, runs=${runs:-0}, crashes=0"
    else
        failed=1
        echo "fuzz $target: ${seconds}s, runs=${runs:-?}, crashes=1 (rc $rc; input in fuzz/artifacts/$target/, log $log)"
        grep -A1 -E 'panicked at|ERROR: libFuzzer' "$log" | head -n 4 | sed 's/^/    /'
    fi
done
exit "$failed"
