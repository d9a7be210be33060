#!/usr/bin/env bash
# Session 14, call C: line starts by a warp-wide search and a window of starts (both kernel
# forms); tests; QF's rows of 64 through our kernels against the masked path; Dyck; profiles.
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test trainer_packed_step_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { tail -40 $OUT/build.log; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
T=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 240 $T --gtest_filter='*LineAttention*' > $OUT/kernels.log 2>&1; echo "kernel tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED" $OUT/kernels.log | head -10
timeout 100 $P > $OUT/packed.log 2>&1; echo "packed tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED" $OUT/packed.log | head -5
SB=$B/bench/sg-bench
run() { name=$1; shift; timeout 120 $SB "$@" > $OUT/$name.log 2>&1; echo "$name rc=$? :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"; }
OWN="--own-line-attention-from 1 --no-one-row-per-seed"
run qf6 --layers 6 --seeds 10 --steps 300 --warmup 100
run qf6_own_rows $OWN --layers 6 --seeds 10 --steps 300 --warmup 100
run qf6_b --layers 6 --seeds 10 --steps 300 --warmup 100
run qf6_own_rows_b $OWN --layers 6 --seeds 10 --steps 300 --warmup 100
run dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200
run qf2 --layers 2 --seeds 10 --steps 300 --warmup 100
run qf2_own_rows $OWN --layers 2 --seeds 10 --steps 300 --warmup 100
run qf10 --layers 10 --seeds 10 --steps 300 --warmup 100
run qf10_own_rows $OWN --layers 10 --seeds 10 --steps 300 --warmup 100
run qf6_own_rows_profile $OWN --layers 6 --seeds 10 --steps 100 --warmup 100 --profile
grep -E "us/step" $OUT/qf6_own_rows_profile.log | grep -i "kernel<" | head
run dyck6_profile --task dyck --layers 6 --seeds 10 --steps 100 --warmup 200 --profile
grep -E "us/step" $OUT/dyck6_profile.log | grep -i "kernel<" | head
run check_fp32_own $OWN --layers 2 --seeds 2 --check-cpu 200 --dropout 0 --precision fp32
grep -H "relative difference" $OUT/check_*.log
echo "total $(( $(date +%s) - t0 )) s"
cd $OUT && tar czf logs.tgz *.log && rm -f build.log
