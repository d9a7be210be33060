#!/usr/bin/env bash
# Session 12, call G: the LayerNorms' affine gradients on the side stream too.
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { tail -30 $OUT/build.log; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
T=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
$T > $OUT/kernels.log 2>&1; echo "kernel tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED|Failure|bit-equal in" $OUT/kernels.log | head -20
SB=$B/bench/sg-bench
run() { name=$1; shift; timeout 120 $SB "$@" > $OUT/$name.log 2>&1; echo "$name rc=$? :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"; }
run qf6 --layers 6 --seeds 10 --steps 300 --warmup 100
run qf2 --layers 2 --seeds 10 --steps 300 --warmup 100
run qf10 --layers 10 --seeds 10 --steps 300 --warmup 100
run dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200
echo "total $(( $(date +%s) - t0 )) s"
