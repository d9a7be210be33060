#!/usr/bin/env bash
# Session 32, call D: attention-two-lanes.patch: delta (dO . O) by a kernel of its own first,
# then dK and dV's kernel on a second stream at the greatest priority beside dQ's (forked and
# joined inside the backward; two branches in a captured graph). Each of the two gradient
# kernels alone is 1.2 waves of blocks (320 blocks, two an SM on 132 SMs). Same bits as the
# tree (delta summed in the same order). Two builds (the tree's sg-bench, the patch's tests and
# sg-bench), the attention and resume tests, every CUDA suite, --check-cpu, QF and Dyck rows
# alternating, a profile. On an H200 the table's rows with the better binary.
# `run` with carry [".gpu"]; any Hopper card; about 250 s on an H100.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
D=docs/measurements/2026-12-06-session32
L=/tmp/s32d_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
rm -f /tmp/sgdeps/.unpacked
build() {  # log targets...
  log=$1; shift
  SG_TARGETS="$*" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
    > $L/$log.log 2>&1 || { grep -E "error" -A3 $L/$log.log | head -40; save; exit 1; }
  echo "$log at $(el) s"
}
B=/tmp/sgbuild
build build_base sg-bench
cp $B/bench/sg-bench /tmp/sg-bench-base
patch -p1 < $D/attention-two-lanes.patch > /dev/null || { echo "patch failed"; exit 1; }
build build_lanes trainer_cuda_kernels_test trainer_packed_step_test sg-bench
source /tmp/sgdeps/env.sh
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
SB=$B/bench/sg-bench
BASE=/tmp/sg-bench-base
timeout 90 $K --gtest_filter='*LineAttention*:*ResumeIsBitExact*' > $L/new_tests.log 2>&1
echo "attention + resume tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/new_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure|error" $L/new_tests.log | head -20
save
timeout 240 $K > $L/kernel_tests.log 2>&1
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
  bench qf6_lanes_$i $SB --layers 6 $Q
  bench qf2_base_$i $BASE --layers 2 $Q
  bench qf2_lanes_$i $SB --layers 2 $Q
done
bench qf10_base $BASE --layers 10 $Q
bench qf10_lanes $SB --layers 10 $Q
DY="--task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 --ragged-granules 8,4"
bench dyck6_base $BASE $DY
bench dyck6_lanes $SB $DY
timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $L/prof6.log 2>&1
echo "profile rc=$?"; grep -E "^profile|Tf32(Forward|QueryGrad|KeyGrad|Delta)Kernel|^streams|stream [0-9]" \
  $L/prof6.log | cut -c1-140
save
case "$card" in *H200*)
  for SBX in $SB; do
    bench qf10_s16 $SBX --layers 10 --seeds 16 --steps 300 --warmup 100
    bench qf6_s16 $SBX --layers 6 --seeds 16 --steps 300 --warmup 100
    bench qf2_s16 $SBX --layers 2 --seeds 16 --steps 300 --warmup 100
  done
  cp .gpu/anchors.py /tmp/anchors.py
  timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
    > $L/anchor.log 2>&1
  echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
  bench qf6_base_c $BASE --layers 6 $Q
  bench qf6_lanes_c $SB --layers 6 $Q
  save ;;
esac
echo "total $(el) s"
