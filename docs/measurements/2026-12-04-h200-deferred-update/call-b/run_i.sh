#!/usr/bin/env bash
# Session 13, call B: the autograd fix (buffers as a plain argument); deferred vs serial A/B.
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
for r in 1 2; do
run qf6_serial_$r --layers 6 --seeds 10 --steps 300 --warmup 100 --serial-optimizer
run qf6_overlap_$r --layers 6 --seeds 10 --steps 300 --warmup 100
done
run qf2_serial --layers 2 --seeds 10 --steps 300 --warmup 100 --serial-optimizer
run qf2_overlap --layers 2 --seeds 10 --steps 300 --warmup 100
run qf10_serial --layers 10 --seeds 10 --steps 300 --warmup 100 --serial-optimizer
run qf10_overlap --layers 10 --seeds 10 --steps 300 --warmup 100
echo "total $(( $(date +%s) - t0 )) s"
cd $OUT && tar czf logs.tgz *.log && rm -f build.log
