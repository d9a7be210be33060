#!/usr/bin/env bash
# Session 21's last GPU call: the high-priority capture's new defaults (padded and packed steps
# high, ragged normal) built and checked, then the reduced grid one pack at a time
# (SG_PACKS_PER_DEVICE=1, the longest first) until the call's time is nearly spent, the
# workers' log copied out every 5 s, so that each pack's start and end times under sg-train
# (evaluations, start-up and captures included) come back. Before the grid, gemm_layouts.py
# times the layers' per-seed products in other layouts (the weight gradients' kernels).
# `run` with `carry: [".gpu"]`, timeout_s as the device time left allows; GRID_S (default 250)
# bounds the grid (0: no grid).
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
stack="sg-train sg-worker sg-coordinator sgctl"
[ "${GRID_S:-250}" = 0 ] && stack=""  # the grid's stack only for the grid
SG_TARGETS="sg-bench trainer_cuda_kernels_test $stack" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
  > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name --format=csv,noheader
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
timeout 60 $K --gtest_filter='CudaSideStreamLinearTest.*' > $OUT/tests.log 2>&1
echo "tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $OUT/tests.log | tr '\n' ' ')"
SB=$B/bench/sg-bench
bench() {
  name=$1; shift
  timeout 60 $SB "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? :: $(grep -o 'graph steps at [a-z]* priority' $OUT/$name.log) :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"
}
bench qf6_default --layers 6 --seeds 10 --steps 300 --warmup 100
bench qf6_normal --layers 6 --seeds 10 --steps 300 --warmup 100 --normal-priority-chain
bench dyck6_default --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 --ragged-granules 8,4
timeout 60 python3 docs/measurements/2026-12-05-session21/gemm_layouts.py > $OUT/gemm.log 2>&1
echo "gemm layouts rc=$?"; cat $OUT/gemm.log | tail -28
echo "at $(el)"
if [ "${GRID_S:-250}" = 0 ]; then echo "total $(el), no grid"; exit 0; fi
rm -rf /tmp/grid1; mkdir -p /tmp/grid1
( while sleep 5; do cp /tmp/grid1/worker-1.log $OUT/worker-1.log 2>/dev/null; done ) &
copier=$!
s=$(date +%s)
SG_PACKS_PER_DEVICE=1 SG_BUILD_DIR=$B timeout -s INT ${GRID_S:-250} bash deploy/gpu-run.sh \
  bench/gpu_qf_grid.yaml /tmp/grid1 cuda:0 > $OUT/grid.log 2>&1 &
g=$!
while kill -0 $g 2>/dev/null && [ $(( $(date +%s) - s )) -lt $(( ${GRID_S:-250} + 15 )) ]; do sleep 2; done
echo "grid: gpu-run ended or left after $(( $(date +%s) - s )) s"
kill $copier; cp /tmp/grid1/worker-1.log $OUT/worker-1.log 2>/dev/null
grep -E "pack [0-9]+" $OUT/worker-1.log | cut -c1-200 | head -20
echo "total $(el)"
