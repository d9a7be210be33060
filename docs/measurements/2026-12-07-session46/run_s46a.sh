#!/usr/bin/env bash
# Session 46, call A: split_k_products_probe.cu (our input-gradient and forward products
# with the summed dimension split across a cluster) built with nvcc for sm_90a, its checks
# (also under compute-sanitizer's memcheck), then its times against cuBLAS's TF32 product,
# hot and cold L2, for the QF pack's four linears each way. Any Hopper card; about 60 s.
set -uo pipefail
D=docs/measurements/2026-12-07-session46
nvidia-smi --query-gpu=name --format=csv,noheader
nvcc --version | tail -1
nvcc -std=c++17 -O3 -lineinfo -gencode=arch=compute_90a,code=sm_90a -Xptxas -v \
  $D/split_k_products_probe.cu -lcublas -o /tmp/skprobe 2>&1 \
  | grep -E "error|registers|spill" | sort | uniq -c | head -20
[ -x /tmp/skprobe ] || exit 1
timeout 60 /tmp/skprobe check; echo "check rc=$?"
timeout 120 compute-sanitizer --tool memcheck /tmp/skprobe check 2>&1 \
  | grep -E "FAIL|ERROR SUMMARY"
timeout 120 /tmp/skprobe 300 | tail -32; echo "bench rc=$?"
