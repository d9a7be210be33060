#!/usr/bin/env bash
# Session 12, call A: own attention on every row (QF) and one row per seed, measured.
set -uo pipefail
t0=$(date +%s)
SG_TARGETS="sg-bench trainer_cuda_kernels_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { tail -30 $OUT/build.log; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
T=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
$T > $OUT/kernels.log 2>&1; echo "kernel tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED|bit-equal" $OUT/kernels.log | head -20
SB=$B/bench/sg-bench
run() { name=$1; shift; timeout 120 $SB "$@" > $OUT/$name.log 2>&1; echo "$name rc=$? :: $(grep -E 'model-steps/s|PASS|FAIL' $OUT/$name.log | tail -2 | tr '\n' ' ')"; }
run qf6_default --layers 6 --seeds 10 --steps 300 --warmup 100
run qf6_own1 --layers 6 --seeds 10 --steps 300 --warmup 100 --own-line-attention-from 1
run qf6_own1_onerow --layers 6 --seeds 10 --steps 300 --warmup 100 --own-line-attention-from 1 --one-row-per-seed
run qf6_side --layers 6 --seeds 10 --steps 300 --warmup 100 --side-stream-weight-grads
run qf6_own1_side --layers 6 --seeds 10 --steps 300 --warmup 100 --own-line-attention-from 1 --side-stream-weight-grads
run qf2_default --layers 2 --seeds 10 --steps 300 --warmup 100
run qf2_own1 --layers 2 --seeds 10 --steps 300 --warmup 100 --own-line-attention-from 1
run qf10_default --layers 10 --seeds 10 --steps 300 --warmup 100
run qf10_own1 --layers 10 --seeds 10 --steps 300 --warmup 100 --own-line-attention-from 1
run qf2_own1_side --layers 2 --seeds 10 --steps 300 --warmup 100 --own-line-attention-from 1 --side-stream-weight-grads
run qf10_own1_side --layers 10 --seeds 10 --steps 300 --warmup 100 --own-line-attention-from 1 --side-stream-weight-grads
run check_tf32_side --layers 2 --seeds 2 --check-cpu 200 --precision tf32 --own-line-attention-from 1 --side-stream-weight-grads
run check_tf32_own1 --layers 2 --seeds 2 --check-cpu 200 --precision tf32 --own-line-attention-from 1
run check_fp32_own1 --layers 2 --seeds 2 --check-cpu 200 --precision fp32 --own-line-attention-from 1
run dyck6_default --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200
run dyck6_onerow --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --one-row-per-seed
run dyck6_own1 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --own-line-attention-from 1
run dyck6_own1_onerow --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --own-line-attention-from 1 --one-row-per-seed
run dyck6_side --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --side-stream-weight-grads
run qf6_own1_profile --layers 6 --seeds 10 --steps 100 --warmup 100 --own-line-attention-from 1 --profile
grep -A24 "^profile" $OUT/qf6_own1_profile.log | head -26
echo "total $(( $(date +%s) - t0 )) s"
