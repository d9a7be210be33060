#!/usr/bin/env bash
# Session 13, call E: the residual branches' dropout inside our LayerNorm kernels; the bias
# gradients by our column sums (unrolled); the anchor beside.
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test trainer_packed_step_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { tail -40 $OUT/build.log; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
T=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 200 $T > $OUT/kernels.log 2>&1; echo "kernel tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED|bit-equal in|Failure|Expected|Which is" $OUT/kernels.log | head -30
SB=$B/bench/sg-bench
run() { name=$1; shift; timeout 120 $SB "$@" > $OUT/$name.log 2>&1; echo "$name rc=$? :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"; }
for r in 1 2; do
run qf6_libtorch_residual_dropout_$r --layers 6 --seeds 10 --steps 300 --warmup 100 --libtorch-residual-dropout
run qf6_$r --layers 6 --seeds 10 --steps 300 --warmup 100
done
run qf2 --layers 2 --seeds 10 --steps 300 --warmup 100
run qf10 --layers 10 --seeds 10 --steps 300 --warmup 100
run dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200
run dyck6_libtorch_residual_dropout --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --libtorch-residual-dropout
cp .gpu/anchors.py /tmp/anchors.py
timeout 120 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 > $OUT/anchor.log 2>&1; echo "anchor rc=$? :: $(tail -2 $OUT/anchor.log | tr '\n' ' ')"
run qf6_after_anchor --layers 6 --seeds 10 --steps 300 --warmup 100
timeout 100 $P > $OUT/packed.log 2>&1; echo "packed tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED" $OUT/packed.log | head
run check_tf32 --layers 2 --seeds 2 --check-cpu 200 --dropout 0
run check_fp32 --layers 2 --seeds 2 --check-cpu 200 --dropout 0 --precision fp32
grep -h "relative difference" $OUT/check_*.log
run qf6_profile --layers 6 --seeds 10 --steps 200 --warmup 100 --profile
grep -A26 "^profile" $OUT/qf6_profile.log | cut -c1-150
echo "total $(( $(date +%s) - t0 )) s"
cd $OUT && tar czf logs.tgz *.log && rm -f build.log
