#!/usr/bin/env bash
# Prepared in session 18 for the next GPU call (untested: no machine was lent after call A).
# `run` with `carry: [".gpu"]`, command
#   bash docs/measurements/2026-12-05-session18/untested-run_s19a.sh
# Applies untested-weight-grad-mma.patch (the weight-gradient kernel as mma.sync m16n8k8, 3
# stages of 32 rows, the bias gradient in the same pass), builds sg-bench, the packed step
# tests and the grid's stack (sg-train, sg-worker, sg-coordinator, sgctl: untested-run_s19b_grid.sh,
# called at once after this on the same warm machine, runs the grid without building), runs the
# CUDA tests of the ragged and packed steps, then Dyck (6 layers, 10 seeds) with our weight
# gradients against the views (session 18: 944 against 955 with the wmma form), the CPU checks,
# a profile, QF at 2 / 6 / 10 layers beside the PyTorch ensemble; then session 17's
# untested-padded-rows-kernel.patch on top and the views' run again (if time is left).
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
git apply docs/measurements/2026-12-05-session18/untested-weight-grad-mma.patch || exit 1
rm -f /tmp/sgdeps/.unpacked
build() {
  SG_TARGETS="$1" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
    > $OUT/$2 2>&1 || { grep -E "error" $OUT/$2 | head -30; tail -20 $OUT/$2; exit 1; }
}
build "sg-bench trainer_packed_step_test sg-train sg-worker sg-coordinator sgctl" build.log
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
bench dyck6_ours $D6 $R --own-weight-grads
bench dyck6_views $D6 $R
bench dyck6_ours_one_stream $D6 $R --own-weight-grads --one-stream-weight-grads
bench dyck6_views_one_stream $D6 $R --one-stream-weight-grads
CK="--task dyck --layers 2 --seeds 2 --check-cpu 100 --dropout 0 $R --own-weight-grads"
timeout 60 $SB $CK --precision tf32 > $OUT/check_tf32.log 2>&1
echo "check tf32 rc=$? :: $(grep 'check: loss' $OUT/check_tf32.log)"
timeout 60 $SB $D6 $R --own-weight-grads --steps 100 --profile > $OUT/profile_ours.log 2>&1
echo "profile rc=$? at $(el)"
grep -E "profile \(|SeedWeightGrad" $OUT/profile_ours.log | cut -c1-150 | head -4
bench qf6 --layers 6 --seeds 10 --steps 300 --warmup 100
bench dyck6_ours_again $D6 $R --own-weight-grads
# Issue 22's table in one call: QF at 2 / 6 / 10 layers, 10 and 16 seeds, and the batched
# PyTorch ensemble (../shared/bench/anchors.py, as .gpu/anchors.py) beside them.
bench qf2 --layers 2 --seeds 10 --steps 300 --warmup 100
bench qf10 --layers 10 --seeds 10 --steps 300 --warmup 100
bench qf6_s16 --layers 6 --seeds 16 --steps 300 --warmup 100
cp .gpu/anchors.py /tmp/anchors.py
timeout 120 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
  > $OUT/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $OUT/anchor.log | cut -c1-80)"
bench qf6_again --layers 6 --seeds 10 --steps 300 --warmup 100
echo "--- the padded views' kernel patch at $(el)"
if [ $(( $(date +%s) - t0 )) -gt 480 ]; then
  echo "skipped: too little of the call's 600 s left"
elif git apply docs/measurements/2026-12-05-session17/untested-padded-rows-kernel.patch; then
  build "sg-bench trainer_packed_step_test" build2.log
  timeout 60 $P --gtest_filter='Ragged*OnCuda' > $OUT/tests2.log 2>&1
  echo "ragged CUDA tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED" $OUT/tests2.log | head
  bench p_dyck6_views $D6 $R
fi
echo "total $(el)"
cd $OUT && rm -f build.log build2.log && tar czf logs.tgz *.log && rm -f *.log
