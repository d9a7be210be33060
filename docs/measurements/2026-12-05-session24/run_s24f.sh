#!/usr/bin/env bash
# Session 24: Dyck (6 layers, 10 seeds) on the H200 in the layouts sg-bench offers, with the
# layers' products by cuBLASLt where the step takes the side-stream linear (packed rows).
# `run` with `carry: [".gpu"]`, timeout_s 300, on the machine run_s24b.sh built sg-bench on.
set -uo pipefail
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name --format=csv,noheader
SB=/tmp/sgbuild/bench/sg-bench
bench() {
  name=$1; shift; s=$(date +%s)
  timeout 90 $SB --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? ($(( $(date +%s) - s )) s) :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"
}
bench dyck_ragged128 --ragged 128 --ragged-granules 8,4
bench dyck_packed_lt
bench dyck_packed_bmm --libtorch-gemms
bench dyck_ragged128_high --ragged 128 --ragged-granules 8,4 --high-priority-chain
bench dyck_ragged64 --ragged 64 --ragged-granules 8,4
bench dyck_ragged128_again --ragged 128 --ragged-granules 8,4
