#!/usr/bin/env bash
# Benchmarks: the CLI against OpenCC 1.4.2's CLI (scripts/bench.py), then the criterion benches.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import opencc' 2>/dev/null || pip install --quiet opencc==1.4.2
python3 scripts/bench.py "$@"
if [ "${BENCH_CRITERION:-1}" = 1 ]; then
  cargo bench --bench stages -- --quick
fi
