#!/usr/bin/env bash
# Prepared in session 30 for a next GPU call (not run): the kernels that add the relayed
# gradients (relay-kernels.patch): the LayerNorm affine gradients with 32 row groups a block
# (session 27's form, with the relay's dy2; the relay made that kernel 2.3x slower on an H100,
# 108.7 -> 250.7 us a QF 6-layer step, side stream) and the rows kernel with dy2's loads issued
# with dy's (a template flag rather than a branch; 168.4 -> 215.4 us on the chain). Against the
# tree's kernels. Builds the tree's sg-bench first, then the patch (tests and
# sg-bench), runs the CUDA suites with it (the fused layers' tests compare the affine
# gradients with LibTorch's), --check-cpu, and QF rows alternating between the two binaries.
# `run` with carry [".gpu"]; any Hopper card; about 300 s.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
D=docs/measurements/2026-12-06-session30
L=/tmp/affine_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
nvidia-smi --query-gpu=name --format=csv,noheader
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
  > $L/build_base.log 2>&1 || { grep -E "error" -A3 $L/build_base.log | head -30; save; exit 1; }
cp /tmp/sgbuild/bench/sg-bench /tmp/sg-bench-base
patch -p1 < $D/relay-kernels.patch > /dev/null || exit 1
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test sg-bench" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $L/build.log 2>&1 \
  || { grep -E "error" -A3 $L/build.log | head -30; save; exit 1; }
echo "built at $(el) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
timeout 120 $K > $L/kernel_tests.log 2>&1
echo "kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/kernel_tests.log | head -8
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 60 $PT --gtest_filter='*OnCuda*' > $L/packed_cuda.log 2>&1
echo "packed-step CUDA tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_cuda.log | tr '\n' ' ')"
save
SB=$B/bench/sg-bench
for p in tf32 fp32; do
  timeout 40 $SB --check-cpu 100 --dropout 0 --layers 2 --seeds 2 --precision $p \
    > $L/check_$p.log 2>&1
  echo "check $p rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_$p.log | tail -1)"
done
bench() {  # name binary args...
  name=$1; bin=$2; shift 2
  timeout 40 $bin "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
for i in a b; do
  bench qf6_base_$i /tmp/sg-bench-base --layers 6 $Q
  bench qf6_bias_$i $SB --layers 6 $Q
done
bench qf2_base /tmp/sg-bench-base --layers 2 $Q
bench qf2_bias $SB --layers 2 $Q
bench qf10_base /tmp/sg-bench-base --layers 10 $Q
bench qf10_bias $SB --layers 10 $Q
timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $L/qf6_profile.log 2>&1
echo "profile rc=$?"; grep -E "BackwardAffine|BackwardRows|^streams|stream [0-9]|^update" \
  $L/qf6_profile.log | cut -c1-120
save
echo "total $(el) s"
