#!/usr/bin/env bash
# Fuzzes the tus Upload-Metadata and HTTP Range parsers for a bounded time (issue 10).
# This is the libFuzzer-free fallback (no cargo-fuzz, no nightly): the fuzz loop of
# crates/liuhen-server/src/fuzz.rs, seeded from the corpus kept in
# crates/liuhen-server/fuzz/corpus/{tus_metadata,range}/, with a fresh random seed.
# A failing input is saved under target/fuzz-failures/; add it to the corpus once fixed.
#   scripts/fuzz.sh [seconds per target, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
seed="${LIUHEN_FUZZ_SEED:-$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')}"
echo "fuzz.sh: ${seconds}s per target, seed ${seed}" >&2
LIUHEN_FUZZ_SECONDS="$seconds" LIUHEN_FUZZ_SEED="$seed" \
    cargo test -p liuhen-server --lib fuzz:: -- --nocapture --test-threads=2
