#!/usr/bin/env bash
# Configures and builds sg into ./build (Release with debug info, Ninja, ccache).
#   deploy/build.sh [extra cmake -D arguments]
# Builds without LibTorch (coordinator, sgctl and their tests only) when it is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${SG_BUILD_DIR:-build}"
torch=ON
if [ ! -f /usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake ] && [ -z "${Torch_DIR:-}" ]; then
  echo "build.sh: LibTorch not found; building without the trainer (-DSG_WITH_TORCH=OFF)" >&2
  torch=OFF
fi
cmake -S . -B "$build_dir" -G Ninja -DSG_WITH_TORCH="$torch" "$@" >/dev/null
ninja -C "$build_dir" -j "$(nproc)"
