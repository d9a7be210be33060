#!/usr/bin/env bash
# Session 21's first GPU call: the tree with the update beside the forward taken out (session
# 20 measured its steps different). `run` with `carry: [".gpu"]`, timeout_s 600. Builds the
# grid's stack (sg-train, sg-worker, sg-coordinator, sgctl) with sg-bench and the CUDA kernel
# tests, so run_s21b_grid.sh can follow on the same warm machine; runs the graph-step and
# optimizer tests (the high-priority capture's test among them); then the table of issue 22
# (QF 2 / 6 / 10 layers, 10 seeds; 6 layers, 16 seeds; Dyck 6 layers), each 6-layer row also
# with --high-priority-chain, the CPU checks with it, the PyTorch ensemble, and a QF profile.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test sg-train sg-worker sg-coordinator sgctl" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
  > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
timeout 120 $K --gtest_filter='CudaSideStreamLinearTest.*:CudaPackOptimizerTest.*' \
  > $OUT/tests.log 2>&1
echo "tests rc=$? at $(el)"
grep -E "^\[  (PASSED|FAILED)|FAILED|Failure|Expected|Which is|bit-equal" $OUT/tests.log | head -24
SB=$B/bench/sg-bench
bench() {
  name=$1; shift; s=$(date +%s)
  timeout 60 $SB "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? ($(( $(date +%s) - s )) s) :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"
}
H="--high-priority-chain"
Q6="--layers 6 --seeds 10 --steps 300 --warmup 100"
D6="--task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 --ragged-granules 8,4"
bench qf6 $Q6
bench qf6_high $Q6 $H
bench qf6_2 $Q6
bench qf6_high_2 $Q6 $H
bench dyck6 $D6
bench dyck6_high $D6 $H
bench qf2 --layers 2 --seeds 10 --steps 300 --warmup 100
bench qf10 --layers 10 --seeds 10 --steps 300 --warmup 100
bench qf6_s16 --layers 6 --seeds 16 --steps 300 --warmup 100
echo "at $(el)"
cp .gpu/anchors.py /tmp/anchors.py
timeout 100 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
  > $OUT/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $OUT/anchor.log | cut -c1-80)"
check() {
  name=$1; shift
  timeout 60 $SB --check-cpu 100 --dropout 0 "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? :: $(grep 'check: loss' $OUT/$name.log)"
}
check check_tf32_high --layers 2 --seeds 2 --precision tf32 $H
check check_fp32_high --layers 2 --seeds 2 --precision fp32 $H
if [ $(( $(date +%s) - t0 )) -lt 480 ]; then
  timeout 60 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $OUT/qf6_profile.log 2>&1
  echo "profile rc=$? at $(el)"
fi
if [ $(( $(date +%s) - t0 )) -lt 530 ]; then bench qf6_s16_high --layers 6 --seeds 16 --steps 300 --warmup 100 $H; fi
echo "total $(el)"
cd $OUT && rm -f build.log && tar czf logs.tgz *.log && rm -f *.log
