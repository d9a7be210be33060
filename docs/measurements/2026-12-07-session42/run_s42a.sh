#!/usr/bin/env bash
# Session 42, call A: the TF32 attention's backward kernels with their scores and dO . V in
# registers (mma.sync) instead of shared memory, so that three blocks fit an SM:
# dq-in-registers.patch (dQ: only the pairs' gradients go to shared memory, into V's tile;
# 68 KB a block instead of 102), then dkv-half-tiles.patch on top (dK and dV: 32 keys a
# block, 68 KB instead of 102, twice the blocks). Builds the tree's sg-bench, the first
# patch's (and its attention tests), then both patches' (attention tests, the kernel suite,
# the packed-step CUDA tests, --check-cpu), and times the three binaries' rows alternating
# (QF 6, 2 and 10 layers, Dyck 6), with a profile of each (the attention kernels).
# SG_FULL=1 adds a second round of QF 2 layers and a third of 6 layers. SG_SHORT=1 is for a
# call with little device time (about 190 s): no binary of the first patch alone, and only
# the QF 6- and 2-layer rows of the tree and both patches.
# `run` with carry [".gpu"]; any Hopper card; about 330 s (SG_FULL=1: 400 s).
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
D=docs/measurements/2026-12-07-session42
L=/tmp/s42a_logs; rm -rf $L; mkdir -p $L
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
SB=$B/bench/sg-bench
attention_tests() {  # log
  local K; K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
  timeout 120 "$K" --gtest_filter='*LineAttention*:*ResumeIsBitExact*' > $L/$1.log 2>&1
  echo "$1 rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/$1.log | tr '\n' ' ')"
  grep -E "^\[  FAILED|Failure|Expected|Which is|error|Value of" $L/$1.log | head -20
  save
}
build build_base sg-bench
cp $SB /tmp/sg-bench-base
patch -p1 < $D/dq-in-registers.patch > /dev/null || { echo "patch 1 failed"; exit 1; }
[ "${SG_SHORT:-0}" = 1 ] || build build_dq trainer_cuda_kernels_test sg-bench
source /tmp/sgdeps/env.sh
if [ "${SG_SHORT:-0}" = 1 ]; then
  VARIANTS="base dkv"
else
  VARIANTS="base dq dkv"
  attention_tests attention_tests_dq
  cp $SB /tmp/sg-bench-dq
fi
patch -p1 < $D/dkv-half-tiles.patch > /dev/null || { echo "patch 2 failed"; exit 1; }
build build_dkv trainer_cuda_kernels_test trainer_packed_step_test sg-bench
cmp -s $SB /tmp/sg-bench-base && echo "WARNING: the tree's binary"
attention_tests attention_tests_dkv
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
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
DY="--task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 --ragged-granules 8,4"
declare -A BIN=([base]=/tmp/sg-bench-base [dq]=/tmp/sg-bench-dq [dkv]=$SB)
for i in a b; do
  for b in $VARIANTS; do bench qf6_${b}_$i ${BIN[$b]} --layers 6 $Q; done
  [ $i = b ] && [ "${SG_FULL:-0}" != 1 ] && continue
  for b in $VARIANTS; do bench qf2_${b}_$i ${BIN[$b]} --layers 2 $Q; done
done
[ "${SG_SHORT:-0}" = 1 ] && { echo "total $(el) s"; exit 0; }
for b in $VARIANTS; do bench qf10_$b ${BIN[$b]} --layers 10 $Q; done
for b in $VARIANTS; do bench dyck6_$b ${BIN[$b]} $DY; done
for b in $VARIANTS; do
  timeout 40 ${BIN[$b]} --layers 6 --seeds 10 --steps 100 --warmup 100 --profile \
    > $L/prof6_$b.log 2>&1
  echo "profile $b rc=$?"
  grep -E "^profile \(|QueryGrad|KeyGrad|Tf32Forward|^streams" $L/prof6_$b.log | cut -c1-150
done
save
[ "${SG_FULL:-0}" = 1 ] && for b in dkv dq base; do bench qf6_${b}_c ${BIN[$b]} --layers 6 $Q; done
echo "total $(el) s"
