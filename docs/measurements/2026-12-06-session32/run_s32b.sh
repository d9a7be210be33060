#!/usr/bin/env bash
# Session 32, call B: the ReLU + dropout's mask in W2's input-gradient product's epilogue
# (cuBLASLt's DRELU; PackTrainerOptions::relu_mask_epilogue, relu_mask_relay.h). One build;
# the new tests first (CudaReluMaskEpilogueTest: the product against the mask kernel, the pair
# of functions, the graph step, the resume), the mask-bits test, every CUDA suite, --check-cpu,
# then QF rows alternating the default (epilogue) with --relu-mask-kernel in one binary, Dyck,
# and a profile. On an H200 also the table's rows and the ensemble.
# `run` with carry [".gpu"]; any Hopper card; about 200 s on an H100.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
L=/tmp/s32b_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test sg-bench" bash .gpu/build_targets.sh \
  -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $L/build.log 2>&1 ||
  { grep -E "error" -A3 $L/build.log | head -40; save; exit 1; }
echo "built at $(el) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
SB=$B/bench/sg-bench
timeout 120 $K --gtest_filter='*ReluMaskEpilogue*:*ReluDropoutMaskBits*' > $L/new_tests.log 2>&1
echo "new tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/new_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure|Expected|Which is|error|Value of|bit-equal|max \|diff" $L/new_tests.log | head -30
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
bench() {  # name args...
  name=$1; shift
  timeout 40 $SB "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
for i in a b; do
  bench qf6_kernel_$i --layers 6 --relu-mask-kernel $Q
  bench qf6_epi_$i --layers 6 $Q
  bench qf2_kernel_$i --layers 2 --relu-mask-kernel $Q
  bench qf2_epi_$i --layers 2 $Q
done
bench qf10_kernel --layers 10 --relu-mask-kernel $Q
bench qf10_epi --layers 10 $Q
grep -m1 "relu + dropout" $L/qf6_epi_a.log | grep -o "relu + dropout [^,]*,[^,]*" 
timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $L/prof6.log 2>&1
echo "profile rc=$?"; grep -E "^profile|sm90|sm80|Mask|ReluDropout|BackwardFrom|^streams|stream [0-9]|^update" \
  $L/prof6.log | cut -c1-150
save
case "$card" in *H200*)
  bench qf6_s16 --layers 6 --seeds 16 --steps 300 --warmup 100
  bench qf2_s16 --layers 2 --seeds 16 --steps 300 --warmup 100
  bench qf10_s16 --layers 10 --seeds 16 --steps 300 --warmup 100
  bench dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 \
    --ragged-granules 8,4
  cp .gpu/anchors.py /tmp/anchors.py
  timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
    > $L/anchor.log 2>&1
  echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
  bench qf6_c --layers 6 $Q
  bench qf2_c --layers 2 $Q
  bench qf10_c --layers 10 $Q
  save ;;
esac
echo "total $(el) s"
