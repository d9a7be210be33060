#!/usr/bin/env bash
# Session 13, call I: the per-step one-row rule's GPU test (graph_shapes).
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="trainer_packed_step_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { tail -40 $OUT/build.log; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
P=$(find /tmp/sgbuild -name trainer_packed_step_test -type f | head -1)
timeout 60 $P > $OUT/packed.log 2>&1; echo "packed tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED|Failure|Expected|Which is|x " $OUT/packed.log | head -20
echo "total $(( $(date +%s) - t0 )) s"
rm -f $OUT/build.log
