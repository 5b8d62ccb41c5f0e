#!/usr/bin/env bash
# Runs every benchmark and prints its figures (ratios against a peer measured in
# the same run where one applies). Under CI (CI=true) the load sizes are cut
# down so the whole suite stays within budget; MAILTEE_BENCH_FULL=1 forces the
# full sizes from the issues. Benchmarks report; they do not fail on a target.
set -uo pipefail
cd "$(dirname "$0")/../.."
status=0
quick=1
[[ "${MAILTEE_BENCH_FULL:-0}" == 1 ]] && quick=0
[[ "${CI:-}" != "true" && "${MAILTEE_BENCH_QUICK:-1}" == 0 ]] && quick=0
export MAILTEE_BENCH_QUICK=$quick
export MAILTEE_BIN="${MAILTEE_BIN:-$(pwd)/build/admin/mailtee}"

for bin in build/tests/*_bench; do
  [[ -x "$bin" ]] || continue
  echo "-- $(basename "$bin")"
  "$bin" --benchmark_min_time=0.2 || status=1
done
for script in tests/bench/load/*_bench.sh; do
  [[ -f "$script" ]] || continue
  echo "-- $(basename "$script") (quick=$quick)"
  timeout 900 bash "$script" || { echo "benchmark $script failed"; status=1; }
done
exit $status
