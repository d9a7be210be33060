#!/usr/bin/env bash
# Prepared in session 17 for the next GPU call (untested: the session's device time was spent).
# `run` with `carry: [".gpu"]`, command `bash docs/measurements/2026-12-05-session17/untested-run_s18a.sh`.
# Measures what session 17 changed after its calls (the ragged bias added per chunk, its
# gradient by our column sums), Dyck's seed granule of 2, then applies
# untested-padded-rows-kernel.patch (the padded views' kernel with 4 loads in flight per
# thread), rebuilds, tests and measures it. Session 17's numbers to compare with: Dyck ragged
# default 946, one row per seed 793, QF 2,013 (6 layers, 10 seeds).
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_packed_step_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 60 $P --gtest_filter='Ragged*' > $OUT/ragged_tests.log 2>&1; echo "ragged tests rc=$? at $(el)"; grep -E "^\[  (PASSED|FAILED)|FAILED|Failure" $OUT/ragged_tests.log | head -20
SB=$B/bench/sg-bench
run() { name=$1; shift; s=$(date +%s); timeout 60 $SB "$@" > $OUT/$name.log 2>&1; echo "$name rc=$? ($(( $(date +%s) - s )) s) :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"; }
D6="--task dyck --layers 6 --seeds 10 --steps 300 --warmup 200"
run dyck6_onerow $D6
run dyck6_r128 $D6 --ragged 128 --ragged-granules 8,4
run dyck6_r128_8_2 $D6 --ragged 128 --ragged-granules 8,2
run dyck6_r128_8_2_g16 $D6 --ragged 128 --ragged-granules 8,2 --max-graphs 16
timeout 40 $SB --task dyck --layers 2 --seeds 2 --check-cpu 100 --dropout 0 --precision fp32 --ragged 128 --ragged-granules 8,4 > $OUT/check.log 2>&1; echo "check rc=$? :: $(grep 'check: loss' $OUT/check.log)"
echo "--- the padded views' kernel patch at $(el)"
git apply docs/measurements/2026-12-05-session17/untested-padded-rows-kernel.patch || exit 1
SG_TARGETS="sg-bench trainer_packed_step_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build2.log 2>&1 || { grep -E "error" $OUT/build2.log | head -30; exit 1; }
echo "rebuilt at $(el)"
timeout 60 $P --gtest_filter='Ragged*OnCuda' > $OUT/ragged_tests2.log 2>&1; echo "ragged CUDA tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED|Failure" $OUT/ragged_tests2.log | head -20
run p_dyck6_r128 $D6 --ragged 128 --ragged-granules 8,4
timeout 60 $SB $D6 --ragged 128 --ragged-granules 8,4 --steps 100 --profile > $OUT/p_profile.log 2>&1; echo "profile rc=$?"; grep -E "profile \(|GatherPadded|reduce_kernel|SeedColumnSums|ColumnSums" $OUT/p_profile.log | head -6
echo "total $(el)"
cd $OUT && rm -f build.log build2.log && tar czf logs.tgz *.log && rm -f *.log
