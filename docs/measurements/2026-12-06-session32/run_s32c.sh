#!/usr/bin/env bash
# Session 32, call C: two small changes, each against the tree in one call (three sg-bench
# binaries, rows alternating):
# - linear-mask-bits.patch: the ReLU + dropout mask's bits in element order (bit i % 32 of word
#   i / 32), gathered by shuffles, instead of one ballot a word in the lanes' order;
# - affine-row-groups.patch: the LayerNorm affine gradients' blocks of 32 row groups (1,024
#   threads) added pairwise, instead of 8 groups added in order.
# Each patch's tests (the mask test and the ReLU + dropout tests and the resumes; for the
# affine, every CUDA suite and --check-cpu). On an H200 the table's rows too.
# `run` with carry [".gpu"]; any Hopper card; about 300 s on an H100.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
D=docs/measurements/2026-12-06-session32
L=/tmp/s32c_logs; rm -rf $L; mkdir -p $L
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
patch -p1 < $D/linear-mask-bits.patch > /dev/null || { echo "mask patch failed"; exit 1; }
build build_mask trainer_cuda_kernels_test sg-bench
cp $B/bench/sg-bench /tmp/sg-bench-mask
source /tmp/sgdeps/env.sh
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
timeout 120 $K --gtest_filter='*ReluDropout*:*ResumeIsBitExact*' > $L/mask_tests.log 2>&1
echo "mask tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/mask_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure" $L/mask_tests.log | head -10
patch -R -p1 < $D/linear-mask-bits.patch > /dev/null || { echo "mask unpatch failed"; exit 1; }
patch -p1 < $D/affine-row-groups.patch > /dev/null || { echo "affine patch failed"; exit 1; }
build build_affine trainer_cuda_kernels_test trainer_packed_step_test sg-bench
cp $B/bench/sg-bench /tmp/sg-bench-affine
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 240 $K > $L/kernel_tests.log 2>&1
echo "affine: kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/kernel_tests.log | head -8
timeout 60 $PT --gtest_filter='*OnCuda*' > $L/packed_cuda.log 2>&1
echo "affine: packed-step CUDA rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_cuda.log | tr '\n' ' ')"
for p in tf32 fp32; do
  timeout 40 /tmp/sg-bench-affine --check-cpu 100 --dropout 0 --layers 2 --seeds 2 \
    --precision $p > $L/check_$p.log 2>&1
  echo "affine: check $p rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_$p.log | tail -1)"
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
  for v in base mask affine; do bench qf6_${v}_$i /tmp/sg-bench-$v --layers 6 $Q; done
  for v in base mask affine; do bench qf2_${v}_$i /tmp/sg-bench-$v --layers 2 $Q; done
done
for v in base mask affine; do bench qf10_$v /tmp/sg-bench-$v --layers 10 $Q; done
DY="--task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 --ragged-granules 8,4"
for v in base affine; do bench dyck6_$v /tmp/sg-bench-$v $DY; done
timeout 40 /tmp/sg-bench-affine --layers 6 --seeds 10 --steps 100 --warmup 100 --profile \
  > $L/prof6_affine.log 2>&1
echo "profile rc=$?"; grep -E "^profile|BackwardAffine|^streams|stream [0-9]" $L/prof6_affine.log | cut -c1-140
save
case "$card" in *H200*)
  SB=/tmp/sg-bench-base
  bench qf6_s16 $SB --layers 6 --seeds 16 --steps 300 --warmup 100
  bench qf2_s16 $SB --layers 2 --seeds 16 --steps 300 --warmup 100
  bench qf10_s16 $SB --layers 10 --seeds 16 --steps 300 --warmup 100
  cp .gpu/anchors.py /tmp/anchors.py
  timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
    > $L/anchor.log 2>&1
  echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
  bench qf6_base_c $SB --layers 6 $Q
  save ;;
esac
echo "total $(el) s"
