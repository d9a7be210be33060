#!/usr/bin/env bash
# Session 12, call B: QF with own attention on every row; weight gradients on a side stream.
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { tail -30 $OUT/build.log; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
T=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
$T --gtest_filter='CudaSideStream*' > $OUT/kernels.log 2>&1; echo "side-stream tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED|bit-equal|weights max|Failure|Expected|Which|error" $OUT/kernels.log | head -30
SB=$B/bench/sg-bench
mkdir -p $OUT/logs
run() { name=$1; shift; timeout 150 $SB "$@" > $OUT/logs/$name.log 2>&1; echo "$name rc=$? :: $(grep -A1 'model-steps/s' $OUT/logs/$name.log | tail -1) $(grep -E 'PASS|FAIL|sg-bench: [a-z]' $OUT/logs/$name.log | grep -v 'data,' | tail -1)"; }
for l in 6 2 10; do
  run qf${l}_default --layers $l --seeds 10 --steps 300 --warmup 100
  run qf${l}_own1 --layers $l --seeds 10 --steps 300 --warmup 100 --own-line-attention-from 1
  run qf${l}_side --layers $l --seeds 10 --steps 300 --warmup 100 --side-stream-weight-grads
  run qf${l}_own1_side --layers $l --seeds 10 --steps 300 --warmup 100 --own-line-attention-from 1 --side-stream-weight-grads
done
run qf6_own1_onerow --layers 6 --seeds 10 --steps 300 --warmup 100 --own-line-attention-from 1 --one-row-per-seed
run check_tf32_side --layers 2 --seeds 2 --check-cpu 200 --precision tf32 --own-line-attention-from 1 --side-stream-weight-grads
run check_fp32_side --layers 2 --seeds 2 --check-cpu 200 --precision fp32 --side-stream-weight-grads
run dyck6_side --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --side-stream-weight-grads
run dyck6_onerow_side --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --side-stream-weight-grads --one-row-per-seed
run qf6_side_profile --layers 6 --seeds 10 --steps 100 --warmup 100 --own-line-attention-from 1 --side-stream-weight-grads --profile
grep -A12 "^profile" $OUT/logs/qf6_side_profile.log | cut -c1-150
(cd $OUT && tar czf logs.tgz logs && rm -rf logs)
echo "total $(( $(date +%s) - t0 )) s"
