#!/usr/bin/env bash
# One command: install what is needed, build, and run ALL mailtee tests:
#   1. unit + integration tests (ctest) on the release build
#   2. interop tests against real Postfix / Dovecot / swaks / curl / python / fetchmail on loopback
#   3. unit + integration tests again under ASan + UBSan
#   4. every libFuzzer target for a short run (MAILTEE_FUZZ_SECONDS, default 20)
#   5. benchmarks (quick sizes under CI; MAILTEE_BENCH_FULL=1 for the full load)
# Stages keep going after a failure so one run shows everything; the exit code
# is non-zero if any stage failed. The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/mailtee-ccache}"
fuzz_seconds="${MAILTEE_FUZZ_SECONDS:-20}"
passed=0; failed=0; failed_stages=()

stage() { echo; echo "==== $* ===="; }
count_ctest() {  # parses "NN% tests passed, F tests failed out of T"
  local log=$1 line
  line=$(grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" "$log" | tail -1)
  if [[ -n "$line" ]]; then
    local f t
    f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    t=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
    passed=$((passed + t - f)); failed=$((failed + f))
  fi
}
fail() { failed_stages+=("$1"); }

stage "dependencies"
bash deploy/install-deps.sh --tests || { echo "dependency install failed"; exit 1; }

stage "release build"
if bash deploy/build.sh release; then
  stage "unit + integration tests (release)"
  ctest --test-dir build --output-on-failure -j2 --timeout 300 2>&1 | tee build/ctest.log
  [[ ${PIPESTATUS[0]} -eq 0 ]] || fail "ctest-release"
  count_ctest build/ctest.log

  stage "interop tests (real Postfix, Dovecot, clients)"
  if [[ -x tests/interop/run.sh ]]; then
    MAILTEE_BIN="$root/build/admin/mailtee" bash tests/interop/run.sh 2>&1 | tee build/interop.log
    [[ ${PIPESTATUS[0]} -eq 0 ]] || fail "interop"
    line=$(grep -E "^=+ .*(passed|failed).* in [0-9.]+s" build/interop.log | tail -1)
    p=$(grep -oE "[0-9]+ passed" <<<"$line" | grep -oE "[0-9]+"); f=$(grep -oE "[0-9]+ failed" <<<"$line" | grep -oE "[0-9]+")
    e=$(grep -oE "[0-9]+ errors?" <<<"$line" | grep -oE "[0-9]+")
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0}))
  fi

  stage "browser tests (headless Chromium + Playwright)"
  if [[ -x tests/browser/run.sh ]]; then
    MAILTEE_BIN="$root/build/admin/mailtee" bash tests/browser/run.sh 2>&1 | tee build/browser.log
    [[ ${PIPESTATUS[0]} -eq 0 ]] || fail "browser"
    line=$(grep -E "^[0-9]+ passed, [0-9]+ failed" build/browser.log | tail -1)
    p=$(grep -oE "^[0-9]+" <<<"$line"); f=$(grep -oE "[0-9]+ failed" <<<"$line" | grep -oE "[0-9]+")
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1}))
  fi
else
  fail "release-build"
fi

stage "ASan + UBSan build and tests"
if bash deploy/build.sh asan; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j2 --timeout 600 2>&1 | tee build-asan/ctest.log
  [[ ${PIPESTATUS[0]} -eq 0 ]] || fail "ctest-asan"
  count_ctest build-asan/ctest.log
else
  fail "asan-build"
fi

stage "fuzz targets (${fuzz_seconds}s each)"
if bash deploy/build.sh fuzz; then
  for bin in build-fuzz/tests/fuzz_*; do
    [[ -x "$bin" ]] || continue
    name=$(basename "$bin"); name=${name#fuzz_}
    corpus="build-fuzz/corpus/$name"; mkdir -p "$corpus"
    seeds=(); [[ -d "tests/fuzz/corpus/$name" ]] && seeds=("tests/fuzz/corpus/$name")
    echo "-- fuzz $name"
    if "$bin" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -print_final_stats=0 "$corpus" "${seeds[@]}" \
         > "build-fuzz/$name.log" 2>&1; then
      passed=$((passed + 1)); tail -2 "build-fuzz/$name.log"
    else
      failed=$((failed + 1)); fail "fuzz-$name"; tail -40 "build-fuzz/$name.log"
    fi
  done
else
  fail "fuzz-build"
fi

stage "benchmarks"
if [[ -x tests/bench/run.sh ]]; then
  bash tests/bench/run.sh || fail "benchmarks"
fi

echo
if ((${#failed_stages[@]})); then echo "run-all: FAILED stages: ${failed_stages[*]}"; fi
echo "$passed passed, $failed failed"
((${#failed_stages[@]} == 0))
