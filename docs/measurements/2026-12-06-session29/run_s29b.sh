#!/usr/bin/env bash
# Session 29, call B: Nsight Compute on the probe's W_1 shape: our kernel's variants beside
# cuBLAS's "nt" and "nn" products (one launch each). Any Hopper card. Run in session 29 against
# the variants (wgmma_weight_grad_variants.cu, wgmma_wgrad_probe_variants.cu: v0-v2, then v1-v2
# with cuBLAS's "nt"); as it stands it profiles the tree's kernel.
set -uo pipefail
D=docs/measurements/2026-12-06-session29
nvcc -std=c++17 -O3 -lineinfo -gencode=arch=compute_90a,code=sm_90a -I. \
  trainer/model/cuda_wgmma_weight_grad_kernel.cu $D/wgmma_wgrad_probe.cu -lcublas \
  -o /tmp/wgprobe 2>&1 | grep -E "error" | head -20
[ -x /tmp/wgprobe ] || exit 1
M=gpu__time_duration.sum,sm__pipe_tensor_op_gmma_cycles_active.avg.pct_of_peak_sustained_elapsed
M=$M,lts__t_bytes.sum,dram__bytes_read.sum,dram__bytes_write.sum,l1tex__t_bytes.sum
M=$M,lts__t_sector_hit_rate.pct,sm__warps_active.avg.pct_of_peak_sustained_active
M=$M,l1tex__data_bank_conflicts_pipe_lsu_mem_shared_op_st.sum
M=$M,l1tex__data_bank_conflicts_pipe_lsu_mem_shared_op_ld.sum
M=$M,smsp__inst_executed.sum,sm__throughput.avg.pct_of_peak_sustained_elapsed
M=$M,l1tex__data_pipe_lsu_wavefronts_mem_shared.sum,sm__cycles_elapsed.avg
M=$M,l1tex__data_pipe_lsu_wavefronts_mem_shared.avg.pct_of_peak_sustained_elapsed
M=$M,lts__throughput.avg.pct_of_peak_sustained_elapsed,l1tex__throughput.avg.pct_of_peak_sustained_elapsed
timeout 200 ncu --metrics $M /tmp/wgprobe profile > $OUT/ncu_metrics.txt 2>&1
grep -E "Wgmma|gemm|Kernel|^\s+(gpu__|sm__|lts__|dram__|l1tex__|smsp__)" $OUT/ncu_metrics.txt | \
  sed -E 's/ +/ /g' | cut -c1-150
timeout 200 ncu --metrics 'regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio' \
  /tmp/wgprobe profile > $OUT/ncu_stalls.txt 2>&1
awk '/WgmmaWeightGrad|gemm/ {print substr($0,1,90)} $3+0 > 0.05 && /stalled/ {print "  " $1, $3}' \
  $OUT/ncu_stalls.txt | sed 's/smsp__average_warps_issue_stalled_//; s/_per_issue_active.ratio//'
