#!/usr/bin/env bash
# Session 35, call A: session 34's review commit built on a GPU (the deferred groups found from
# each gradient's place once): the update-beside-forward tests, every CUDA kernel test,
# packed-step and ragged-step CUDA, --check-cpu TF32 and fp32; then issue 22's table (QF 2 / 6
# / 10 layers, 10 and 16 seeds, Dyck, the PyTorch ensemble in the same run) and a profile; on
# an H200 also sg-gemm-bench --search for 10 and 16 seeds (whether the H100's pins are the
# H200's fastest) and the 16-seed rows. `run` with carry [".gpu"]; any Hopper card; about 280 s
# (400 on an H200).
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
L=/tmp/s35a_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
rm -f /tmp/sgdeps/.unpacked
touch trainer/model/cuda_seed_gemm_pins.cc trainer/model/cuda_graph_step.cc \
  trainer/model/pack_trainer.cc bench/sg_bench_main.cc 2>/dev/null
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test sg-bench sg-gemm-bench" bash \
  .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $L/build.log 2>&1 \
  || { grep -E "error" -A3 $L/build.log | head -40; save; exit 1; }
echo "build at $(el) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
SB=$B/bench/sg-bench
timeout 60 $K --gtest_filter='*UpdateBesideForward*' > $L/beside_tests.log 2>&1
echo "beside-forward tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/beside_tests.log | tr '\n' ' ')"
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
bench qf6 --layers 6 $Q
bench qf2 --layers 2 $Q
bench qf10 --layers 10 $Q
case "$card" in *H200*)  # the 16-seed rows and Dyck only on an H200 (the H100's: session 34)
  bench qf6_s16 --layers 6 $Q16
  bench qf2_s16 --layers 2 $Q16
  bench qf10_s16 --layers 10 $Q16 ;;
esac
bench dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 \
  --ragged-granules 8,4
cp .gpu/anchors.py /tmp/anchors.py
timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
  > $L/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
bench qf6_b --layers 6 $Q
timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $L/qf6_profile.log 2>&1
echo "profile rc=$?"; grep -E "^profile|^streams|^update" $L/qf6_profile.log | cut -c1-150
save
case "$card" in *H200*)
  for s in 10 16; do
    timeout 60 $B/bench/sg-gemm-bench --seeds $s --search > $L/search$s.log 2>&1
    echo "search $s rc=$?"; grep -A1 "heuristic first" $L/search$s.log | grep -v "^--" | cut -c1-150
  done
  save ;;
esac
echo "total $(el) s"
