#!/usr/bin/env bash
# Session 22's third GPU call: what one checkpoint costs before and after the raw payload
# (state_payload.h: the weights and moments as raw bytes after a small archive, where
# LibTorch's archive held them). `run` with `carry: [".gpu"]`, timeout_s 600. Builds
# sg-checkpoint-bench, sg-bench, the CUDA kernel tests and the grid's stack from this tree,
# and sg-checkpoint-bench from the tree before (.gpu/base.tgz: `git archive` of the commit
# that added the bench); runs the GPU resume tests (they write and read payloads); then
# sg-checkpoint-bench at 6 and 10 layers, 10 seeds, on the GPU, each tree in turn, and a QF
# 6-layer sg-bench row. run_s22d_grid.sh follows on the same warm machine.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-checkpoint-bench sg-bench trainer_cuda_kernels_test trainer_packed_step_test sg-train sg-worker sg-coordinator sgctl" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
  > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built at $(el)"
rm -rf /tmp/base && mkdir -p /tmp/base && tar xzf .gpu/base.tgz -C /tmp/base && cp -r .gpu /tmp/base/.gpu
(cd /tmp/base && SG_GPU_BUILD_DIR=/tmp/sgbuild_base SG_TARGETS="sg-checkpoint-bench" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF) > $OUT/build_base.log 2>&1
echo "base built rc=$? at $(el)"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
df -h /tmp | tail -1
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 120 $K --gtest_filter='*Resume*:CudaSideStreamLinearTest.*' > $OUT/tests.log 2>&1
echo "kernel resume tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $OUT/tests.log | tr '\n' ' ')"
timeout 90 $P --gtest_filter='*Cuda*' > $OUT/packed_tests.log 2>&1
echo "packed-step tests rc=$? at $(el) :: $(grep -E '^\[  (PASSED|FAILED)' $OUT/packed_tests.log | tr '\n' ' ')"
ck() {
  name=$1; bin=$2; shift 2
  timeout 150 $bin --device cuda "$@" --dir /tmp/ckb > $OUT/$name.log 2>&1
  echo "$name rc=$? at $(el)"; tail -4 $OUT/$name.log; rm -rf /tmp/ckb
}
ck ckpt6_new $B/bench/sg-checkpoint-bench --layers 6 --seeds 10 --repeat 3
ck ckpt6_base /tmp/sgbuild_base/bench/sg-checkpoint-bench --layers 6 --seeds 10 --repeat 3
ck ckpt10_new $B/bench/sg-checkpoint-bench --layers 10 --seeds 10 --repeat 2
if [ $(( $(date +%s) - t0 )) -lt 420 ]; then
  ck ckpt10_base /tmp/sgbuild_base/bench/sg-checkpoint-bench --layers 10 --seeds 10 --repeat 2
fi
timeout 60 $B/bench/sg-bench --layers 6 --seeds 10 --steps 300 --warmup 100 > $OUT/qf6.log 2>&1
echo "qf6 rc=$? :: $(grep -A1 'model-steps/s' $OUT/qf6.log | tail -1)"
echo "total $(el)"
cd $OUT && rm -f build.log build_base.log && tar czf logs.tgz *.log && rm -f *.log
