#!/usr/bin/env bash
# Session 31, call A: session 30's two prepared patches in one call.
#  1. the tree's sg-bench (base);
#  2. one-copy-inputs.patch: its tests with the relay helpers' first GPU run, every CUDA suite,
#     --check-cpu; QF rows against --separate-input-copies in the same binary;
#  3. relay-kernels.patch on top: the suites again, rows against stage 2's binary.
# `run` with carry [".gpu"]; any Hopper card; about 500 s. Stage 3 is skipped past 330 s.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
P=docs/measurements/2026-12-06-session30
L=/tmp/s31a_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
rm -f /tmp/sgdeps/.unpacked
build() {  # log targets...
  log=$1; shift
  SG_TARGETS="$*" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
    > $L/$log.log 2>&1 || { grep -E "error" -A3 $L/$log.log | head -40; save; exit 1; }
  echo "$log at $(el) s"
}
T="trainer_cuda_kernels_test trainer_packed_step_test sg-bench"
build build_base sg-bench
cp /tmp/sgbuild/bench/sg-bench /tmp/sg-bench-base
patch -p1 < $P/one-copy-inputs.patch > /dev/null || { echo "patch 1 failed"; exit 1; }
build build_onecopy $T
cp /tmp/sgbuild/bench/sg-bench /tmp/sg-bench-onecopy
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
suites() {  # tag
  timeout 150 $K > $L/kernel_tests_$1.log 2>&1
  echo "$1 kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests_$1.log | tr '\n' ' ')"
  grep -E "^\[  FAILED" $L/kernel_tests_$1.log | head -8
  timeout 60 $PT --gtest_filter='*OnCuda*' > $L/packed_cuda_$1.log 2>&1
  echo "$1 packed-step CUDA rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_cuda_$1.log | tr '\n' ' ')"
  for p in tf32 fp32; do
    timeout 40 $B/bench/sg-bench --check-cpu 100 --dropout 0 --layers 2 --seeds 2 \
      --precision $p > $L/check_${p}_$1.log 2>&1
    echo "$1 check $p rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_${p}_$1.log | tail -1)"
  done
  save
}
timeout 90 $K --gtest_filter='CudaResidualGradRelay*:*OneCopyInputs*' > $L/new_tests.log 2>&1
echo "relay + one-copy tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/new_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure|Expected|Which is|error" $L/new_tests.log | head -24
suites onecopy
bench() {  # name binary args...
  name=$1; bin=$2; shift 2
  timeout 40 $bin "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
O=/tmp/sg-bench-onecopy
for i in a b; do
  bench qf6_base_$i /tmp/sg-bench-base --layers 6 $Q
  bench qf6_separate_$i $O --layers 6 --separate-input-copies $Q
  bench qf6_one_$i $O --layers 6 $Q
  bench qf2_base_$i /tmp/sg-bench-base --layers 2 $Q
  bench qf2_one_$i $O --layers 2 $Q
done
bench qf10_base /tmp/sg-bench-base --layers 10 $Q
bench qf10_one $O --layers 10 $Q
timeout 40 $O --layers 2 --seeds 10 --steps 100 --warmup 100 --profile > $L/prof2_one.log 2>&1
grep -E "^streams|idle gaps|Memcpy|Fill" $L/prof2_one.log | cut -c1-150
[ "$(el)" -lt 330 ] || { echo "stage 3 skipped at $(el) s"; save; exit 0; }
patch -p1 < $P/relay-kernels.patch > /dev/null || { echo "patch 2 failed"; exit 1; }
build build_relaykernels $T
suites relaykernels
R=$B/bench/sg-bench
for i in a b; do
  bench qf6_one_r$i $O --layers 6 $Q
  bench qf6_relayk_$i $R --layers 6 $Q
done
bench qf2_one_r $O --layers 2 $Q
bench qf2_relayk $R --layers 2 $Q
bench qf10_relayk $R --layers 10 $Q
timeout 40 $R --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $L/prof6_relayk.log 2>&1
grep -E "BackwardAffine|BackwardRows|^streams|idle gaps|^update" $L/prof6_relayk.log | cut -c1-130
save
echo "total $(el) s"
