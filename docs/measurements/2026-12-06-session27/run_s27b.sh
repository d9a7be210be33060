#!/usr/bin/env bash
# Session 27, call B: what the failed starts left room for, in one build directory. Builds the
# tree (the CUDA kernel and packed-step suites, sg-bench, sg-gemm-bench) and keeps its sg-bench;
# applies session 25's merged attention backward patch in this machine's copy, builds again,
# keeps that sg-bench; applies the LayerNorm rows' 16-byte loads patch (this session's) on top
# and builds again. Then, on the last build: the CUDA kernel suite (it holds both patches'
# tests and the transposed weight gradients'), the ragged and transposed tests on CUDA; then
# sg-bench QF 6 layers and Dyck with each of the three builds, and with
# --lt-transposed-weight-grads on the last; sg-gemm-bench. Each stage only while time is left
# (SG_LIMIT seconds, default 420), logs saved after each. `run` with `carry: [".gpu"]`.
set -uo pipefail
t0=$(date +%s)
el() { echo $(( $(date +%s) - t0 )); }
LIMIT=${SG_LIMIT:-420}
left() { [ $(( $(el) + ${1:-0} )) -lt $LIMIT ]; }  # true while $1 more seconds fit
P25=docs/measurements/2026-12-05-session25/untested-merged-attention-backward.patch
P27=docs/measurements/2026-12-06-session27/untested-layer-norm-vector-loads.patch
L=/tmp/s27b_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
T="trainer_cuda_kernels_test trainer_packed_step_test sg-bench sg-gemm-bench"
build() {  # log name
  SG_TARGETS="$T" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
    > $L/$1.log 2>&1 || { grep -E "error" $L/$1.log | head -30; save; exit 1; }
  echo "$1 done at $(el) s"
}
B=/tmp/sgbuild
build build_tree
cp $B/bench/sg-bench /tmp/sb_tree
patch -p1 < $P25 > /dev/null || exit 1
build build_attention
cp $B/bench/sg-bench /tmp/sb_attention
patch -p1 < $P27 > /dev/null || exit 1
build build_layer_norm
SB=$B/bench/sg-bench  # both patches
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name --format=csv,noheader
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
timeout 90 $K > $L/kernel_tests.log 2>&1
echo "kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/kernel_tests.log | head -8
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 60 $PT --gtest_filter='*OnCuda*:*Cuda*' > $L/packed_cuda_tests.log 2>&1
echo "packed-step CUDA tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_cuda_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/packed_cuda_tests.log | head -5
save
bench() {  # name binary args...
  name=$1; sb=$2; shift 2
  timeout 60 $sb "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
QF="--layers 6 --seeds 10 --steps 300 --warmup 100"
DY="--task dyck --layers 6 --seeds 10 --ragged 128 --ragged-granules 8,4 --steps 300 --warmup 200"
left 30 && bench qf6_tree /tmp/sb_tree $QF
left 30 && bench qf6_attention /tmp/sb_attention $QF
left 30 && bench qf6_both $SB $QF
left 30 && bench qf6_both_t $SB $QF --lt-transposed-weight-grads
left 40 && bench dyck_tree /tmp/sb_tree $DY
left 40 && bench dyck_attention /tmp/sb_attention $DY
left 40 && bench dyck_both $SB $DY
left 40 && bench dyck_both_t $SB $DY --lt-transposed-weight-grads
left 40 && { timeout 40 $B/bench/sg-gemm-bench --seeds 10 > $L/gemm_s10.log 2>&1;
             echo "gemm bench rc=$? :: $(tail -1 $L/gemm_s10.log | cut -c1-240)"; save; }
left 30 && bench qf6_tree_b /tmp/sb_tree $QF
left 30 && bench qf6_both_b $SB $QF
left 40 && { timeout 40 $SB --check-cpu 100 --dropout 0 --layers 2 --seeds 2 > $L/check_tf32.log 2>&1;
             echo "check tf32 rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_tf32.log | tail -2 | tr '\n' ' ')"; save; }
echo "total $(el) s"
