#!/usr/bin/env bash
# Session 16 prepared, call A (untested: no GPU was lent in sessions 15 and 16). Run on main with
# untested-s15-prepared-gpu-changes-rebased.patch of this folder applied (session 15's kernel
# and determinism patches, rebased onto the ragged layout), `carry: [".gpu"]`. First the tests
# (the ragged step's CUDA tests: our batched GEMM over chunks against the reference, graph
# steps against the padded trainer, the bit-exact resume), then Dyck and QF with each layout
# side by side. untested-run_s16b.sh (same machine, no rebuild) has the checks against the CPU,
# the anchor, Tense, QF at 2 and 10 layers and a profile; session 15's untested-run_s15a.sh
# tail (profiles, sg-gemm-rows-bench, ncu, the kernel patch reversed) is call C.
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test trainer_packed_step_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
T=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 150 $P --gtest_filter='Ragged*' > $OUT/ragged_tests.log 2>&1; echo "ragged tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED|Failure" $OUT/ragged_tests.log | head -20
timeout 150 $T > $OUT/kernels.log 2>&1; echo "kernel tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED" $OUT/kernels.log | head -10
timeout 100 $P --gtest_filter='-Ragged*' > $OUT/packed.log 2>&1; echo "packed tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED" $OUT/packed.log | head -5
SB=$B/bench/sg-bench
run() { name=$1; shift; timeout 120 $SB "$@" > $OUT/$name.log 2>&1; echo "$name rc=$? :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"; }
D6="--task dyck --layers 6 --seeds 10 --steps 300 --warmup 200"
Q6="--layers 6 --seeds 10 --steps 300 --warmup 100"
run dyck6 $D6
run dyck6_ragged64 $D6 --ragged 64
run dyck6_ragged128 $D6 --ragged 128 --ragged-granules 8,4
run dyck6_ragged64_32_8 $D6 --ragged 64 --ragged-granules 32,8
run qf6 $Q6
run qf6_row16 $Q6 --one-row-from 1 --one-row-granule 16
run qf6_ragged64 $Q6 --ragged 64 --ragged-granules 1,1
echo "total $(( $(date +%s) - t0 )) s"
cd $OUT && rm -f build.log && tar czf logs.tgz *.log
