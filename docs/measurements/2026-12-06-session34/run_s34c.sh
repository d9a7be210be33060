#!/usr/bin/env bash
# Session 34, call C: the update beside the next forward on by default. Every CUDA kernel test,
# packed-step and ragged-step CUDA, --check-cpu TF32 and fp32 with the new default; issue 22's
# rows with it (QF 2 / 6 / 10 layers, 10 and 16 seeds; Dyck, where it does not apply), QF
# 6 layers alternating with --update-after-step, the PyTorch ensemble in the same run.
# `run` with carry [".gpu"]; any Hopper card; about 300 s.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
L=/tmp/s34c_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
rm -f /tmp/sgdeps/.unpacked
touch trainer/model/cuda_seed_gemm_pins.cc trainer/model/cuda_wgmma_weight_grad_kernel.cu \
  trainer/model/cuda_graph_step.cc trainer/model/pack_trainer.cc
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test sg-bench" bash \
  .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $L/build.log 2>&1 \
  || { grep -E "error" -A3 $L/build.log | head -40; save; exit 1; }
echo "build at $(el) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
SB=$B/bench/sg-bench
timeout 200 $K > $L/kernel_tests.log 2>&1
echo "kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure" -A3 $L/kernel_tests.log | head -20
timeout 100 $PT --gtest_filter='*OnCuda*' > $L/packed_cuda.log 2>&1
echo "packed + ragged CUDA rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_cuda.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/packed_cuda.log | head -8
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
Q16="--seeds 16 --steps 300 --warmup 100"
bench qf6_after --layers 6 $Q --update-after-step
bench qf6 --layers 6 $Q
bench qf6_after_b --layers 6 $Q --update-after-step
bench qf6_b --layers 6 $Q
bench qf2 --layers 2 $Q
bench qf10 --layers 10 $Q
bench qf6_s16 --layers 6 $Q16
bench qf2_s16 --layers 2 $Q16
bench qf10_s16 --layers 10 $Q16
bench dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 \
  --ragged-granules 8,4
cp .gpu/anchors.py /tmp/anchors.py
timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
  > $L/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
save
echo "total $(el) s"
