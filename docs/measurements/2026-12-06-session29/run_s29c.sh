#!/usr/bin/env bash
# Session 29, call C: our wgmma weight-gradient kernel inside the step, A/B in one build
# (wgmma-wgrad-ab.patch: SG_WGMMA_WGRAD=1 takes it in SeedGemmWeightGrad, measurement only).
# The CUDA kernel suite (the tree's, incl. session 28's test refactor, first run on a GPU), the
# packed-step CUDA tests and --check-cpu with the kernel, then QF rows alternating. `run` with
# carry [".gpu"]; any Hopper card (both arms in the same process state).
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
D=docs/measurements/2026-12-06-session29
L=/tmp/s29c_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
nvidia-smi --query-gpu=name --format=csv,noheader
patch -p1 < $D/wgmma-wgrad-ab.patch > /dev/null || exit 1
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test sg-bench" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $L/build.log 2>&1 \
  || { grep -E "error" $L/build.log | head -30; save; exit 1; }
echo "built at $(el) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
timeout 90 $K > $L/kernel_tests.log 2>&1
echo "kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/kernel_tests.log | head -8
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
SG_WGMMA_WGRAD=1 timeout 60 $PT --gtest_filter='*OnCuda*' > $L/packed_cuda_wgmma.log 2>&1
echo "packed-step CUDA tests, wgmma rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_cuda_wgmma.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/packed_cuda_wgmma.log | head -8
save
SB=$B/bench/sg-bench
for p in tf32 fp32; do
  SG_WGMMA_WGRAD=1 timeout 40 $SB --check-cpu 100 --dropout 0 --layers 2 --seeds 2 --precision $p \
    > $L/check_wgmma_$p.log 2>&1
  echo "check wgmma $p rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_wgmma_$p.log | tail -1)"
done
bench() {  # name wgmma(0|1) args...
  name=$1; w=$2; shift 2
  SG_WGMMA_WGRAD=$w timeout 40 $SB "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
for i in a b; do
  bench qf6_tree_$i 0 --layers 6 $Q
  bench qf6_wgmma_$i 1 --layers 6 $Q
done
bench qf2_tree 0 --layers 2 $Q
bench qf2_wgmma 1 --layers 2 $Q
bench qf10_tree 0 --layers 10 $Q
bench qf10_wgmma 1 --layers 10 $Q
SG_WGMMA_WGRAD=1 timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile \
  > $L/qf6_wgmma_profile.log 2>&1
echo "profile rc=$?"; grep -E "WgmmaWeightGrad|cutlass|^streams|stream [0-9]|^update" \
  $L/qf6_wgmma_profile.log | cut -c1-120
save
echo "total $(el) s"
