#!/usr/bin/env bash
# Session 18, call A on the H200 (`run` with `carry: [".gpu"]`): builds sg-bench and the packed
# step tests, runs the Ragged* tests on CUDA (with the new weight-gradient kernel's), then Dyck
# (6 layers, 10 seeds) with the weight gradients by our kernel (the default) against the padded
# views' bmm, the seed granule 2 against 4, the CPU checks in TF32 and fp32, and a profile.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_packed_step_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON \
  -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 \
  || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 90 $P --gtest_filter='Ragged*OnCuda:PackedStep*OnCuda' > $OUT/tests.log 2>&1
echo "tests rc=$? at $(el)"
grep -E "^\[  (PASSED|FAILED)|FAILED|Failure|Expected|Which is|max \|" $OUT/tests.log | head -30
SB=$B/bench/sg-bench
bench() {
  name=$1; shift; s=$(date +%s)
  timeout 60 $SB "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? ($(( $(date +%s) - s )) s) :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"
}
D6="--task dyck --layers 6 --seeds 10 --steps 300 --warmup 200"
R="--ragged 128 --ragged-granules 8,4"  # sg-train's Dyck default
bench dyck6_default $D6 $R
bench dyck6_views $D6 $R --view-weight-grads
bench dyck6_r128_8_2 $D6 --ragged 128 --ragged-granules 8,2
bench dyck6_onerow $D6
CK="--task dyck --layers 2 --seeds 2 --check-cpu 100 --dropout 0 --ragged 128 --ragged-granules 8,4"
timeout 60 $SB $CK --precision tf32 > $OUT/check_tf32.log 2>&1
echo "check tf32 rc=$? :: $(grep 'check: loss' $OUT/check_tf32.log)"
timeout 60 $SB $CK --precision fp32 > $OUT/check_fp32.log 2>&1
echo "check fp32 rc=$? :: $(grep 'check: loss' $OUT/check_fp32.log)"
timeout 60 $SB $D6 $R --steps 100 --profile > $OUT/profile.log 2>&1
echo "profile rc=$? at $(el)"
grep -E "profile \(|SeedWeightGrad|GatherPadded|SeedColumnSums|gemm|Gemm" $OUT/profile.log | head -14
bench dyck6_default_again $D6 $R
echo "total $(el)"
cd $OUT && rm -f build.log && tar czf logs.tgz *.log && rm -f *.log
