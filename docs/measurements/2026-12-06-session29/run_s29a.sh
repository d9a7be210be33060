#!/usr/bin/env bash
# Session 29, call A: our wgmma weight-gradient kernel apart from sg (wgmma_wgrad_probe.cu):
# build with nvcc for sm_90a, its checks (also under compute-sanitizer's memcheck), then its
# times against cuBLAS's TF32 "nt" and "nn" products for the QF pack's shapes. Any Hopper card.
# SG_VARIANTS=1: the session's variants instead (wgmma_weight_grad_variants.cu with
# wgmma_wgrad_probe_variants.cu: the v0-v7 columns of README.md's tables).
set -uo pipefail
D=docs/measurements/2026-12-06-session29
nvidia-smi --query-gpu=name --format=csv,noheader
nvcc --version | tail -2
SRC="trainer/model/cuda_wgmma_weight_grad_kernel.cu $D/wgmma_wgrad_probe.cu"
[ "${SG_VARIANTS:-0}" = 1 ] && SRC="$D/wgmma_weight_grad_variants.cu $D/wgmma_wgrad_probe_variants.cu"
nvcc -std=c++17 -O3 -lineinfo -gencode=arch=compute_90a,code=sm_90a -Xptxas -v -I. $SRC -lcublas \
  -o /tmp/wgprobe 2>&1 | grep -E "error|warning|registers|spill|Compiling entry" | head -40
[ -x /tmp/wgprobe ] || exit 1
cuobjdump --dump-sass /tmp/wgprobe | grep -cE "HGMMA" | sed 's/^/HGMMA instructions: /'
timeout 60 /tmp/wgprobe check; echo "check rc=$?"
timeout 120 compute-sanitizer --tool memcheck /tmp/wgprobe check 2>&1 | grep -E "FAIL|ERROR SUMMARY"
timeout 60 /tmp/wgprobe 200 | tail -7; echo "bench rc=$?"
timeout 60 /tmp/wgprobe 200 | tail -7
