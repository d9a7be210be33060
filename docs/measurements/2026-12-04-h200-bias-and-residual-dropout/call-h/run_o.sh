#!/usr/bin/env bash
# Session 13, call H: is CudaLineAttentionTest.PackedLongRowsResumeWithDropoutIsBitExact flaky
# without this session's changes? The tree at HEAD (this session's diff reversed), the kernel
# tests three times.
set -uo pipefail
t0=$(date +%s)
git apply -R .gpu/session13.patch || patch -R -p1 < .gpu/session13.patch || { echo "reverse patch failed"; exit 1; }
grep -c "fused_residual_dropout" trainer/model/pack_model.h
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="trainer_cuda_kernels_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { tail -40 $OUT/build.log; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
T=$(find /tmp/sgbuild -name trainer_cuda_kernels_test -type f | head -1)
for r in 1 2 3; do
timeout 90 $T > $OUT/head_kernels_$r.log 2>&1; echo "HEAD kernel tests $r rc=$? at $(( $(date +%s) - t0 )) s"; grep -E "^\[  (PASSED|FAILED)|FAILED  \] Cuda" $OUT/head_kernels_$r.log | head -6
done
echo "total $(( $(date +%s) - t0 )) s"
cd $OUT && rm -f build.log
