#!/usr/bin/env bash
# Session 24: every test of the CUDA kernel and packed-step suites with the layers' products by
# cuBLASLt as the default. `run` with `carry: [".gpu"]`, timeout_s 400.
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
  > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; exit 1; }
echo "built at $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name --format=csv,noheader
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 240 $K > $OUT/kernel_tests.log 2>&1
echo "kernel tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $OUT/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure" $OUT/kernel_tests.log | head -10
timeout 100 $P > $OUT/packed_tests.log 2>&1
echo "packed-step tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $OUT/packed_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure" $OUT/packed_tests.log | head -10
echo "total $(( $(date +%s) - t0 )) s"
rm -f $OUT/build.log
