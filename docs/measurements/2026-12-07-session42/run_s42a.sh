#!/usr/bin/env bash
# Session 42, call A: dq-in-registers.patch (the TF32 attention's dQ kernel keeps its scores
# and dO . V in registers, by mma.sync, and writes only the pairs' gradients to shared
# memory, into V's tile: 68 KB of shared memory a block instead of 102, three blocks an SM
# instead of two). Builds the tree's sg-bench, then the patch's tests and sg-bench; runs the
# attention tests, the kernel suite, the packed-step CUDA tests, --check-cpu, then QF and Dyck
# rows alternating between the two binaries and a profile of each (the attention kernels).
# `run` with carry [".gpu"]; any Hopper card; about 330 s.
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
build build_base sg-bench
cp /tmp/sgbuild/bench/sg-bench /tmp/sg-bench-base
patch -p1 < $D/dq-in-registers.patch > /dev/null || { echo "patch failed"; exit 1; }
build build_dq trainer_cuda_kernels_test trainer_packed_step_test sg-bench
cmp -s /tmp/sgbuild/bench/sg-bench /tmp/sg-bench-base && echo "WARNING: the same binary"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
SB=$B/bench/sg-bench
BASE=/tmp/sg-bench-base
timeout 120 $K --gtest_filter='*LineAttention*:*ResumeIsBitExact*' > $L/attention_tests.log 2>&1
echo "attention tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/attention_tests.log \
  | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure|Expected|Which is|error|Value of" $L/attention_tests.log | head -30
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
DY="--task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 --ragged-granules 8,4"
for i in a b; do
  bench qf6_base_$i $BASE --layers 6 $Q
  bench qf6_dq_$i $SB --layers 6 $Q
  bench qf2_base_$i $BASE --layers 2 $Q
  bench qf2_dq_$i $SB --layers 2 $Q
done
bench qf10_base $BASE --layers 10 $Q
bench qf10_dq $SB --layers 10 $Q
bench dyck6_base $BASE $DY
bench dyck6_dq $SB $DY
for b in base dq; do
  bin=$SB; [ $b = base ] && bin=$BASE
  timeout 40 $bin --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $L/prof6_$b.log 2>&1
  echo "profile $b rc=$?"
  grep -E "^profile|QueryGrad|KeyGrad|Tf32Forward|^streams|idle gaps" $L/prof6_$b.log | cut -c1-150
done
save
bench qf6_dq_c $SB --layers 6 $Q
bench qf6_base_c $BASE --layers 6 $Q
echo "total $(el) s"
