#!/usr/bin/env bash
# Session 12, call E: the shared resume check in the GPU tests; a last look at the defaults.
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test trainer_packed_step_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { tail -30 $OUT/build.log; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
T=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
$T > $OUT/kernels.log 2>&1; echo "kernel tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED|Failure" $OUT/kernels.log | head -20
$P > $OUT/packed.log 2>&1; echo "packed step tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED" $OUT/packed.log | head -10
timeout 120 $B/bench/sg-bench --layers 6 --seeds 10 --steps 300 --warmup 100 > $OUT/qf6.log 2>&1; echo "qf6 rc=$? :: $(grep -A1 'model-steps/s' $OUT/qf6.log | tail -1)"
echo "total $(( $(date +%s) - t0 )) s"
