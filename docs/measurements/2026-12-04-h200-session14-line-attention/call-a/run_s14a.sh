#!/usr/bin/env bash
# Session 14, call A: our attention per line with float4 loads issued all at once; QF's rows
# of 64 through it (--own-line-attention-from 1) against the masked path, Dyck, tests.
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test trainer_packed_step_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { tail -40 $OUT/build.log; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
T=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 200 $T --gtest_filter='*OwnLineAttention*:*ShortRows*' > $OUT/kernels.log 2>&1; echo "kernel tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED|Failure" $OUT/kernels.log | head -20
timeout 100 $P > $OUT/packed.log 2>&1; echo "packed tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED" $OUT/packed.log | head -5
SB=$B/bench/sg-bench
run() { name=$1; shift; timeout 120 $SB "$@" > $OUT/$name.log 2>&1; echo "$name rc=$? :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"; }
run qf6 --layers 6 --seeds 10 --steps 300 --warmup 100
run qf6_own --layers 6 --seeds 10 --steps 300 --warmup 100 --own-line-attention-from 1
run qf6_own_rows --layers 6 --seeds 10 --steps 300 --warmup 100 --own-line-attention-from 1 --no-one-row-per-seed
run qf6_again --layers 6 --seeds 10 --steps 300 --warmup 100
run dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200
run qf2 --layers 2 --seeds 10 --steps 300 --warmup 100
run qf2_own --layers 2 --seeds 10 --steps 300 --warmup 100 --own-line-attention-from 1
run qf10 --layers 10 --seeds 10 --steps 300 --warmup 100
run qf10_own --layers 10 --seeds 10 --steps 300 --warmup 100 --own-line-attention-from 1
run qf6_own_profile --layers 6 --seeds 10 --steps 100 --warmup 100 --own-line-attention-from 1 --profile
run qf6_own_rows_profile --layers 6 --seeds 10 --steps 100 --warmup 100 --own-line-attention-from 1 --no-one-row-per-seed --profile
head -40 $OUT/qf6_own_profile.log | grep -i "us/step\|profile" | head -30
echo "total $(( $(date +%s) - t0 )) s"
cd $OUT && tar czf logs.tgz *.log && rm -f build.log
