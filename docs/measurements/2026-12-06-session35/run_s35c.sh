#!/usr/bin/env bash
# Session 35, call C (on call B's warm H100, the tree as committed after call B: AdamW's kernel
# as before, the update's priority an option): every CUDA kernel test, packed-step and
# ragged-step CUDA, one QF 6-layer row. `run` with carry [".gpu"]; about 50 s warm.
set -o pipefail
source /tmp/sgdeps/env.sh 2>/dev/null
touch trainer/model/cuda_pack_adamw.cu trainer/model/cuda_graph_step.cc
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test sg-bench" bash \
  .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > /tmp/b.log 2>&1 \
  || { grep error -A3 /tmp/b.log | head; exit 1; }
source /tmp/sgdeps/env.sh
K=$(find /tmp/sgbuild -name trainer_cuda_kernels_test -type f | head -1)
PT=$(find /tmp/sgbuild -name trainer_packed_step_test -type f | head -1)
timeout 100 $K > $OUT/kernel_tests.log 2>&1
echo "kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $OUT/kernel_tests.log | tr '\n' ' ')"
timeout 60 $PT --gtest_filter='*OnCuda*' > $OUT/packed_cuda.log 2>&1
echo "packed rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $OUT/packed_cuda.log | tr '\n' ' ')"
timeout 30 /tmp/sgbuild/bench/sg-bench --layers 6 --seeds 10 --steps 300 --warmup 100 \
  > $OUT/qf6.log 2>&1
grep -A1 model-steps $OUT/qf6.log | tail -1
