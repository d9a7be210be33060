#!/usr/bin/env bash
# Session 17, GPU call A (`run` with `carry: [".gpu"]`, command `bash
# docs/measurements/2026-12-05-session17/run_s17a.sh`). Dyck at 6 layers, 10 seeds: today's
# layout and the ragged ones side by side in one call (session 16 had no same-call baseline
# for chunks of 128), the graph cap raised past 8 for the ragged shapes, the padded views by
# our kernel against LibTorch's copies, a profile of the ragged step, QF for reference,
# sg-train on Dyck with the ragged layout; then session 15's attention-kernel patch (cp.async
# tiles, never run) applied and rebuilt: its tests, then Dyck and QF again.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_packed_step_test sg-train" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 60 $P --gtest_filter='Ragged*:PackedStep*OnCuda' > $OUT/ragged_tests.log 2>&1; echo "ragged tests rc=$? at $(el)"; grep -E "^\[  (PASSED|FAILED)|FAILED|Failure" $OUT/ragged_tests.log | head -20
SB=$B/bench/sg-bench
run() { name=$1; shift; s=$(date +%s); timeout 60 $SB "$@" > $OUT/$name.log 2>&1; echo "$name rc=$? ($(( $(date +%s) - s )) s) :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"; }
D6="--task dyck --layers 6 --seeds 10 --steps 300 --warmup 200"
Q6="--layers 6 --seeds 10 --steps 300 --warmup 100"
R="--ragged 128 --ragged-granules 8,4"
run dyck6 $D6
run dyck6_r128_g16 $D6 $R --max-graphs 16
run dyck6_r64_16_4_g16 $D6 --ragged 64 --ragged-granules 16,4 --max-graphs 16
run dyck6_r128_g16_lt $D6 $R --max-graphs 16 --libtorch-padded-views
run dyck6_r128 $D6 $R
run dyck6_again $D6
run qf6 $Q6
timeout 60 $SB $D6 $R --max-graphs 16 --steps 100 --profile > $OUT/dyck6_r128_profile.log 2>&1; echo "profile rc=$? at $(el)"
timeout 40 $SB --task dyck --layers 2 --seeds 2 --check-cpu 100 --dropout 0 --precision fp32 $R > $OUT/check_r128.log 2>&1; echo "check rc=$? :: $(grep -iE 'max relative|PASS|FAIL' $OUT/check_r128.log | tail -2)"
s=$(date +%s); timeout 90 $B/trainer/sg-train --spec examples/dyck.yaml --cell depth=6 --seeds 0,1,2,3,4,5,6,7,8,9 --device cuda --steps 2000 --eval-max-lines 200 --out /tmp/sgt_dyck > $OUT/sgtrain_dyck.log 2>&1; echo "sg-train dyck (ragged by default) rc=$? ($(( $(date +%s) - s )) s)"; grep -E "ragged|done|eval step" $OUT/sgtrain_dyck.log | head -5
echo "--- session 15's attention patch at $(el)"
git apply docs/measurements/2026-12-04-session15-no-gpu/untested-kernels-only.patch || exit 1
SG_TARGETS="sg-bench trainer_cuda_kernels_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build2.log 2>&1 || { grep -E "error" $OUT/build2.log | head -30; exit 1; }
echo "rebuilt at $(el)"
T=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
timeout 60 $T --gtest_filter='*LineAttention*' > $OUT/attention_tests.log 2>&1; echo "attention tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED|Failure" $OUT/attention_tests.log | head -20
run p_dyck6 $D6
run p_dyck6_r128_g16 $D6 $R --max-graphs 16
run p_qf6 $Q6
echo "total $(el)"
cd $OUT && rm -f build.log build2.log
