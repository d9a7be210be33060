#!/usr/bin/env bash
# Session 30, call E: call D with the key tiles' kernel summing delta itself (no delta kernel): dK/dV beside dQ on a second
# stream (PackTrainerOptions::concurrent_attention_grads, on by default in this tree): tests, the
# CUDA suites, --check-cpu, then QF 2 / 6 / 10 layers alternating against --serial-attention-grads
# on one machine, and profiles. `run` with carry [".gpu"]; any Hopper card.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
L=/tmp/s30e_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test sg-bench" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $L/build.log 2>&1 \
  || { grep -E "error" -A3 $L/build.log | head -40; save; exit 1; }
echo "built at $(el) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
timeout 90 $K --gtest_filter='CudaResidualGradRelay*:CudaOwnLineAttention*' > $L/relay_tests.log 2>&1
echo "relay + attention tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/relay_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure|Expected|Which is|error" $L/relay_tests.log | head -24
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
  bench qf6_serial_$i --layers 6 --serial-attention-grads $Q
  bench qf6_concurrent_$i --layers 6 $Q
  bench qf2_serial_$i --layers 2 --serial-attention-grads $Q
  bench qf2_concurrent_$i --layers 2 $Q
done
bench qf10_serial --layers 10 --serial-attention-grads $Q
bench qf10_concurrent --layers 10 $Q
bench qf6_autograd_serial --layers 6 --autograd-residual-grads --serial-attention-grads $Q
case "$card" in *H200*)
  bench qf6_s16 --layers 6 --seeds 16 --steps 300 --warmup 100
  bench qf2_s16 --layers 2 --seeds 16 --steps 300 --warmup 100
  bench qf10_s16 --layers 10 --seeds 16 --steps 300 --warmup 100
  bench dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 \
    --ragged-granules 8,4
  cp .gpu/anchors.py /tmp/anchors.py
  timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
    > $L/anchor.log 2>&1
  echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)" ;;
esac
for l in 2 6; do
  timeout 40 $SB --layers $l --seeds 10 --steps 100 --warmup 100 --profile > $L/prof$l.log 2>&1
  echo "profile $l rc=$?"; grep -E "^profile|^streams|idle gaps|^update|CUDAFunctor_add|GradKernel<|LineDelta|stream [0-9]" $L/prof$l.log | cut -c1-150
done
save
echo "total $(el) s"
