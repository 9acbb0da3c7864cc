#!/usr/bin/env bash
# Fuzzes the pipeline (fuzz/fuzz_targets/pipeline.rs) with cargo-fuzz for SECONDS (default 60).
# cargo-fuzz wants nightly compiler flags; RUSTC_BOOTSTRAP lets the stable toolchain accept them.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
mkdir -p fuzz/corpus/pipeline
cp -n samples/repair/*.txt samples/convert/news-simplified.txt fuzz/corpus/pipeline/ 2>/dev/null || true
RUSTC_BOOTSTRAP=1 cargo fuzz run pipeline --release -- -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048
