#!/usr/bin/env bash
# Session 8, GPU call 1: build; the CUDA kernel and packed-step tests; sg-bench with and without
# our kernels at 2/6/10 layers; Dyck packed vs padded; --check-cpu; anchors in the same run.
set -uo pipefail
T0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - T0 ))s] $*"; }
SG_TARGETS="sg-bench sg-train trainer_cuda_kernels_test trainer_packed_step_test" \
  bash .gpu/build.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 \
  || { tail -60 $OUT/build.log; exit 1; }
source /tmp/sgdeps/env.sh
stamp built
nvidia-smi --query-gpu=name,memory.total,clocks.sm,clocks.mem --format=csv,noheader
B=/tmp/sgbuild
timeout 120 $B/trainer/trainer_cuda_kernels_test 2>&1 | grep -E '^\[ *(OK|FAILED|PASSED|SKIPPED) |Failure|Expected|Which is|actual|max' | head -60
stamp kernels_test
timeout 120 $B/trainer/trainer_packed_step_test 2>&1 | grep -E '^\[ *(OK|FAILED|PASSED|SKIPPED) |Failure|Expected|Which is' | head -40
stamp packed_test
SB=$B/bench/sg-bench
run() { echo "== sg-bench $*"; timeout 90 $SB "$@" 2>&1 | grep -v '^\s*$' | tail -${TAILN:-6}; }
run --layers 6 --seeds 10 --steps 300
run --layers 6 --seeds 10 --steps 300 --sg-optimizer
run --layers 6 --seeds 10 --steps 300 --sg-optimizer --fused-layer-norm
TAILN=40 run --layers 6 --seeds 10 --steps 300 --sg-optimizer --fused-layer-norm --profile
stamp six
for L in 2 10; do
  run --layers $L --seeds 10 --steps 300
  run --layers $L --seeds 10 --steps 300 --sg-optimizer --fused-layer-norm
done
run --layers 6 --seeds 16 --steps 300 --sg-optimizer --fused-layer-norm
stamp layers
run --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --pack-lines off
run --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --pack-lines on
run --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --pack-lines on --sg-optimizer --fused-layer-norm
stamp dyck
run --layers 2 --seeds 2 --check-cpu 200 --precision tf32 --sg-optimizer --fused-layer-norm
run --layers 2 --seeds 2 --check-cpu 200 --precision fp32 --sg-optimizer --fused-layer-norm
run --task dyck --layers 2 --seeds 2 --check-cpu 100 --precision fp32 --pack-lines on
stamp check_cpu
for m in "ensemble --graph" "ensemble --graph --compile"; do
  echo "== anchors $m"; timeout 120 python3 .gpu/anchors.py $m --layers 6 --seeds 10 --steps 200 2>&1 | tail -2
done
echo "== anchors authors 6"; timeout 60 python3 .gpu/anchors.py authors --layers 6 --steps 150 2>&1 | tail -1
stamp anchors
run --layers 6 --seeds 10 --steps 300
run --layers 6 --seeds 10 --steps 300 --sg-optimizer --fused-layer-norm
stamp done
