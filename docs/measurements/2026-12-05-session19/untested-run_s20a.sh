#!/usr/bin/env bash
# Prepared in session 19 (untested: no GPU was lent that session) for the next GPU call.
# `run` with `carry: [".gpu"]` and timeout_s 600, command
#   bash docs/measurements/2026-12-05-session19/untested-run_s20a.sh
# Builds sg-bench, the GPU tests and the grid's stack (sg-train, sg-worker, sg-coordinator,
# sgctl: untested-run_s20b_grid.sh, called at once after this on the same warm machine, runs
# the grid without building); runs the tests of the update beside the next forward
# (DeferredUpdateTest.*, CudaPackOptimizerTest.* with the new table test) and the packed and
# ragged CUDA tests; then measures the update beside the forward and the high-priority chain
# alone against the default, QF at 6 layers twice each in alternation, Dyck (sg-train's ragged
# default), the CPU
# checks with it, a profile, QF at 2 / 10 layers and 16 seeds, and the PyTorch ensemble in the
# same call (issue 22's table). Then, if time is left, session 18's mma weight-gradient patch.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
build() {
  SG_TARGETS="$1" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
    > $OUT/$2 2>&1 || { grep -E "error" $OUT/$2 | head -30; tail -20 $OUT/$2; exit 1; }
}
build "sg-bench trainer_cuda_kernels_test trainer_packed_step_test sg-train sg-worker \
sg-coordinator sgctl" build.log
echo "built at $(el)"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
summary() { grep -E "^\[  (PASSED|FAILED)|FAILED|Failure|Expected|Which is|step [0-9]" $1 | head -24; }
timeout 150 $K --gtest_filter='DeferredUpdate*:CudaPackOptimizerTest.*' > $OUT/tests_update.log 2>&1
echo "update tests rc=$? at $(el)"; summary $OUT/tests_update.log
timeout 90 $P --gtest_filter='Ragged*OnCuda:PackedStep*OnCuda' > $OUT/tests_packed.log 2>&1
echo "packed/ragged tests rc=$? at $(el)"; summary $OUT/tests_packed.log
SB=$B/bench/sg-bench
bench() {
  name=$1; shift; s=$(date +%s)
  timeout 60 $SB "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? ($(( $(date +%s) - s )) s) :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"
}
U="--update-beside-forward"
Q6="--layers 6 --seeds 10 --steps 300 --warmup 100"
H="--high-priority-chain"
bench qf6_after $Q6
bench qf6_beside $Q6 $U
bench qf6_high $Q6 $H
bench qf6_after_2 $Q6
bench qf6_beside_2 $Q6 $U
bench qf6_high_2 $Q6 $H
D6="--task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 --ragged-granules 8,4"
bench dyck6_after $D6
bench dyck6_beside $D6 $U
bench dyck6_high $D6 $H
bench dyck6_high_own $D6 $H --own-weight-grads
check() {
  name=$1; shift
  timeout 60 $SB --check-cpu 100 --dropout 0 "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? :: $(grep 'check: loss' $OUT/$name.log)"
}
check check_qf_tf32 --layers 2 --seeds 2 --precision tf32 $U
check check_qf_fp32 --layers 2 --seeds 2 --precision fp32 $U
check check_dyck_tf32 --task dyck --layers 2 --seeds 2 --ragged 128 --ragged-granules 8,4 $U
timeout 60 $SB $Q6 --steps 100 $U --profile > $OUT/profile_qf6_beside.log 2>&1
echo "profile rc=$? at $(el)"
grep -E "profile \(|AdamW" $OUT/profile_qf6_beside.log | cut -c1-150 | head -4
timeout 60 $SB $Q6 --steps 100 --profile > $OUT/profile_qf6_after.log 2>&1
grep -E "profile \(" $OUT/profile_qf6_after.log | cut -c1-150 | head -2
bench qf2_after --layers 2 --seeds 10 --steps 300 --warmup 100
bench qf2_beside --layers 2 --seeds 10 --steps 300 --warmup 100 $U
bench qf10_after --layers 10 --seeds 10 --steps 300 --warmup 100
bench qf10_beside --layers 10 --seeds 10 --steps 300 --warmup 100 $U
bench qf6_s16_beside --layers 6 --seeds 16 --steps 300 --warmup 100 $U
cp .gpu/anchors.py /tmp/anchors.py
timeout 120 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
  > $OUT/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $OUT/anchor.log | cut -c1-80)"
bench qf6_beside_3 $Q6 $U
echo "--- session 18's mma weight-gradient patch at $(el)"
if [ $(( $(date +%s) - t0 )) -gt 470 ]; then
  echo "skipped: too little of the call's 600 s left"
elif git apply docs/measurements/2026-12-05-session18/untested-weight-grad-mma.patch; then
  build "sg-bench trainer_packed_step_test" build2.log
  timeout 60 $P --gtest_filter='Ragged*OnCuda' > $OUT/tests_mma.log 2>&1
  echo "ragged CUDA tests with the patch rc=$?"; summary $OUT/tests_mma.log
  bench dyck6_mma $D6 --own-weight-grads
  bench dyck6_views $D6
fi
echo "total $(el)"
cd $OUT && rm -f build.log build2.log && tar czf logs.tgz *.log && rm -f *.log
