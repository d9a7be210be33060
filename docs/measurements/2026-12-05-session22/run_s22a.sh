#!/usr/bin/env bash
# Session 22's first GPU call: W_q and W_kv as one W_qkv product. `run` with
# `carry: [".gpu"]`, timeout_s 600. Builds sg-bench, the CUDA kernel tests, the packed-step
# tests and the grid's stack (so run_s22b_grid.sh can follow on the same warm machine); runs
# the attention, graph-step and optimizer tests on the GPU (the fused product's bit-for-bit
# test among them) and the CPU checks; then issue 22's table (QF 2 / 6 / 10 layers, 10 seeds;
# 6 layers, 16 seeds; Dyck 6 layers) beside the PyTorch ensemble, and a QF profile. Last, if
# time is left, the tree before the fusion (.gpu/base.tgz: `git archive` of the commit before
# it) built apart and its QF 6-layer and Dyck rows measured on the same machine.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test trainer_packed_step_test sg-train sg-worker sg-coordinator sgctl" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
  > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 150 $K --gtest_filter='CudaOwnLineAttentionTest.*:CudaLineAttentionTest.*:CudaSideStreamLinearTest.*:CudaPackOptimizerTest.*' \
  > $OUT/tests.log 2>&1
echo "kernel tests rc=$? at $(el)"
grep -E "^\[  (PASSED|FAILED)|^\[  FAILED|Failure|Expected|Which is|bit" $OUT/tests.log | head -24
timeout 90 $P --gtest_filter='*Cuda*:*Gpu*' > $OUT/packed_tests.log 2>&1
echo "packed-step tests rc=$? at $(el) :: $(grep -E '^\[  (PASSED|FAILED)' $OUT/packed_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure" $OUT/packed_tests.log | head -10
SB=$B/bench/sg-bench
check() {
  name=$1; shift
  timeout 60 $SB --check-cpu 100 --dropout 0 "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? :: $(grep 'check: loss' $OUT/$name.log)"
}
check check_tf32 --layers 2 --seeds 2 --precision tf32
check check_fp32 --layers 2 --seeds 2 --precision fp32
check check_dyck_tf32 --task dyck --layers 2 --seeds 2 --precision tf32 --ragged 128 --ragged-granules 8,4
bench() {
  name=$1; shift; s=$(date +%s)
  timeout 60 $SB "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? ($(( $(date +%s) - s )) s) :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"
}
Q6="--layers 6 --seeds 10 --steps 300 --warmup 100"
D6="--task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 --ragged-granules 8,4"
bench qf6 $Q6
bench qf2 --layers 2 --seeds 10 --steps 300 --warmup 100
bench qf10 --layers 10 --seeds 10 --steps 300 --warmup 100
bench qf6_s16 --layers 6 --seeds 16 --steps 300 --warmup 100
bench dyck6 $D6
bench qf6_2 $Q6
echo "at $(el)"
cp .gpu/anchors.py /tmp/anchors.py
timeout 100 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
  > $OUT/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $OUT/anchor.log | cut -c1-80)"
timeout 60 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $OUT/qf6_profile.log 2>&1
echo "profile rc=$? at $(el)"
if [ -f .gpu/base.tgz ] && [ $(( $(date +%s) - t0 )) -lt 300 ]; then
  rm -rf /tmp/base && mkdir -p /tmp/base && tar xzf .gpu/base.tgz -C /tmp/base
  cp -r .gpu /tmp/base/.gpu
  (cd /tmp/base && SG_GPU_BUILD_DIR=/tmp/sgbuild_base SG_TARGETS="sg-bench" \
    bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF) > $OUT/build_base.log 2>&1
  echo "base built rc=$? at $(el)"
  SB=/tmp/sgbuild_base/bench/sg-bench
  bench base_qf6 $Q6
  SB=$B/bench/sg-bench
  bench qf6_3 $Q6
  SB=/tmp/sgbuild_base/bench/sg-bench
  bench base_dyck6 $D6
  bench base_qf6_2 $Q6
fi
echo "total $(el)"
cd $OUT && rm -f build.log build_base.log && tar czf logs.tgz *.log && rm -f *.log
