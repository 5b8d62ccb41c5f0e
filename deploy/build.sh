#!/usr/bin/env bash
# Configures and builds one variant of mailtee.
#   deploy/build.sh [release|asan|fuzz] [ninja targets...]
# Build dirs: build/ (release), build-asan/, build-fuzz/ (clang + libFuzzer).
set -euo pipefail
cd "$(dirname "$0")/.."
variant="${1:-release}"; shift || true
jobs="${MAILTEE_JOBS:-$(nproc)}"
case "$variant" in
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan)    dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DMAILTEE_SANITIZE=ON -DMAILTEE_BENCH=OFF) ;;
  fuzz)    dir=build-fuzz; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DMAILTEE_FUZZ=ON -DMAILTEE_BENCH=OFF
                                  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++) ;;
  *) echo "build.sh: unknown variant '$variant' (release|asan|fuzz)" >&2; exit 2 ;;
esac
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/mailtee-ccache}"
# Paths relative to the clone and no working directory in the hash: a fresh
# clone in another folder (CI) or a git worktree still hits the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(cd .. && pwd)}" CCACHE_NOHASHDIR=1
if [[ ! -f "$dir/build.ninja" ]]; then
  cmake -S . -B "$dir" -G Ninja "${flags[@]}"
fi
ninja -C "$dir" -j "$jobs" "$@"
