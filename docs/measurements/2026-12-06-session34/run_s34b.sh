#!/usr/bin/env bash
# Session 34, call B: the update beside the next forward (GraphStepOptions::
# update_beside_forward, its gradients outside the graphs' pool by grad_destination.h). Builds
# the tree with its tests; runs the new CudaUpdateBesideForwardTest (bit-equal steps against the
# update at the step's end, resume), session 33's pins test (its review commits' first GPU
# run), the side-stream, weight-gradient-sums and resume tests, packed-step CUDA, --check-cpu
# (TF32) with and without the option; QF rows
# alternating without and with --update-beside-forward (2 / 6 / 10 layers, 10 seeds; 6 layers
# 16 seeds), a profile with it. `run` with carry [".gpu"]; any Hopper card; about 330 s.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
L=/tmp/s34b_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
rm -f /tmp/sgdeps/.unpacked
touch trainer/model/cuda_seed_gemm_pins.cc trainer/model/cuda_wgmma_weight_grad_kernel.cu \
  trainer/model/cuda_graph_step.cc
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test trainer_core_test sg-bench" bash \
  .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $L/build.log 2>&1 \
  || { grep -E "error" -A3 $L/build.log | head -40; save; exit 1; }
echo "build at $(el) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
CT=$(find $B -name trainer_core_test -type f | head -1)
SB=$B/bench/sg-bench
# LibTorch 2.11 keeps a contiguous gradient of a strided leaf as it is (1.13 does: CI).
timeout 60 $CT --gtest_filter='GradDestination*' > $L/grad_destination.log 2>&1
echo "grad destination tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/grad_destination.log | tr '\n' ' ')"
timeout 150 $K --gtest_filter='*UpdateBesideForward*:*SeedGemmPins*:*SideStream*:*WeightGradSums*:*ResumeIsBitExact*' \
  > $L/new_tests.log 2>&1
echo "new tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/new_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|^\[  SKIPPED|Failure|Expected|Which is|error|Value of|step " \
  $L/new_tests.log | head -30
save
bench() {  # name args...
  name=$1; shift
  timeout 40 $SB "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
U=--update-beside-forward
for i in a b; do
  bench qf6_plain_$i --layers 6 $Q
  bench qf6_beside_$i --layers 6 $Q $U
done
bench qf2_plain --layers 2 $Q
bench qf2_beside --layers 2 $Q $U
bench qf10_plain --layers 10 $Q
bench qf10_beside --layers 10 $Q $U
bench qf6_s16_plain --layers 6 --seeds 16 --steps 300 --warmup 100
bench qf6_s16_beside --layers 6 --seeds 16 --steps 300 --warmup 100 $U
timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile $U \
  > $L/prof6_beside.log 2>&1
echo "profile rc=$?"; grep -E "^profile|AdamW|GradSquared|^streams|stream [0-9]|^update" \
  $L/prof6_beside.log | cut -c1-150
for p in tf32; do
  for u in "" $U; do
    timeout 40 $SB --check-cpu 100 --dropout 0 --layers 2 --seeds 2 --precision $p $u \
      > $L/check_$p${u:+_beside}.log 2>&1
    echo "check $p $u rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_$p${u:+_beside}.log | tail -1)"
  done
done
save
timeout 60 $PT --gtest_filter='*OnCuda*' > $L/packed_cuda.log 2>&1
echo "packed-step CUDA rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_cuda.log | tr '\n' ' ')"
save
echo "total $(el) s"
