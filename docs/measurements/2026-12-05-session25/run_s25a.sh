#!/usr/bin/env bash
# Session 25, call A (session 24's untested run_s24h.sh, extended): does the trainer resume bit
# for bit with the layers' products by cuBLASLt? Phase 1 as the tree is (lt_gemms off): both
# CUDA suites twice, the long-rows resume test that failed in run_s24g.sh repeated with
# LibTorch's GEMMs (flaky without cuBLASLt?), CudaSeedGemmTest's resume tests repeated.
# Phase 2 flips the defaults in this copy of the tree only (PackTrainerOptions::lt_gemms,
# GraphStepOptions::lt_gemms), rebuilds, and runs both suites three times and the long-rows
# test ten times. Then sg-bench QF 6 layers both ways and sg-gemm-bench.
# `run` with `carry: [".gpu"]`, timeout_s 600.
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
T="trainer_cuda_kernels_test trainer_packed_step_test sg-bench sg-gemm-bench"
SG_TARGETS="$T" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
  > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; exit 1; }
echo "built at $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name --format=csv,noheader
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
suites() {  # $1: label
  timeout 100 $K > $OUT/kernel_tests_$1.log 2>&1
  echo "kernel tests ($1) rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $OUT/kernel_tests_$1.log | tr '\n' ' ')"
  grep -E "^\[  FAILED" $OUT/kernel_tests_$1.log | head -5
  timeout 100 $P > $OUT/packed_tests_$1.log 2>&1
  echo "packed-step tests ($1) rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $OUT/packed_tests_$1.log | tr '\n' ' ')"
  grep -E "^\[  FAILED" $OUT/packed_tests_$1.log | head -5
}
long_rows() {  # $1: label, $2: repeats
  timeout 150 $K --gtest_filter='CudaLineAttentionTest.PackedLongRows*' --gtest_repeat=$2 \
    > $OUT/long_rows_$1.log 2>&1
  echo "long rows ($1) x$2 rc=$? :: $(grep -c '^\[       OK' $OUT/long_rows_$1.log) ok"
}
echo "== phase 1: lt_gemms off (the tree's default)"
suites off1
suites off2
long_rows off 5
timeout 120 $K --gtest_filter='CudaSeedGemmTest.*Resume*' --gtest_repeat=5 > $OUT/lt_resume_repeat.log 2>&1
echo "cuBLASLt resume tests x5 rc=$? :: $(grep -c '^\[       OK' $OUT/lt_resume_repeat.log) ok"
echo "== phase 2: lt_gemms on by default (this copy only), at $(( $(date +%s) - t0 )) s"
sed -i 's/^  bool lt_gemms = false;/  bool lt_gemms = true;/' trainer/model/pack_trainer.h trainer/model/cuda_graph_step.h
grep -n "bool lt_gemms" trainer/model/pack_trainer.h trainer/model/cuda_graph_step.h
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test" bash .gpu/build_targets.sh \
  -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build2.log 2>&1 \
  || { grep -E "error" $OUT/build2.log | head -30; exit 1; }
echo "rebuilt at $(( $(date +%s) - t0 )) s"
suites on1
suites on2
suites on3
long_rows on 10
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
rm -f $OUT/build.log $OUT/build2.log
