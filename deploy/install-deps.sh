#!/usr/bin/env bash
# Installs every Debian package that building and testing sg needs, on a fresh Debian 12 (bookworm).
# Safe to run again: apt-get skips what is already there.
#   deploy/install-deps.sh            everything (LibTorch included)
#   deploy/install-deps.sh --no-torch  what the coordinator, sgctl and their tests need
#   deploy/install-deps.sh --build-only  only what building needs (no test tools; containers)
set -euo pipefail

with_torch=1
with_test_tools=1
for arg in "$@"; do
  case "$arg" in
    --no-torch) with_torch=0 ;;
    --build-only) with_test_tools=0 ;;
    *) echo "install-deps.sh: unknown argument '$arg' (allowed: --no-torch, --build-only)" >&2; exit 2 ;;
  esac
done

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libsqlite3-dev sqlite3 libgtest-dev libgmock-dev libyaml-cpp-dev nlohmann-json3-dev
  # sgctl plot: gnuplot without X, with the cairo terminals (pngcairo, pdfcairo) and svg.
  gnuplot-nox
  libssl-dev openssl
  clang-14 libclang-rt-14-dev
  # /metrics over HTTP (sg-coordinator and sg-worker --metrics-listen).
  libcpp-httplib-dev
)
# The web dashboard (dashboard/: npm ci and esbuild at build time; Debian 12 has node 18, npm 9).
# Each only where it is missing: a node from elsewhere (e.g. NodeSource) brings its own npm.
if ! command -v node >/dev/null; then packages+=(nodejs); fi
if ! command -v npm >/dev/null; then packages+=(npm); fi
if [ "$with_test_tools" -eq 1 ]; then
  # Tests: plots; the systemd unit check; the single-node SLURM cluster of the SLURM test.
  packages+=(gnuplot-nox systemd munge slurmctld slurmd slurm-client)
  # The dashboard's browser tests: Debian's Chromium, driven by playwright-core from npm.
  packages+=(chromium)
  # The Kubernetes manifests' offline renderer (kubectl kustomize), unless a kubectl is there.
  if ! command -v kubectl >/dev/null; then packages+=(kubernetes-client); fi
  # The Python client sgclient (clients/python, docs/python.md) and examples/paper_figures.py;
  # its tests (pytest) and its install check (a venv, pip install --no-index).
  packages+=(python3-grpcio python3-protobuf python3-pandas python3-matplotlib
             python3-pytest python3-venv python3-pip python3-setuptools)
fi
if [ "$with_torch" -eq 1 ]; then
  # Debian's LibTorch is slow without an optimised BLAS: 1.7 vs 0.07 training steps/s measured.
  packages+=(libtorch-dev libopenblas0-pthread)
fi

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}"
