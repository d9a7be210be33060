#!/usr/bin/env bash
# Prepared in session 30 for the next GPU call (not run: no device time was left). Applies
# one-copy-inputs.patch (a graph step's batch, step number and learning rate as views into one
# device buffer, one host-to-device copy a step instead of six copies and two fills between
# replays; PackTrainerOptions::one_copy_inputs, on by default in the patch, sg-bench
# --separate-input-copies for the old path), builds, runs the relay helpers' first GPU tests
# (the refactor after call F) and the patch's, every CUDA suite, --check-cpu, then QF rows
# alternating between the two paths in one build, and profiles with the idle-gap split.
# `run` with carry [".gpu"]; any Hopper card (on an H200 the table rows too); about 250 s.
# If the suites pass and the step is faster, commit the patch (git apply) and the numbers.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
D=docs/measurements/2026-12-06-session30
L=/tmp/s31a_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
patch -p1 < $D/one-copy-inputs.patch > /dev/null || { echo "patch failed"; exit 1; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test sg-bench" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $L/build.log 2>&1 \
  || { grep -E "error" -A3 $L/build.log | head -40; save; exit 1; }
echo "built at $(el) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
timeout 90 $K --gtest_filter='CudaResidualGradRelay*:*OneCopyInputs*' > $L/new_tests.log 2>&1
echo "relay + one-copy tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/new_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure|Expected|Which is|error" $L/new_tests.log | head -24
save
timeout 150 $K > $L/kernel_tests.log 2>&1
echo "kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/kernel_tests.log | head -8
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 60 $PT --gtest_filter='*OnCuda*' > $L/packed_cuda.log 2>&1
echo "packed-step CUDA tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_cuda.log | tr '\n' ' ')"
save
SB=$B/bench/sg-bench
for p in tf32 fp32; do
  timeout 40 $SB --check-cpu 100 --dropout 0 --layers 2 --seeds 2 \
    --precision $p > $L/check_$p.log 2>&1
  echo "check $p rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_$p.log | tail -1)"
done
bench() {  # name args...
  name=$1; shift
  timeout 40 $SB "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
for i in a b; do
  bench qf6_separate_$i --layers 6 --separate-input-copies $Q
  bench qf6_one_$i --layers 6 $Q
  bench qf2_separate_$i --layers 2 --separate-input-copies $Q
  bench qf2_one_$i --layers 2 $Q
done
bench qf10_separate --layers 10 --separate-input-copies $Q
bench qf10_one --layers 10 $Q
case "$card" in *H200*)
  bench qf6_s16 --layers 6 --seeds 16 --steps 300 --warmup 100
  bench qf2_s16 --layers 2 --seeds 16 --steps 300 --warmup 100
  cp .gpu/anchors.py /tmp/anchors.py
  timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
    > $L/anchor.log 2>&1
  echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)" ;;
esac
for l in 2 6; do
  timeout 40 $SB --layers $l --seeds 10 --steps 100 --warmup 100 --profile > $L/prof$l.log 2>&1
  echo "profile $l rc=$?"; grep -E "^profile|^streams|idle gaps|^update|Memcpy|Fill" \
    $L/prof$l.log | cut -c1-150
done
save
echo "total $(el) s"
