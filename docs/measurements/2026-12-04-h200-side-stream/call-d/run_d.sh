#!/usr/bin/env bash
# Session 12, call D: ReLU + dropout in one kernel; everything at its defaults beside the anchor.
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test trainer_packed_step_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { tail -30 $OUT/build.log; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
T=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
$T > $OUT/kernels.log 2>&1; echo "kernel tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED|Failure" $OUT/kernels.log | head -20
$P > $OUT/packed.log 2>&1; echo "packed step tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED" $OUT/packed.log | head -10
SB=$B/bench/sg-bench
mkdir -p $OUT/logs
run() { name=$1; shift; timeout 150 $SB "$@" > $OUT/logs/$name.log 2>&1; echo "$name rc=$? :: $(grep -A1 'model-steps/s' $OUT/logs/$name.log | tail -1) $(grep -E 'PASS|FAIL|sg-bench: [a-z]' $OUT/logs/$name.log | grep -v 'data,' | tail -1)"; }
run qf6_libtorch_relu --layers 6 --seeds 10 --steps 300 --warmup 100 --libtorch-relu-dropout
run qf6 --layers 6 --seeds 10 --steps 300 --warmup 100
run qf2 --layers 2 --seeds 10 --steps 300 --warmup 100
run qf10 --layers 10 --seeds 10 --steps 300 --warmup 100
run qf2_16 --layers 2 --seeds 16 --steps 300 --warmup 100
run qf6_16 --layers 6 --seeds 16 --steps 300 --warmup 100
run qf10_16 --layers 10 --seeds 16 --steps 300 --warmup 100
run dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200
run check_tf32 --layers 2 --seeds 2 --check-cpu 200 --precision tf32
cp .gpu/anchors.py /tmp/anchors.py
timeout 120 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 > $OUT/logs/anchor.log 2>&1; echo "anchor rc=$? :: $(tail -1 $OUT/logs/anchor.log)"
run qf6_again --layers 6 --seeds 10 --steps 300 --warmup 100
run qf6_profile --layers 6 --seeds 10 --steps 100 --warmup 100 --profile
grep -A16 "^profile" $OUT/logs/qf6_profile.log | cut -c1-140
(cd $OUT && tar czf logs.tgz logs && rm -rf logs)
echo "total $(( $(date +%s) - t0 )) s"
