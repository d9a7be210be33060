#!/usr/bin/env bash
# Builds sg and runs every test (unit and integration) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/build.sh "$@"
(cd "${SG_BUILD_DIR:-build}" && ctest --output-on-failure -j "$(nproc)" --timeout 900)

# The libFuzzer targets (fuzz/) build in their own clang tree and are not run here yet (their
# build is not yet verified on a fresh machine; issue 16):
#   CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DSG_WITH_TORCH=OFF \
#     -DSG_BUILD_TESTS=OFF -DSG_BUILD_FUZZERS=ON && ninja -C build-fuzz sg-fuzzers \
#     && (cd build-fuzz && ctest -L fuzz)
