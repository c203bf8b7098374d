#!/usr/bin/env bash
# Runs the cargo-fuzz targets for a bounded time and prints one line per target (executions, edge
# coverage, features, corpus size, peak RSS), then a Markdown table of the same for issue notes.
#
#   fuzz/run.sh [--seconds S] [--jobs J] [--max-len N] [--shared-seeds] [--seeds-from DIR] [TARGET ...]
#
#   --seconds S      time per target (default 20)
#   --max-len N      longest input libFuzzer makes, in bytes (default 65536; a longer seed is cut).
#                    Without it libFuzzer takes the longest seed, and one 280 KB message slowed
#                    mllp and validate to ~100 runs/s. Large payloads have their own tests.
#   --jobs J         targets run at once (default 1; the machine has 2 cores, so J > 2 shares them)
#   --shared-seeds   also read ../shared/corpus and ../shared/conformance as extra seed directories
#                    (long local runs; CI seeds only from the project's own corpus/)
#   --seeds-from DIR real messages (a site's files, batch files, MLLP captures) as extra seeds for the
#                    v2 targets, anonymized first by `hl7rs anonymize` (default-deny: only allow-listed
#                    coded fields survive) into fuzz/target/anonymized-seeds/; the originals are never
#                    read by a fuzzer and never copied into fuzz/corpus
#   TARGET ...       default: every file in fuzz_targets/
#
# Without a nightly toolchain it says so and exits 0. It installs cargo-fuzz when missing. Exit 1 on
# any crash, timeout, OOM or build failure. Logs stay in fuzz/target/run-logs/<time>-<pid>/ (one
# directory per run: two runs at once, say CI's short run beside a long one, would otherwise write
# into the same <target>.log and garble each other's statistics); only the panic line is
# echoed (libFuzzer's own crash report would print the input bytes, and inputs may hold PHI).
set -uo pipefail

seconds=20
jobs=1
max_len=65536
shared_seeds=0
seeds_from=""
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        --max-len) max_len="$2"; shift 2 ;;
        --shared-seeds) shared_seeds=1; shift ;;
        --seeds-from) seeds_from="$2"; shift 2 ;;
        -*) echo "fuzz/run.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
shared="$root/../shared"

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

