#!/usr/bin/env bash
# Session 33, call E: the side stream's wgmma weight-gradient kernel at one block an SM rather
# than two, so the chain's kernels find registers and shared memory beside it:
# wgrad-one-block.patch (8 KB of unused shared memory more a block) and wgrad-four-stages.patch
# (a fourth raw stage, 145 KB). Three sg-bench builds (the tree, each patch), QF rows
# alternating, profiles of the three; the four-stage build's weight-gradient and resume tests.
# `run` with carry [".gpu"]; any Hopper card; about 330 s.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
D=docs/measurements/2026-12-06-session33
L=/tmp/s33e_logs; rm -rf $L; mkdir -p $L
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
cp /tmp/sgbuild/bench/sg-bench /tmp/sb-base
patch -p1 < $D/wgrad-one-block.patch > /dev/null || { echo "patch a failed"; exit 1; }
build build_one sg-bench
cp /tmp/sgbuild/bench/sg-bench /tmp/sb-one
patch -R -p1 < $D/wgrad-one-block.patch > /dev/null
patch -p1 < $D/wgrad-four-stages.patch > /dev/null || { echo "patch b failed"; exit 1; }
build build_four sg-bench trainer_cuda_kernels_test
cp /tmp/sgbuild/bench/sg-bench /tmp/sb-four
source /tmp/sgdeps/env.sh
K=$(find /tmp/sgbuild -name trainer_cuda_kernels_test -type f | head -1)
timeout 120 $K --gtest_filter='*WeightGradSums*:*ResumeIsBitExact*' > $L/four_tests.log 2>&1
echo "four-stage tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/four_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/four_tests.log | head
save
bench() {  # name binary args...
  name=$1; bin=$2; shift 2
  timeout 40 $bin "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1 | cut -c1-60)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
for i in a b; do
  for v in base one four; do bench qf6_${v}_$i /tmp/sb-$v --layers 6 $Q; done
done
for v in base one four; do bench qf2_$v /tmp/sb-$v --layers 2 $Q; done
for v in base one four; do bench qf10_$v /tmp/sb-$v --layers 10 $Q; done
for v in base one four; do
  timeout 40 /tmp/sb-$v --layers 6 --seeds 10 --steps 100 --warmup 100 --profile \
    > $L/prof6_$v.log 2>&1
  echo "== profile $v rc=$?"; grep -E "^profile|WgmmaWeightGrad|^streams|stream [0-9]" \
    $L/prof6_$v.log | cut -c1-120
done
save
echo "total $(el) s"
