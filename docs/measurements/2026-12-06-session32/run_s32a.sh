#!/usr/bin/env bash
# Prepared in session 31 for the next GPU session (not run: no device time left).
# attention-causal-spans.patch: in our TF32 attention kernels the weighted sums (P V in the
# forward, dS K for dQ, P^T dO and dS^T Q for dK and dV) skip the k-steps of each 16-row block
# whose W entries are all zero (keys after the block's last query or before its first query's
# line start; for dK/dV, queries before the block's first key or past the block's last line):
# on QF's rows of 64 a 16-row block reads at most its own and the earlier keys; and a warp
# takes row blocks 0 and 3 or 1 and 2 of those sums, so its longest share drops from 16
# k-steps to 10. Each output tile is still one warp's, in the same order: not the same bits as
# the tree's
# kernels only where a sum is a zero of the other sign. Builds the tree's sg-bench, then the
# patch's tests and sg-bench; runs the attention and resume tests first, every CUDA suite,
# --check-cpu, QF rows alternating, a profile (the three kernels' times). On an H200 the table
# rows as well. `run` with carry [".gpu"]; any Hopper card; about 300 s.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
D=docs/measurements/2026-12-06-session31  # the patch stays where it was prepared
L=/tmp/s32a_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
rm -f /tmp/sgdeps/.unpacked
build() {  # log targets...
  log=$1; shift
  SG_TARGETS="$*" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
    > $L/$log.log 2>&1 || { grep -E "error" -A3 $L/$log.log | head -40; save; exit 1; }
  echo "$log at $(el) s"
}
build build_base sg-bench
cp /tmp/sgbuild/bench/sg-bench /tmp/sg-bench-base
patch -p1 < $D/attention-causal-spans.patch > /dev/null || { echo "patch failed"; exit 1; }
build build_spans trainer_cuda_kernels_test trainer_packed_step_test sg-bench
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
SB=$B/bench/sg-bench
BASE=/tmp/sg-bench-base
timeout 90 $K --gtest_filter='*LineAttention*:*ResumeIsBitExact*' > $L/new_tests.log 2>&1
echo "attention + resume tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/new_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure|Expected|Which is|error|Value of" $L/new_tests.log | head -30
save
timeout 200 $K > $L/kernel_tests.log 2>&1
echo "kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/kernel_tests.log | head -8
timeout 60 $PT --gtest_filter='*OnCuda*' > $L/packed_cuda.log 2>&1
echo "packed-step CUDA rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_cuda.log | tr '\n' ' ')"
for p in tf32 fp32; do
  timeout 40 $SB --check-cpu 100 --dropout 0 --layers 2 --seeds 2 --precision $p \
    > $L/check_$p.log 2>&1
  echo "check $p rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_$p.log | tail -1)"
done
save
bench() {  # name binary args...
  name=$1; bin=$2; shift 2
  timeout 40 $bin "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
for i in a b; do
  bench qf6_base_$i $BASE --layers 6 $Q
  bench qf6_spans_$i $SB --layers 6 $Q
  bench qf2_base_$i $BASE --layers 2 $Q
  bench qf2_spans_$i $SB --layers 2 $Q
done
bench qf10_base $BASE --layers 10 $Q
bench qf10_spans $SB --layers 10 $Q
DY="--task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 --ragged-granules 8,4"
bench dyck6_base $BASE $DY
bench dyck6_spans $SB $DY
timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $L/prof6.log 2>&1
echo "profile rc=$?"; grep -E "^profile|Tf32(Forward|QueryGrad|KeyGrad)Kernel|^streams|idle gaps|stream [0-9]|^update" \
  $L/prof6.log | cut -c1-140
save
case "$card" in *H200*)
  bench qf10_spans_b $SB --layers 10 $Q
  bench qf10_base_b $BASE --layers 10 $Q
  bench qf6_s16 $SB --layers 6 --seeds 16 --steps 300 --warmup 100
  bench qf2_s16 $SB --layers 2 --seeds 16 --steps 300 --warmup 100
  bench qf10_s16 $SB --layers 10 --seeds 16 --steps 300 --warmup 100
  bench dyck6 $SB --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 \
    --ragged-granules 8,4
  cp .gpu/anchors.py /tmp/anchors.py
  timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
    > $L/anchor.log 2>&1
  echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
  bench qf6_spans_c $SB --layers 6 $Q
  bench qf6_base_c $BASE --layers 6 $Q
  save ;;
esac
echo "total $(el) s"