if [ ${#targets[@]} -eq 0 ]; then
    for src in "$here"/fuzz_targets/*.rs; do targets+=("$(basename "$src" .rs)"); done
fi

# Extra seed directories for long runs: v2 messages for the byte-level v2 targets, the conformance
# bundles for fhir_json. libFuzzer reads every directory after the first and writes only the first.
# Made once, before any target starts, so that parallel targets never see a half-copied directory.
conformance_seeds() { # conformance_seeds <name> <file pattern>: copies the matching case files once
    local dir="$here/target/shared-seeds/$1"
    [ -d "$dir" ] && return 0
    mkdir -p "$dir.tmp" && find "$shared/conformance/cases" -name "$2" -exec cp {} "$dir.tmp/" \; && mv "$dir.tmp" "$dir"
}
if [ "$shared_seeds" -eq 1 ] && [ -d "$shared/conformance/cases" ]; then
    conformance_seeds hl7 '*.hl7' && conformance_seeds fhir '*.fhir' || { echo "fuzz: seeding from shared failed"; exit 1; }
fi
anonymized="$here/target/anonymized-seeds"
if [ -n "$seeds_from" ]; then
    [ -d "$seeds_from" ] || { echo "fuzz: --seeds-from $seeds_from is not a directory"; exit 2; }
    rm -rf "$anonymized"
    # --all-files: a site's captures need not end in .hl7; a file that does not parse is written
    # fully scrambled, so nothing of it survives either.
    if ! (cd "$root" && cargo run --quiet --release -p hl7rs-cli -- anonymize --quiet --all-files \
        "$seeds_from" --out "$anonymized" >/dev/null 2>"$here/target/anonymize.log"); then
        # Files that did not parse make the exit status 1; they are still written, scrambled.
        grep -q . "$here/target/anonymize.log" && echo "fuzz: anonymize reported problems (see target/anonymize.log)"
    fi
    [ -d "$anonymized" ] || { echo "fuzz: anonymizing $seeds_from failed"; exit 1; }
    echo "fuzz: $(find "$anonymized" -type f | wc -l) anonymized seed files from $seeds_from"
fi
extra_seeds() { # extra_seeds <target>: prints directories, one a line
    if [ -n "$seeds_from" ]; then
        case "$1" in parse | batch | mllp | ack | validate) echo "$anonymized" ;; esac
    fi
    [ "$shared_seeds" -eq 1 ] || return 0
    local v2=("$shared/corpus" "$here/target/shared-seeds/hl7") fhir=("$here/target/shared-seeds/fhir") d
    case "$1" in
        parse | batch | mllp | ack | validate) for d in "${v2[@]}"; do [ -d "$d" ] && echo "$d"; done ;;
        fhir_json) for d in "${fhir[@]}"; do [ -d "$d" ] && echo "$d"; done ;;
    esac
    return 0
}

# Run the binaries just built (not `cargo fuzz run`, which would rebuild if sources moved meanwhile).
host="$(rustc +nightly -vV | sed -n 's/^host: //p')"
bin="$here/target/$host/release"
logs="$here/target/run-logs/$(date -u +%Y%m%dT%H%M%SZ)-$$"
mkdir -p "$logs"

run_one() { # run_one <target>: runs it, writes <target>.log and <target>.row
    local target="$1" log="$logs/$1.log" dict="$here/$1.dict" rc
    [ -f "$dict" ] || dict="$here/hl7.dict"
    mkdir -p "corpus/$target" "artifacts/$target"
    local dirs=("corpus/$target")
    while IFS= read -r d; do [ -n "$d" ] && dirs+=("$d"); done < <(extra_seeds "$target")
    "$bin/$target" "${dirs[@]}" -artifact_prefix="artifacts/$target/" \
        -max_total_time="$seconds" -max_len="$max_len" -dict="$dict" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1
    rc=$?
    local runs cov ft corp rss status
    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)"
    rss="$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)"
    # The last status line libFuzzer printed (#N DONE / pulse / NEW): cov = edges, ft = features.
    local last
    last="$(grep -E '^#[0-9]+' "$log" | tail -n 1)"
    cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
    ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
    corp="$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")"
    if [ "$rc" -eq 0 ]; then status=0; else status=1; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$seconds" "${runs:-?}" "${cov:-?}" "${ft:-?}" \
        "${corp:-?}" "${rss:-?}" "$status" >"$logs/$target.row"
    if [ "$status" -eq 0 ]; then
        echo "fuzz $target: ${seconds}s, runs=${runs:-0}, cov=${cov:-?}, ft=${ft:-?}, corpus=${corp:-?}, crashes=0"
    else
        echo "fuzz $target: ${seconds}s, runs=${runs:-?}, crashes=1 (rc $rc; input in fuzz/artifacts/$target/, log $log)"
        grep -A1 -E 'panicked at|ERROR: libFuzzer' "$log" | head -n 4 | sed 's/^/    /'
    fi
}

failed=0
running=0
for target in "${targets[@]}"; do
    if [ ! -x "$bin/$target" ]; then
        echo "fuzz: no such target: $target"
        failed=1
        continue
    fi
    rm -f "$logs/$target.row"
    run_one "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

echo
echo "| target | seconds | executions | edges (cov) | features (ft) | corpus | peak RSS MB | crashes |"
echo "|---|---|---|---|---|---|---|---|"
for target in "${targets[@]}"; do
    row="$logs/$target.row"
    [ -f "$row" ] || continue
    IFS=$'\t' read -r t s r c f p m st <"$row"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$t" "$s" "$r" "$c" "$f" "$p" "$m" "$st"
    [ "$st" -eq 0 ] || failed=1
done
exit "$failed"
