#!/usr/bin/env bash
# Session 10, GPU call 1: build; attention per line (kernel schema, tests); Dyck and QF with it;
# --check-cpu; the anchors in the same run.
set -uo pipefail
T0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - T0 ))s] $*"; }
SG_TARGETS="sg-bench sg-train sg-worker sg-coordinator sgctl trainer_cuda_kernels_test trainer_packed_step_test" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 \
  || { grep -E "error|Error" $OUT/build.log | head -30; tail -30 $OUT/build.log; exit 1; }
source /tmp/sgdeps/env.sh
stamp built
python3 -c "import torch; print(torch.__version__); print(torch.ops.aten._efficient_attention_forward.default._schema); print(torch.ops.aten._efficient_attention_backward.default._schema)"
B=/tmp/sgbuild
timeout 150 $B/trainer/trainer_cuda_kernels_test --gtest_filter='CudaLineAttention*' 2>&1 | grep -E '^\[ *(OK|FAILED|PASSED|SKIPPED) |Failure|Expected|Which is|actual|max|error|what' | head -50
stamp line_test
timeout 120 $B/trainer/trainer_packed_step_test 2>&1 | grep -E '^\[ *(OK|FAILED|PASSED|SKIPPED) |Failure|Expected|Which is|what' | head -40
stamp packed_test
SB=$B/bench/sg-bench
run() { echo "== sg-bench $*"; timeout 100 $SB "$@" 2>&1 | grep -v '^\s*$' | tail -${TAILN:-3}; }
run --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200
run --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --masked-attention
stamp dyck
run --layers 6 --seeds 10 --steps 300
run --layers 6 --seeds 10 --steps 300 --pack-lines on
run --layers 6 --seeds 10 --steps 300 --pack-lines on --masked-attention
stamp qf6
run --task dyck --layers 2 --seeds 2 --check-cpu 100 --precision fp32
run --layers 2 --seeds 2 --check-cpu 200 --precision tf32 --pack-lines on
run --layers 2 --seeds 2 --check-cpu 200 --precision fp32 --pack-lines on
stamp check_cpu
for L in 2 10; do
  run --layers $L --seeds 10 --steps 300
  run --layers $L --seeds 10 --steps 300 --pack-lines on
done
stamp qf_layers
TAILN=45 run --task dyck --layers 6 --seeds 10 --steps 100 --warmup 200 --profile
stamp profile
timeout 100 $B/trainer/trainer_cuda_kernels_test 2>&1 | grep -E '^\[ *(FAILED|PASSED|SKIPPED) |Failure' | head -20
stamp kernels_all
echo "== anchors ensemble --graph"; timeout 90 python3 .gpu/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 2>&1 | tail -2
run --layers 6 --seeds 10 --steps 300 --pack-lines on
stamp done
