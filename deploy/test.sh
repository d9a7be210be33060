#!/usr/bin/env bash
# Builds sg and runs every test (unit and integration) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/build.sh "$@"
cd "${SG_BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)" --timeout 900
