#!/usr/bin/env bash
# Session 20's last device time: the update beside the forward's tests alone, with the new
# dropout-free padded test, to test the dropout lead (README.md). `run`, carry [".gpu"].
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="trainer_cuda_kernels_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON \
  -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head; exit 1; }
echo "built at $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
K=$(find /tmp/sgbuild -name trainer_cuda_kernels_test -type f | head -1)
timeout 60 $K --gtest_filter='DeferredUpdate*' > $OUT/tests.log 2>&1
echo "rc=$?"
grep -E "^\[ +(OK|FAILED) +\]|^step [0-9]+$" $OUT/tests.log | uniq | head -30
rm -f $OUT/build.log
