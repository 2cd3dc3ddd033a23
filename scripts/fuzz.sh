#!/usr/bin/env bash
# Fuzzes the tus Upload-Metadata and HTTP Range parsers (liuhen-domain::headers) for a
# bounded time (issue 10). Two engines over one corpus, kept in the repository in
# crates/liuhen-server/fuzz/corpus/{tus_metadata,range}/:
#   libfuzzer  cargo-fuzz (libFuzzer, coverage-guided; needs the nightly toolchain and
#              `cargo install cargo-fuzz`): crates/liuhen-server/fuzz/fuzz_targets/*.rs.
#              New interesting inputs go to a scratch corpus (target/fuzz-corpus/), not the
#              repository's; crashes to target/fuzz-failures/.
#   stable     the libFuzzer-free loop of crates/liuhen-server/src/fuzz.rs (mutations of the
#              corpus, fresh seed); `cargo test` runs it deterministically in CI.
#   scripts/fuzz.sh [seconds per target, default 60] [libfuzzer|stable|both, default both]
# With `both`, libFuzzer is skipped (with a note) when nightly or cargo-fuzz is missing,
# unless CI=true, where a missing engine that was asked for fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
engine="${2:-${LIUHEN_FUZZ_ENGINE:-both}}"
root="$PWD"
mkdir -p target/fuzz-failures

have_libfuzzer() {
    cargo +nightly --version >/dev/null 2>&1 && cargo +nightly fuzz --version >/dev/null 2>&1
}

run_libfuzzer() {
    for t in tus_metadata range; do
        scratch="$root/target/fuzz-corpus/$t"
        mkdir -p "$scratch"
        echo "fuzz.sh: libFuzzer $t for ${seconds}s" >&2
        (cd crates/liuhen-server && cargo +nightly fuzz run -O "$t" "$scratch" "fuzz/corpus/$t" -- \
            -max_total_time="$seconds" -max_len=4096 -timeout=5 \
            -artifact_prefix="$root/target/fuzz-failures/$t-")
    done
}

run_stable() {
    seed="${LIUHEN_FUZZ_SEED:-$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')}"
    echo "fuzz.sh: stable loop, ${seconds}s per target, seed ${seed}" >&2
    LIUHEN_FUZZ_SECONDS="$seconds" LIUHEN_FUZZ_SEED="$seed" \
        cargo test -p liuhen-server --lib fuzz:: -- --nocapture --test-threads=2
}

case "$engine" in
    stable) run_stable ;;
    libfuzzer)
        have_libfuzzer || { echo "fuzz.sh: needs the nightly toolchain and cargo-fuzz" >&2; exit 1; }
        run_libfuzzer ;;
    both)
        if have_libfuzzer; then
            run_libfuzzer
        elif [[ "${CI:-false}" == "true" ]]; then
            echo "fuzz.sh: cargo-fuzz (nightly) is required under CI=true for engine 'both'" >&2
            exit 1
        else
            echo "fuzz.sh: nightly or cargo-fuzz missing: libFuzzer skipped" >&2
        fi
        run_stable ;;
    *) echo "fuzz.sh: engine is libfuzzer, stable or both" >&2; exit 2 ;;
esac
