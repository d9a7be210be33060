#!/usr/bin/env bash
# Session 26, call B: run_s26a.sh cut to what about 300 s of device time holds (the failed
# starts left no more). Builds the tree (the CUDA kernel suite, sg-bench, sg-gemm-bench),
# keeps its sg-bench, applies session 25's merged attention backward patch in this machine's
# copy and builds again (the two .cu files); then the kernel suites that the patch and the transposed
# weight gradients touch (and the ragged ones on CUDA), Dyck with one launch (1) against two
# (2), QF 6 layers and Dyck with the weight gradients as they are and from x transposed
# (--lt-transposed-weight-grads), sg-gemm-bench; each stage only while
# time is left, logs saved after each. `run` with `carry: [".gpu"]`.
set -uo pipefail
t0=$(date +%s)
el() { echo $(( $(date +%s) - t0 )); }
D=docs/measurements/2026-12-05-session25  # the patch stays there until it has run
L=/tmp/s26b_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
left() { [ $(el) -lt ${1:-9999} ]; }  # true while fewer seconds than $1 have passed
T="trainer_cuda_kernels_test trainer_packed_step_test sg-bench sg-gemm-bench"
SG_TARGETS="$T" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
  > $L/build2.log 2>&1 || { grep -E "error" $L/build2.log | head -30; exit 1; }
B=/tmp/sgbuild
cp $B/bench/sg-bench /tmp/sg-bench-two-launches  # the tree's attention backward
echo "built the tree at $(el) s"
# Then the patch in this machine's copy, and the same build again (two .cu files and links).
patch -p1 < $D/untested-merged-attention-backward.patch > /dev/null || exit 1
SG_TARGETS="$T" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
  > $L/build.log 2>&1 || { grep -E "error" $L/build.log | head -30; exit 1; }
echo "built with the patch at $(el) s"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name --format=csv,noheader
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
timeout 60 $K --gtest_filter='CudaOwnLineAttentionTest.*:CudaLineAttentionTest.*:CudaSeedGemmTest.*' \
  > $L/kernel_tests.log 2>&1
echo "kernel tests (attention, seed GEMMs) rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/kernel_tests.log | head -5
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 60 $P --gtest_filter='Ragged*OnCuda' > $L/ragged_tests.log 2>&1
echo "ragged tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/ragged_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/ragged_tests.log | head -5
save
SB1=$B/bench/sg-bench
SB2=/tmp/sg-bench-two-launches
bench() {  # name binary args...
  name=$1; sb=$2; shift 2
  timeout 60 $sb "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
DY="--task dyck --layers 6 --seeds 10 --ragged 128 --ragged-granules 8,4 --steps 300 --warmup 200"
QF="--layers 6 --seeds 10 --steps 300 --warmup 100"
left 400 && bench dyck_1a $SB1 $DY
left 400 && bench dyck_2a $SB2 $DY
left 420 && bench qf6_1 $SB1 $QF
left 420 && bench qf6_1t $SB1 $QF --lt-transposed-weight-grads
left 430 && bench dyck_1t $SB1 $DY --lt-transposed-weight-grads
left 440 && { timeout 40 $B/bench/sg-gemm-bench --seeds 10 > $L/gemm_s10.log 2>&1;
              echo "gemm bench rc=$? :: $(tail -1 $L/gemm_s10.log | cut -c1-240)"; save; }
left 440 && bench dyck_1b $SB1 $DY
left 440 && bench dyck_2b $SB2 $DY
left 460 && { timeout 60 $K > $L/kernel_tests_all.log 2>&1;
              echo "kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests_all.log | tr '\n' ' ')"; save; }
echo "total $(el) s"
