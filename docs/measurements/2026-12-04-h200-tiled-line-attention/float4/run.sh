#!/usr/bin/env bash
# Session 11, GPU call 4: attention per line with float4 shared-memory reads.
set -uo pipefail
T0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - T0 ))s] $*"; }
SG_TARGETS="sg-bench trainer_cuda_kernels_test" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 \
  || { grep -E "error|Error" $OUT/build.log | head -30; tail -30 $OUT/build.log; exit 1; }
source /tmp/sgdeps/env.sh
stamp built
B=/tmp/sgbuild SB=/tmp/sgbuild/bench/sg-bench
timeout 200 $B/trainer/trainer_cuda_kernels_test > $OUT/kernels_test.log 2>&1
grep -E '^\[ *(FAILED|PASSED) ' $OUT/kernels_test.log | head -20
grep -B3 -A8 'Failure' $OUT/kernels_test.log | head -40
stamp tests
run() { echo "== sg-bench $*"; timeout 100 $SB "$@" > $OUT/bench_$N.log 2>&1; grep -v '^\s*$' $OUT/bench_$N.log | tail -${TAILN:-1}; N=$((N+1)); }
N=0
TAILN=4 run --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200
run --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --one-row-per-seed
run --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --masked-attention
run --task dyck --layers 2 --seeds 2 --check-cpu 100 --precision fp32
TAILN=9 run --task dyck --layers 6 --seeds 10 --steps 100 --warmup 200 --profile
stamp done
