#!/usr/bin/env bash
# Session 24: the plans made independent of where the allocator puts an activation (16-byte
# alignment for every operand, no split-K reductions), after run_s24g.sh's full suite found two
# trainers of one process parting at step 6 (PackedLongRowsResumeWithDropoutIsBitExact). The
# full CUDA kernel and packed-step suites twice (CudaSeedGemmTest's resume tests take the
# products by cuBLASLt), then sg-bench QF 6 layers both ways and sg-gemm-bench. NOT RUN in
# session 24 (no device time left): the first call of session 25. `run` with
# `carry: [".gpu"]`, timeout_s 500.
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test sg-bench sg-gemm-bench" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
  > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; exit 1; }
echo "built at $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name --format=csv,noheader
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
for round in 1 2; do
  timeout 200 $K > $OUT/kernel_tests_$round.log 2>&1
  echo "kernel tests ($round) rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $OUT/kernel_tests_$round.log | tr '\n' ' ')"
  grep -E "^\[  FAILED" $OUT/kernel_tests_$round.log | head -5
done
# Is the test that failed in call G flaky with LibTorch's GEMMs too (lt_gemms off, the
# default now)? And the resume tests with cuBLASLt's, repeated.
timeout 120 $K --gtest_filter='CudaLineAttentionTest.PackedLongRows*' --gtest_repeat=5 \
  > $OUT/long_rows_repeat.log 2>&1
echo "long rows, LibTorch's GEMMs, 5 times rc=$? :: $(grep -c '^\[       OK' $OUT/long_rows_repeat.log) ok"
timeout 120 $K --gtest_filter='CudaSeedGemmTest.*Resume*' --gtest_repeat=5 > $OUT/lt_resume_repeat.log 2>&1
echo "cuBLASLt resume tests, 5 times rc=$? :: $(grep -c '^\[       OK' $OUT/lt_resume_repeat.log) ok"
timeout 100 $P > $OUT/packed_tests.log 2>&1
echo "packed-step tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $OUT/packed_tests.log | tr '\n' ' ')"
SB=$B/bench/sg-bench
bench() {
  name=$1; shift
  timeout 60 $SB "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"
}
bench qf6_lt --layers 6 --seeds 10 --steps 300 --warmup 100 --lt-gemms
bench qf6_bmm --layers 6 --seeds 10 --steps 300 --warmup 100 --libtorch-gemms
bench qf6_lt_again --layers 6 --seeds 10 --steps 300 --warmup 100 --lt-gemms
timeout 60 $B/bench/sg-gemm-bench --seeds 10 > $OUT/gemm_s10.log 2>&1; tail -1 $OUT/gemm_s10.log
echo "total $(( $(date +%s) - t0 )) s"
rm -f $OUT/build.log
