#!/usr/bin/env bash
# Session 23's first GPU call: checkpoints staged off the device (PackTrainer::StageState:
# the weights and moments copied into page-locked memory, the payload and the file written
# beside the training), then the reduced grid started in the background. `run` with
# `carry: [".gpu"]`, timeout_s 600. Builds sg-checkpoint-bench, sg-bench, the CUDA kernel
# tests, the packed-step tests and the grid's stack; runs the GPU resume tests (they now stage
# the state, train a step, then finish the payload); sg-checkpoint-bench at 6 and 10 layers,
# 10 seeds; then grid_bg.sh under setsid and waits until 585 s. run_s23b_wait.sh follows at
# once on the same warm machine.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-checkpoint-bench sg-bench trainer_cuda_kernels_test trainer_packed_step_test sg-train sg-worker sg-coordinator sgctl" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
  > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
df -h /tmp | tail -1
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 120 $K --gtest_filter='*Resume*:CudaSideStreamLinearTest.*' > $OUT/tests.log 2>&1
echo "kernel resume tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $OUT/tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure" $OUT/tests.log | head -10
timeout 90 $P --gtest_filter='*Cuda*' > $OUT/packed_tests.log 2>&1
echo "packed-step tests rc=$? at $(el) :: $(grep -E '^\[  (PASSED|FAILED)' $OUT/packed_tests.log | tr '\n' ' ')"
ck() {
  name=$1; shift
  timeout 150 $B/bench/sg-checkpoint-bench --device cuda "$@" --dir /tmp/ckb > $OUT/$name.log 2>&1
  echo "$name rc=$? at $(el)"; tail -4 $OUT/$name.log; rm -rf /tmp/ckb
}
ck ckpt6 --layers 6 --seeds 10 --repeat 3
ck ckpt10 --layers 10 --seeds 10 --repeat 2
setsid nohup bash docs/measurements/2026-12-05-session23/grid_bg.sh > /tmp/grid_bg.out 2>&1 < /dev/null &
echo "grid started at $(el)"
while [ $(( $(date +%s) - t0 )) -lt 585 ] && [ ! -f /tmp/s23grid/rc ]; do sleep 5; done
echo "at $(el): $(tail -1 /tmp/s23grid/grid.log)"
grep -E "packs on|ended" /tmp/s23grid/workers.log | cut -c1-200 | tail -8
cd $OUT && rm -f build.log && tar czf logs.tgz *.log && rm -f *.log
