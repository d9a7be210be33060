#!/usr/bin/env bash
# Session 24's first GPU call: the pack's per-seed GEMMs as LibTorch's bmm runs them against
# every algorithm cuBLASLt's heuristic offers for the same shapes (sg-gemm-bench).
# `run` with `carry: [".gpu"]`, timeout_s 600.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-gemm-bench sg-bench" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF \
  > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
G=/tmp/sgbuild/bench/sg-gemm-bench
timeout 120 $G --seeds 10 --rows 256 2>&1 | tee $OUT/gemm_s10.log
echo "at $(el)"
timeout 120 $G --seeds 16 --rows 256 2>&1 | tee $OUT/gemm_s16.log
echo "at $(el)"
timeout 120 $G --seeds 10 --rows 256 --fp32 --reps 50 2>&1 | tee $OUT/gemm_s10_fp32.log
echo "total $(el)"
