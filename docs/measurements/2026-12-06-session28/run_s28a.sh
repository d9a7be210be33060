#!/usr/bin/env bash
# Session 28, call A (prepared in session 27; run as it stands, on an H100, 179 s). The side stream's
# sums with more blocks in flight (../2026-12-06-session27/side-stream-sums.patch): the bias gradients' column
# sums one column a lane (160 blocks for a 512-wide bias of a 10-seed pack, 40 before; the same
# bits) and the LayerNorm affine gradients with 32 row groups a block (8 before; other bits,
# a fixed order). Session 27's transposed weight gradients suggest the side stream is the
# step's longer branch at the join, so time taken off it may shorten the step.
# One build of side-stream-sums-toggles.patch (the same change, with
# SG_SIDE_SUMS=tree switching back to the tree's two kernels for measuring only); the CUDA
# kernel suite and the packed-step CUDA tests; sg-bench QF 6 / 2 / 10 layers and Dyck, tree
# and new alternating; the CPU checks; a profile of each (with the streams' summary); then
# issue 22's table with the change (16 seeds, the PyTorch ensemble). SG_LIMIT seconds
# (default 300), logs saved
# after each stage. `run` with `carry: [".gpu"]`. The suites passed and the step was not
# faster (docs/performance.md, session 28): the patch was not applied.
set -uo pipefail
t0=$(date +%s)
el() { echo $(( $(date +%s) - t0 )); }
LIMIT=${SG_LIMIT:-300}
left() { [ $(( $(el) + ${1:-0} )) -lt $LIMIT ]; }
D=docs/measurements/2026-12-06-session27
L=/tmp/s28a_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
patch -p1 < $D/side-stream-sums-toggles.patch > /dev/null || exit 1
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test sg-bench" \
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
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 40 $PT --gtest_filter='*OnCuda*' > $L/packed_cuda_tests.log 2>&1
echo "packed-step CUDA tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_cuda_tests.log | tr '\n' ' ')"
save
SB=$B/bench/sg-bench
bench() {  # name env-assignment args...
  name=$1; e=$2; shift 2
  env $e timeout 40 $SB "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
QF="--layers 6 --seeds 10 --steps 300 --warmup 100"
DY="--task dyck --layers 6 --seeds 10 --ragged 128 --ragged-granules 8,4 --steps 300 --warmup 200"
for i in a b; do
  left 20 && bench qf6_tree_$i SG_SIDE_SUMS=tree $QF
  left 20 && bench qf6_new_$i SG_SIDE_SUMS=new $QF
  left 25 && bench dyck_tree_$i SG_SIDE_SUMS=tree $DY
  left 25 && bench dyck_new_$i SG_SIDE_SUMS=new $DY
done
left 20 && bench qf2_tree SG_SIDE_SUMS=tree --layers 2 --seeds 10 --steps 300 --warmup 100
left 20 && bench qf2_new SG_SIDE_SUMS=new --layers 2 --seeds 10 --steps 300 --warmup 100
left 20 && bench qf10_tree SG_SIDE_SUMS=tree --layers 10 --seeds 10 --steps 300 --warmup 100
left 20 && bench qf10_new SG_SIDE_SUMS=new --layers 10 --seeds 10 --steps 300 --warmup 100
left 30 && { for p in tf32 fp32; do timeout 30 $SB --check-cpu 100 --dropout 0 --layers 2 --seeds 2 --precision $p > $L/check_$p.log 2>&1;
             echo "check $p rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_$p.log | tail -1)"; done; save; }
for v in tree new; do
  left 20 || break
  env SG_SIDE_SUMS=$v timeout 30 $SB $QF --profile > $L/qf6_profile_$v.log 2>&1
  echo "profile $v rc=$? :: $(grep -E 'SeedColumnSums|BackwardAffine' $L/qf6_profile_$v.log | cut -c1-60 | tr '\n' ' ')"
  sed -n '/^streams/,$p' $L/qf6_profile_$v.log | head -6
  save
done
left 20 && bench qf6_s16_new SG_SIDE_SUMS=new --layers 6 --seeds 16 --steps 300 --warmup 100
left 40 && { cp .gpu/anchors.py /tmp/anchors.py;
  timeout 40 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 > $L/anchor.log 2>&1;
  echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"; save; }
echo "total $(el) s"
