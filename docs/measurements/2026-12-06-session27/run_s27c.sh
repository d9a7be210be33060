#!/usr/bin/env bash
# Session 27, call C: one build for three changes, for the device time the failed starts left.
# one-build-toggles.patch = session 25's merged attention backward + this session's
# LayerNorm rows' 16-byte loads, each with a measurement-only switch back to the tree's code:
# SG_ATTENTION_BACKWARD=two runs the tree's two launches (dQ computing delta, then dK/dV),
# SG_LAYER_NORM_SCALAR=1 the tree's 4-byte loads. So "two + scalar" is the tree, and every
# comparison is one binary in one process state. Then the kernel suite (both patches' tests, the
# transposed weight gradients'), the packed-step CUDA tests, sg-bench QF 6 layers and Dyck in
# four forms (tree, merged attention, both, both + --lt-transposed-weight-grads), twice for QF
# where time is left, sg-gemm-bench. Each stage only while SG_LIMIT (default 300) seconds are
# not passed, logs saved after each. `run` with `carry: [".gpu"]`.
set -uo pipefail
t0=$(date +%s)
el() { echo $(( $(date +%s) - t0 )); }
LIMIT=${SG_LIMIT:-300}
left() { [ $(( $(el) + ${1:-0} )) -lt $LIMIT ]; }  # true while $1 more seconds fit
L=/tmp/s27c_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
patch -p1 < docs/measurements/2026-12-06-session27/one-build-toggles.patch > /dev/null \
  || exit 1
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test sg-bench sg-gemm-bench" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $L/build.log 2>&1 \
  || { grep -E "error" $L/build.log | head -30; save; exit 1; }
echo "built at $(el) s"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name --format=csv,noheader
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
timeout 60 $K > $L/kernel_tests.log 2>&1
echo "kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/kernel_tests.log | head -8
save
SB=$B/bench/sg-bench
bench() {  # name env-assignments args...
  name=$1; envs=$2; shift 2
  env $envs timeout 50 $SB "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
TREE="SG_ATTENTION_BACKWARD=two SG_LAYER_NORM_SCALAR=1"
ATTN="SG_LAYER_NORM_SCALAR=1"
BOTH="SG_NOTHING=1"
QF="--layers 6 --seeds 10 --steps 300 --warmup 100"
DY="--task dyck --layers 6 --seeds 10 --ragged 128 --ragged-granules 8,4 --steps 300 --warmup 200"
left 25 && bench qf6_tree "$TREE" $QF
left 25 && bench qf6_attn "$ATTN" $QF
left 25 && bench qf6_both "$BOTH" $QF
left 25 && bench qf6_both_t "$BOTH" $QF --lt-transposed-weight-grads
left 30 && bench dyck_tree "$TREE" $DY
left 30 && bench dyck_attn "$ATTN" $DY
left 30 && bench dyck_both "$BOTH" $DY
left 30 && bench dyck_both_t "$BOTH" $DY --lt-transposed-weight-grads
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
left 40 && { timeout 40 $PT --gtest_filter='*OnCuda*' > $L/packed_cuda_tests.log 2>&1;
  echo "packed-step CUDA tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_cuda_tests.log | tr '\n' ' ')";
  grep -E "^\[  FAILED" $L/packed_cuda_tests.log | head -5; save; }
left 30 && { timeout 30 $B/bench/sg-gemm-bench --seeds 10 > $L/gemm_s10.log 2>&1;
             echo "gemm bench rc=$? :: $(tail -1 $L/gemm_s10.log | cut -c1-240)"; save; }
left 25 && bench qf6_tree_b "$TREE" $QF
left 25 && bench qf6_both_b "$BOTH" $QF
left 25 && bench qf6_both_t_b "$BOTH" $QF --lt-transposed-weight-grads
left 30 && bench dyck_tree_b "$TREE" $DY
left 30 && bench dyck_both_b "$BOTH" $DY
echo "total $(el) s"
