#!/usr/bin/env bash
# Session 33, call C: gemm-pins.patch as call B left it (the chain's products by the cuBLASLt
# configurations sg-gemm-bench --search found, trainer/model/cuda_seed_gemm_pins.h; now keyed
# by the seeds too, 10 seeds from call A's search, 16 from call B's). Builds the
# tree's sg-bench, then the patch's tests, sg-bench and sg-gemm-bench; runs the pins' test,
# the seed-GEMM and resume tests, every CUDA kernel suite, packed-step CUDA, --check-cpu; QF
# rows alternating (2 / 6 / 10 layers with 10 and 16 seeds), a profile. On an H200 also issue
# 22's table with the pins (Dyck, the ensemble). `run` with carry [".gpu"]; any Hopper card;
# about 300 s (H100), 450 s (H200).
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
D=docs/measurements/2026-12-06-session33
L=/tmp/s33c_logs; rm -rf $L; mkdir -p $L
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
patch -p1 < $D/gemm-pins.patch > /dev/null || { echo "patch failed"; exit 1; }
build build_pins trainer_cuda_kernels_test trainer_packed_step_test sg-bench sg-gemm-bench
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
SB=$B/bench/sg-bench
GB=$B/bench/sg-gemm-bench
BASE=/tmp/sg-bench-base
timeout 120 $K --gtest_filter='*SeedGemm*:*ResumeIsBitExact*' > $L/new_tests.log 2>&1
echo "pins + seed gemm + resume tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/new_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|^\[  SKIPPED|Failure|Expected|Which is|error|Value of|pin" $L/new_tests.log | head -30
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
  bench qf6_pins_$i $SB --layers 6 $Q
  bench qf2_base_$i $BASE --layers 2 $Q
  bench qf2_pins_$i $SB --layers 2 $Q
done
bench qf10_base $BASE --layers 10 $Q
bench qf10_pins $SB --layers 10 $Q
Q16="--seeds 16 --steps 300 --warmup 100"
for i in a b; do
  bench qf6_s16_base_$i $BASE --layers 6 $Q16
  bench qf6_s16_pins_$i $SB --layers 6 $Q16
done
bench qf2_s16_base $BASE --layers 2 $Q16
bench qf2_s16_pins $SB --layers 2 $Q16
bench qf10_s16_base $BASE --layers 10 $Q16
bench qf10_s16_pins $SB --layers 10 $Q16
timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $L/prof6.log 2>&1
echo "profile rc=$?"; grep -E "^profile|sm90_xmma|^streams|stream [0-9]|^update" \
  $L/prof6.log | cut -c1-150
save
case "$card" in *H200*)
  DY="--task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 --ragged-granules 8,4"
  bench dyck6_pins $SB $DY
  cp .gpu/anchors.py /tmp/anchors.py
  timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
    > $L/anchor.log 2>&1
  echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
  bench qf6_pins_c $SB --layers 6 $Q
  bench qf6_base_c $BASE --layers 6 $Q
  save ;;
esac
echo "total $(el) s"
