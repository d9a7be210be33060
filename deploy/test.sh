#!/usr/bin/env bash
# Builds sg and runs every test (unit and integration) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/build.sh "$@"
(cd "${SG_BUILD_DIR:-build}" && ctest --output-on-failure -j "$(nproc)" --timeout 900)

# The libFuzzer targets (fuzz/), a few seconds each, in their own clang build (every library
# instrumented). Skipped, saying so, where clang-14 is not installed.
if command -v clang++-14 >/dev/null 2>&1; then
  fuzz_dir="${SG_FUZZ_BUILD_DIR:-build-fuzz}"
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$fuzz_dir" -G Ninja -DSG_WITH_TORCH=OFF \
    -DSG_BUILD_TESTS=OFF -DSG_BUILD_FUZZERS=ON >/dev/null
  ninja -C "$fuzz_dir" -j "$(nproc)" sg-fuzzers
  (cd "$fuzz_dir" && ctest --output-on-failure -L fuzz --timeout 300)
else
  echo "test.sh: clang++-14 not found; the fuzzers were not run (deploy/install-deps.sh installs it)" >&2
fi
