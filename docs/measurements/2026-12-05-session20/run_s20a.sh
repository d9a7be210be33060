#!/usr/bin/env bash
# Session 20's GPU call: session 19's untested-run_s20a.sh cut to what must be known first,
# most important first, since failed machine starts had taken most of the session's device
# time (what runs past the call's limit is lost, and the logs written so far come back).
# `run` with `carry: [".gpu"]`, timeout_s 600. Builds sg-bench and the CUDA kernel tests; runs
# the update's tests; QF 6 layers after / beside twice in alternation, then the high-priority
# capture; Dyck after / beside; the CPU checks with it on; QF 2 / 10 layers both ways; the
# PyTorch ensemble; 16 seeds if time is left. (Session 19's untested-run_s20b_grid.sh, the
# grid, needs its stack built: add sg-train sg-worker sg-coordinator sgctl to SG_TARGETS.)
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
  > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
summary() { grep -E "^\[  (PASSED|FAILED)|FAILED|Failure|Expected|Which is" $1 | head -24; }
timeout 120 $K --gtest_filter='DeferredUpdate*:CudaPackOptimizerTest.*' > $OUT/tests_update.log 2>&1
echo "update tests rc=$? at $(el)"; summary $OUT/tests_update.log
SB=$B/bench/sg-bench
bench() {
  name=$1; shift; s=$(date +%s)
  timeout 60 $SB "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? ($(( $(date +%s) - s )) s) :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"
}
U="--update-beside-forward"
H="--high-priority-chain"
Q6="--layers 6 --seeds 10 --steps 300 --warmup 100"
bench qf6_after $Q6
bench qf6_beside $Q6 $U
bench qf6_after_2 $Q6
bench qf6_beside_2 $Q6 $U
bench qf6_high $Q6 $H
D6="--task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 --ragged-granules 8,4"
bench dyck6_after $D6
bench dyck6_beside $D6 $U
check() {
  name=$1; shift
  timeout 60 $SB --check-cpu 100 --dropout 0 "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? :: $(grep 'check: loss' $OUT/$name.log)"
}
check check_qf_tf32 --layers 2 --seeds 2 --precision tf32 $U
check check_qf_fp32 --layers 2 --seeds 2 --precision fp32 $U
echo "at $(el)"
bench qf2_after --layers 2 --seeds 10 --steps 300 --warmup 100
bench qf2_beside --layers 2 --seeds 10 --steps 300 --warmup 100 $U
bench qf10_after --layers 10 --seeds 10 --steps 300 --warmup 100
bench qf10_beside --layers 10 --seeds 10 --steps 300 --warmup 100 $U
cp .gpu/anchors.py /tmp/anchors.py
timeout 100 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
  > $OUT/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $OUT/anchor.log | cut -c1-80)"
if [ $(( $(date +%s) - t0 )) -lt 500 ]; then
  bench qf6_s16_after --layers 6 --seeds 16 --steps 300 --warmup 100
  bench qf6_s16_beside --layers 6 --seeds 16 --steps 300 --warmup 100 $U
fi
echo "total $(el)"
cd $OUT && rm -f build.log && tar czf logs.tgz *.log && rm -f *.log
