#!/usr/bin/env bash
# Session 30, call A: the review commit's CUDA tests (TailedLines shared, WeightGradSums reading
# its seeds off its buffer), --check-cpu, issue 22's table as the tree stands (16-seed rows on
# an H200 only), the PyTorch ensemble, and profiles at 2 / 6 / 10 layers with sg-bench's new
# idle-gap split (where the step's "no kernel running" time lies). `run` with carry [".gpu"].
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
L=/tmp/s30a_logs; rm -rf $L; mkdir -p $L
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
timeout 120 $K > $L/kernel_tests.log 2>&1
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
bench qf6 --layers 6 $Q
bench qf2 --layers 2 $Q
bench qf10 --layers 10 $Q
bench qf6_b --layers 6 $Q
case "$card" in *H200*)
  bench qf2_s16 --layers 2 --seeds 16 --steps 300 --warmup 100
  bench qf6_s16 --layers 6 --seeds 16 --steps 300 --warmup 100
  bench qf10_s16 --layers 10 --seeds 16 --steps 300 --warmup 100 ;;
esac
bench dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 \
  --ragged-granules 8,4
cp .gpu/anchors.py /tmp/anchors.py
timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
  > $L/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
for l in 2 6 10; do
  timeout 40 $SB --layers $l --seeds 10 --steps 100 --warmup 100 --profile > $L/prof$l.log 2>&1
  echo "profile $l rc=$?"; grep -E "^profile|^streams|idle gaps|^update" $L/prof$l.log
done
save
echo "total $(el) s"
