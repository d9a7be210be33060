#!/usr/bin/env bash
# Session 13, call A: the layers' linears' AdamW deferred to the next replay (overlap_optimizer).
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test trainer_packed_step_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { tail -40 $OUT/build.log; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
T=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 120 $T --gtest_filter='CudaDeferredUpdateTest.*' > $OUT/deferred.log 2>&1; echo "deferred tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED|Failure|Expected|Which is|error" $OUT/deferred.log | head -30
SB=$B/bench/sg-bench
run() { name=$1; shift; timeout 120 $SB "$@" > $OUT/$name.log 2>&1; echo "$name rc=$? :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"; }
run qf6 --layers 6 --seeds 10 --steps 300 --warmup 100
run qf6_serial --layers 6 --seeds 10 --steps 300 --warmup 100 --serial-optimizer
run qf2 --layers 2 --seeds 10 --steps 300 --warmup 100
run qf10 --layers 10 --seeds 10 --steps 300 --warmup 100
run dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200
echo "bench done at $(( $(date +%s) - t0 )) s"
timeout 200 $T > $OUT/kernels.log 2>&1; echo "kernel tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED|bit-equal in" $OUT/kernels.log | head -20
timeout 100 $P > $OUT/packed.log 2>&1; echo "packed tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED" $OUT/packed.log | head
run check_tf32 --layers 2 --seeds 2 --check-cpu 200 --dropout 0
grep -E "max relative|PASS|FAIL" $OUT/check_tf32.log | head -3
run qf6_profile --layers 6 --seeds 10 --steps 200 --warmup 100 --profile
grep -A14 "^profile" $OUT/qf6_profile.log
echo "total $(( $(date +%s) - t0 )) s"
cd $OUT && tar czf logs.tgz *.log && rm -f build.log
