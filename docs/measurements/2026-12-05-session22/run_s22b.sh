#!/usr/bin/env bash
# Session 22's second GPU call: the gradient norm of the layers' weights summed on the side
# stream as backward makes them (EarlyPackGradNorm, `--early-grad-norm`, the default) against
# the whole norm after the backward (`--late-grad-norm`), on the tree with the fused W_qkv
# product. `run` with `carry: [".gpu"]`, timeout_s 600. Builds sg-bench, the CUDA kernel
# tests and the grid's stack; runs the optimizer, side-stream and attention tests; the CPU
# checks; then each row of issue 22's table early and late, the PyTorch ensemble and a
# profile.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test sg-train sg-worker sg-coordinator sgctl" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
  > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
timeout 150 $K --gtest_filter='CudaPackOptimizerTest.*:CudaSideStreamLinearTest.*:CudaOwnLineAttentionTest.*' \
  > $OUT/tests.log 2>&1
echo "kernel tests rc=$? at $(el)"
grep -E "^\[  (PASSED|FAILED)|^\[  FAILED|Failure|Expected|Which is" $OUT/tests.log | head -24
SB=$B/bench/sg-bench
check() {
  name=$1; shift
  timeout 60 $SB --check-cpu 100 --dropout 0 "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? :: $(grep 'check: loss' $OUT/$name.log)"
}
check check_tf32 --layers 2 --seeds 2 --precision tf32
check check_fp32 --layers 2 --seeds 2 --precision fp32
bench() {
  name=$1; shift; s=$(date +%s)
  timeout 60 $SB "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? ($(( $(date +%s) - s )) s) :: $(grep -o 'gradient norm [a-z ]*' $OUT/$name.log | head -1) :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"
}
Q6="--layers 6 --seeds 10 --steps 300 --warmup 100"
D6="--task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 --ragged-granules 8,4"
L=--late-grad-norm
bench qf6 $Q6
bench qf6_late $Q6 $L
bench qf6_2 $Q6
bench qf6_late_2 $Q6 $L
bench qf2 --layers 2 --seeds 10 --steps 300 --warmup 100
bench qf2_late --layers 2 --seeds 10 --steps 300 --warmup 100 $L
bench qf10 --layers 10 --seeds 10 --steps 300 --warmup 100
bench qf10_late --layers 10 --seeds 10 --steps 300 --warmup 100 $L
bench qf6_s16 --layers 6 --seeds 16 --steps 300 --warmup 100
bench dyck6 $D6
echo "at $(el)"
cp .gpu/anchors.py /tmp/anchors.py
timeout 100 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
  > $OUT/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $OUT/anchor.log | cut -c1-80)"
timeout 60 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $OUT/qf6_profile.log 2>&1
echo "profile rc=$? at $(el)"
echo "total $(el)"
cd $OUT && rm -f build.log && tar czf logs.tgz *.log && rm -f *.log
