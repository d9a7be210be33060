#!/usr/bin/env bash
# Session 11, GPU call 3: our attention per line on by default (rows past 256): tests, speed,
# check-cpu, profile.
set -uo pipefail
T0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - T0 ))s] $*"; }
SG_TARGETS="sg-bench trainer_cuda_kernels_test trainer_packed_step_test" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 \
  || { grep -E "error|Error" $OUT/build.log | head -30; tail -30 $OUT/build.log; exit 1; }
source /tmp/sgdeps/env.sh
stamp built
B=/tmp/sgbuild SB=/tmp/sgbuild/bench/sg-bench
timeout 200 $B/trainer/trainer_cuda_kernels_test > $OUT/kernels_test.log 2>&1
grep -E '^\[ *(FAILED|PASSED) ' $OUT/kernels_test.log | head -20
grep -B3 -A8 'Failure' $OUT/kernels_test.log | head -60
timeout 100 $B/trainer/trainer_packed_step_test > $OUT/packed_test.log 2>&1
grep -E '^\[ *(FAILED|PASSED) ' $OUT/packed_test.log | head -20
stamp tests
run() { echo "== sg-bench $*"; timeout 100 $SB "$@" > $OUT/bench_$N.log 2>&1; grep -v '^\s*$' $OUT/bench_$N.log | tail -${TAILN:-1}; N=$((N+1)); }
N=0
TAILN=4 run --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200
run --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --one-row-per-seed
run --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --masked-attention
run --task dyck --layers 6 --seeds 16 --steps 300 --warmup 200
for L in 2 6 10; do run --layers $L --seeds 10 --steps 300; done
stamp bench
run --layers 2 --seeds 2 --check-cpu 200 --precision fp32
run --layers 2 --seeds 2 --check-cpu 200 --precision tf32
run --task dyck --layers 2 --seeds 2 --check-cpu 100 --precision fp32
stamp check
TAILN=40 run --task dyck --layers 6 --seeds 10 --steps 100 --warmup 200 --profile
stamp done
