#!/usr/bin/env bash
# Installs every Debian package that building and testing sg needs, on a fresh Debian 12 (bookworm).
# Safe to run again: apt-get skips what is already there.
#   deploy/install-deps.sh            everything (LibTorch included)
#   deploy/install-deps.sh --no-torch  what the coordinator, sgctl and their tests need
set -euo pipefail

with_torch=1
for arg in "$@"; do
  case "$arg" in
    --no-torch) with_torch=0 ;;
    *) echo "install-deps.sh: unknown argument '$arg' (allowed: --no-torch)" >&2; exit 2 ;;
  esac
done

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libsqlite3-dev sqlite3 libgtest-dev libgmock-dev libyaml-cpp-dev nlohmann-json3-dev
  gnuplot-nox
  # Operability and deployment (docs/deploy.md): /metrics over HTTP, the systemd unit check,
  # the Kubernetes manifests' renderer, the single-node SLURM cluster of the SLURM test.
  libcpp-httplib-dev systemd munge slurmctld slurmd slurm-client
)
if [ "$with_torch" -eq 1 ]; then
  # Debian's LibTorch is slow without an optimised BLAS: 1.7 vs 0.07 training steps/s measured.
  packages+=(libtorch-dev libopenblas0-pthread)
fi

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}"
