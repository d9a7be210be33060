#!/usr/bin/env bash
# Session 29, call D: the weight gradients by our wgmma kernel with their norm's sums in its
# epilogue (PackTrainerOptions::wgmma_weight_grads, sg-bench --wgmma-weight-grads), as built in
# the tree: the CUDA suites (CudaWeightGradSumsTest.* new), --check-cpu with it, then QF rows
# alternating against the default (--cublas-weight-grads) in one process state, and profiles.
# `run` with carry [".gpu"]; any Hopper card.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
L=/tmp/s29d_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
nvidia-smi --query-gpu=name --format=csv,noheader
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test sg-bench" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $L/build.log 2>&1 \
  || { grep -E "error" -A3 $L/build.log | head -40; save; exit 1; }
echo "built at $(el) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
timeout 60 $K --gtest_filter='CudaWeightGradSums*' > $L/sums_tests.log 2>&1
echo "sums tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/sums_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure|Expected|Which is|max relative|error" $L/sums_tests.log | head -20
save
timeout 120 $K > $L/kernel_tests.log 2>&1
echo "kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/kernel_tests.log | head -8
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 60 $PT --gtest_filter='*OnCuda*' > $L/packed_cuda.log 2>&1
echo "packed-step CUDA tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_cuda.log | tr '\n' ' ')"
save
SB=$B/bench/sg-bench
for p in tf32 fp32; do
  timeout 40 $SB --wgmma-weight-grads --check-cpu 100 --dropout 0 --layers 2 --seeds 2 \
    --precision $p > $L/check_wgmma_$p.log 2>&1
  echo "check wgmma $p rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_wgmma_$p.log | tail -1)"
done
bench() {  # name args...
  name=$1; shift
  timeout 40 $SB "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
for i in a b; do
  bench qf6_cublas_$i --layers 6 $Q
  bench qf6_wgmma_$i --layers 6 --wgmma-weight-grads $Q
done
bench qf2_cublas --layers 2 $Q
bench qf2_wgmma --layers 2 --wgmma-weight-grads $Q
bench qf10_cublas --layers 10 $Q
bench qf10_wgmma --layers 10 --wgmma-weight-grads $Q
bench qf6_s16_cublas --layers 6 --seeds 16 --steps 300 --warmup 100
bench qf6_s16_wgmma --layers 6 --seeds 16 --steps 300 --warmup 100 --wgmma-weight-grads
timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile --wgmma-weight-grads \
  > $L/qf6_wgmma_profile.log 2>&1
echo "profile rc=$?"; grep -E "WgmmaWeightGrad|GradSquared|ClipScale|^streams|stream [0-9]|^update" \
  $L/qf6_wgmma_profile.log | cut -c1-120
save
echo "total $(el) s"
