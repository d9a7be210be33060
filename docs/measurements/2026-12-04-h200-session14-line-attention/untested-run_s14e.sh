#!/usr/bin/env bash
# Session 14, call E: every tile's loads fetched before any is stored (Q beside the line-start
# search, K with V, Q with dO and O); the TF32 forward at 3 blocks per SM. Tests, table, anchor.
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test trainer_packed_step_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { tail -40 $OUT/build.log; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
T=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 200 $T > $OUT/kernels.log 2>&1; echo "kernel tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED" $OUT/kernels.log | head -10
timeout 100 $P > $OUT/packed.log 2>&1; echo "packed tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED" $OUT/packed.log | head -5
SB=$B/bench/sg-bench
run() { name=$1; shift; timeout 120 $SB "$@" > $OUT/$name.log 2>&1; echo "$name rc=$? :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"; }
for L in 2 6 10; do run qf${L} --layers $L --seeds 10 --steps 300 --warmup 100; done
run qf6_masked --layers 6 --seeds 10 --steps 300 --warmup 100 --masked-attention
run dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200
cp .gpu/anchors.py /tmp/anchors.py
timeout 120 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 > $OUT/anchor.log 2>&1; echo "anchor rc=$? :: $(tail -1 $OUT/anchor.log | cut -c1-60)"
run qf6_after_anchor --layers 6 --seeds 10 --steps 300 --warmup 100
run check_tf32 --layers 2 --seeds 2 --check-cpu 200 --dropout 0
run check_fp32 --layers 2 --seeds 2 --check-cpu 200 --dropout 0 --precision fp32
grep -H "relative difference" $OUT/check_*.log
run qf6_profile --layers 6 --seeds 10 --steps 100 --warmup 100 --profile
grep -E "us/step" $OUT/qf6_profile.log | grep -i "kernel<" | head -4
echo "total $(( $(date +%s) - t0 )) s"
cd $OUT && rm -f build.log && tar czf logs.tgz *.log
