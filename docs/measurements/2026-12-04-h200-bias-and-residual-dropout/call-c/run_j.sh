#!/usr/bin/env bash
# Session 13, call C: the bias gradients by our column-sum kernel.
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { tail -40 $OUT/build.log; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
T=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
timeout 200 $T > $OUT/kernels.log 2>&1; echo "kernel tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED|bit-equal in|Failure|Expected|Which is" $OUT/kernels.log | head -30
SB=$B/bench/sg-bench
run() { name=$1; shift; timeout 120 $SB "$@" > $OUT/$name.log 2>&1; echo "$name rc=$? :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"; }
run qf6 --layers 6 --seeds 10 --steps 300 --warmup 100
run qf2 --layers 2 --seeds 10 --steps 300 --warmup 100
run qf10 --layers 10 --seeds 10 --steps 300 --warmup 100
run dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200
run qf6_again --layers 6 --seeds 10 --steps 300 --warmup 100
run check_tf32 --layers 2 --seeds 2 --check-cpu 200 --dropout 0
grep -E "relative difference" $OUT/check_tf32.log | head -2
run qf6_profile --layers 6 --seeds 10 --steps 200 --warmup 100 --profile
grep -A26 "^profile" $OUT/qf6_profile.log | cut -c1-150
echo "total $(( $(date +%s) - t0 )) s"
cd $OUT && tar czf logs.tgz *.log && rm -f build.log
