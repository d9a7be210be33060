#!/usr/bin/env bash
# Builds sg for a GPU node from this repository alone: sg-train against a CUDA LibTorch, and
# sg-worker, sg-coordinator and sgctl beside it.
#   deploy/build-gpu.sh [--torch-dir DIR] [--build-dir DIR] [--install PREFIX] [-- extra cmake args]
# LibTorch, first found of:
#   --torch-dir DIR     a folder holding TorchConfig.cmake (LibTorch distribution:
#                       libtorch/share/cmake/Torch) or a LibTorch root (libtorch/)
#   $Torch_DIR          the same, from the environment
#   python3's torch     an installed PyTorch package (pip/conda), which ships the C++ LibTorch
# The other libraries (gRPC 1.51, Protobuf, Abseil, SQLite, yaml-cpp, nlohmann-json,
# cpp-httplib) come from the system: on Debian 12 `deploy/install-deps.sh --no-torch`, on
# Ubuntu 24.04 the same package names. LibTorch must use the C++11 ABI, as those libraries do
# (PyTorch wheels from 2.7 on; LibTorch distributions named "cxx11-abi").
# With --install, the binaries go to PREFIX/bin with an RPATH to LibTorch's libraries, so they
# run without LD_LIBRARY_PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
torch_dir="${Torch_DIR:-}"
build_dir="${SG_BUILD_DIR:-build-gpu}"
prefix=""
while [ $# -gt 0 ]; do
  case "$1" in
    --torch-dir) torch_dir="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --install) prefix="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "build-gpu.sh: unknown argument '$1' (allowed: --torch-dir DIR, --build-dir DIR, --install PREFIX, -- CMAKE_ARGS...)" >&2; exit 2 ;;
  esac
done

if [ -z "$torch_dir" ]; then
  if python3 -c 'import torch' 2>/dev/null; then
    torch_dir="$(python3 -c 'import torch, os; print(os.path.join(torch.utils.cmake_prefix_path, "Torch"))')"
    abi="$(python3 -c 'import torch; print(int(torch.compiled_with_cxx11_abi()))')"
    if [ "$abi" != "1" ]; then
      echo "build-gpu.sh: python3's torch $(python3 -c 'import torch; print(torch.__version__)') uses the old C++ ABI; gRPC and Protobuf use the C++11 ABI. Install PyTorch >= 2.7 or pass --torch-dir with a cxx11-abi LibTorch distribution." >&2
      exit 1
    fi
  else
    echo "build-gpu.sh: no LibTorch: pass --torch-dir (a LibTorch distribution's libtorch/share/cmake/Torch), set Torch_DIR, or install PyTorch for python3" >&2
    exit 1
  fi
fi
# A LibTorch root is accepted as well as its CMake folder.
if [ -f "$torch_dir/share/cmake/Torch/TorchConfig.cmake" ]; then torch_dir="$torch_dir/share/cmake/Torch"; fi
if [ ! -f "$torch_dir/TorchConfig.cmake" ]; then
  echo "build-gpu.sh: --torch-dir / Torch_DIR '$torch_dir' holds no TorchConfig.cmake" >&2
  exit 1
fi
torch_lib="$(cd "$torch_dir/../../../lib" && pwd)"
echo "build-gpu.sh: LibTorch from $torch_dir"

cmake_args=(-S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSG_WITH_TORCH=ON
            -DTorch_DIR="$torch_dir" -DSG_BUILD_TESTS="${SG_BUILD_TESTS:-OFF}"
            -DCMAKE_INSTALL_RPATH="$torch_lib" -DCMAKE_INSTALL_RPATH_USE_LINK_PATH=ON)
if [ -n "$prefix" ]; then cmake_args+=(-DCMAKE_INSTALL_PREFIX="$prefix"); fi
cmake "${cmake_args[@]}" "$@"
cmake --build "$build_dir" -j "$(nproc)" --target sg-train sg-analyze sg-worker sg-coordinator sgctl
if [ -n "$prefix" ]; then
  cmake --install "$build_dir"
  echo "build-gpu.sh: installed into $prefix/bin"
else
  echo "build-gpu.sh: built into $build_dir (sg-train: $build_dir/trainer/sg-train)"
fi
