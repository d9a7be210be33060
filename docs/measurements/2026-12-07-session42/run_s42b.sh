#!/usr/bin/env bash
# Session 42, call B: run_s42a.sh cut to what fits under 250 s of device time. Builds the
# tree's sg-bench, then both patches' (dq-in-registers.patch, dkv-half-tiles.patch) with the
# kernel suite; runs the attention tests, then QF 6 and 2 layers alternating between the two
# binaries, --check-cpu TF32 and the rest of the kernel suite as time allows.
# `run` with carry [".gpu"]; any Hopper card; about 190 s.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
D=docs/measurements/2026-12-07-session42
L=/tmp/s42b_logs; rm -rf $L; mkdir -p $L
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
build build_base sg-bench
cp $SB /tmp/sg-bench-base
patch -p1 < $D/dq-in-registers.patch > /dev/null || { echo "patch 1 failed"; exit 1; }
patch -p1 < $D/dkv-half-tiles.patch > /dev/null || { echo "patch 2 failed"; exit 1; }
build build_both trainer_cuda_kernels_test sg-bench
source /tmp/sgdeps/env.sh
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
timeout 60 "$K" --gtest_filter='*LineAttention*' > $L/attention_tests.log 2>&1
echo "attention tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/attention_tests.log \
  | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure|Expected|Which is|error|Value of" $L/attention_tests.log | head -20
save
bench() {  # name binary args...
  name=$1; bin=$2; shift 2
  timeout 30 $bin "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
for i in a b; do
  bench qf6_base_$i /tmp/sg-bench-base --layers 6 $Q
  bench qf6_both_$i $SB --layers 6 $Q
done
bench qf2_base /tmp/sg-bench-base --layers 2 $Q
bench qf2_both $SB --layers 2 $Q
timeout 30 $SB --check-cpu 100 --dropout 0 --layers 2 --seeds 2 --precision tf32 \
  > $L/check_tf32.log 2>&1
echo "check tf32 rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_tf32.log | tail -1)"
timeout 60 "$K" --gtest_filter='-*LineAttention*' > $L/kernel_rest.log 2>&1
echo "kernel suite's rest rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_rest.log \
  | tr '\n' ' ')"
save
echo "total $(el) s"
