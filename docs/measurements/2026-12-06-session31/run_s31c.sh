#!/usr/bin/env bash
# Session 31, call C: the LayerNorm affine gradients from the rows' backward kernel's per-block
# sums (PackTrainerOptions::layer_norm_affine_from_rows, on by default; sg-bench
# --layer-norm-affine-kernel for the kernel that reads dy and z again). Builds the tests and
# sg-bench, runs the new tests first, then every CUDA suite, --check-cpu, QF rows alternating
# between the two paths in one binary, a profile. On an H200 also issue 22's table with the
# tree's defaults (10 and 16 seeds, Dyck, the ensemble).
# `run` with carry [".gpu"]; any Hopper card; about 300 s (H200: 450 s).
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
L=/tmp/s31c_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test sg-bench" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $L/build.log 2>&1 \
  || { grep -E "error" -A3 $L/build.log | head -40; save; exit 1; }
echo "built at $(el) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
SB=$B/bench/sg-bench
timeout 120 $K --gtest_filter='*AffineFromRows*:*AffinePartials*:*AffineGradientsFromTheRows*:CudaResidualGradRelay*' \
  > $L/new_tests.log 2>&1
echo "new tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/new_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure|Expected|Which is|error|Value of" $L/new_tests.log | head -30
save
timeout 200 $K > $L/kernel_tests.log 2>&1
echo "kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/kernel_tests.log | head -8
timeout 60 $PT --gtest_filter='*OnCuda*' > $L/packed_cuda.log 2>&1
echo "packed-step CUDA rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_cuda.log | tr '\n' ' ')"
for p in tf32 fp32; do
  timeout 40 $SB --check-cpu 100 --dropout 0 --layers 2 --seeds 2 --precision $p \
    > $L/check_$p.log 2>&1
  echo "check $p rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_$p.log | tail -1)"
done
save
bench() {  # name args...
  name=$1; shift
  timeout 40 $SB "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
for i in a b; do
  bench qf6_kernel_$i --layers 6 --layer-norm-affine-kernel $Q
  bench qf6_rows_$i --layers 6 $Q
  bench qf2_kernel_$i --layers 2 --layer-norm-affine-kernel $Q
  bench qf2_rows_$i --layers 2 $Q
done
bench qf10_kernel --layers 10 --layer-norm-affine-kernel $Q
bench qf10_rows --layers 10 $Q
timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $L/prof6.log 2>&1
echo "profile rc=$?"; grep -E "^profile|Affine|BackwardRows|^streams|idle gaps|stream [0-9]|^update" \
  $L/prof6.log | cut -c1-140
save
case "$card" in *H200*)
  bench qf6_s16 --layers 6 --seeds 16 --steps 300 --warmup 100
  bench qf2_s16 --layers 2 --seeds 16 --steps 300 --warmup 100
  bench qf10_s16 --layers 10 --seeds 16 --steps 300 --warmup 100
  bench dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 \
    --ragged-granules 8,4
  bench qf6_separate --layers 6 --separate-input-copies $Q
  cp .gpu/anchors.py /tmp/anchors.py
  timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
    > $L/anchor.log 2>&1
  echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
  bench qf6_rows_c --layers 6 $Q
  bench qf6_kernel_c --layers 6 --layer-norm-affine-kernel $Q
  save ;;
esac
echo "total $(el) s"
