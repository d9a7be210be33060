#!/usr/bin/env bash
# Session 24: sg-gemm-bench on the card the grid ran on (10 and 16 seeds, TF32).
# `run` with `carry: [".gpu"]`, timeout_s 300.
set -uo pipefail
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-gemm-bench" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF \
  > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; exit 1; }
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name --format=csv,noheader
timeout 100 /tmp/sgbuild/bench/sg-gemm-bench --seeds 10 --rows 256 | tee $OUT/gemm_s10.log
timeout 100 /tmp/sgbuild/bench/sg-gemm-bench --seeds 16 --rows 256 | tee $OUT/gemm_s16.log
rm -f $OUT/build.log
