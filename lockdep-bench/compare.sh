#!/usr/bin/env bash
# Runs the w1-w4 comparison (benches/compare.rs) RUNS times (default 3),
# keeping each run's criterion estimates in target/criterion-run<i> (the
# root's target/, shared through .cargo/config.toml), and prints the table of
# docs/performance.md: per cell the median over the runs of the time and of
# the ratio to parking_lot measured in the same run.
#
#   bash lockdep-bench/compare.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")"
runs="${1:-3}"
dirs=()
for i in $(seq 1 "$runs"); do
  echo "== run $i of $runs: cargo bench --bench compare" >&2
  cargo bench --bench compare >&2
  rm -rf "../target/criterion-run$i"
  cp -r ../target/criterion "../target/criterion-run$i"
  dirs+=("../target/criterion-run$i")
done
uptime >&2
cargo run --quiet --release --bin table -- "${dirs[@]}"
