#!/usr/bin/env bash
# Session 22's fourth GPU call: the reduced QF grid of issue 22 (bench/gpu_qf_grid.yaml:
# depths 2-10 x 10 seeds x 24k steps, evaluated and checkpointed every 3k) with the fused
# W_qkv product and the raw checkpoint payload, made at once after run_s22c.sh on the same
# warm machine (its build in /tmp/sgbuild). deploy/gpu-run.sh as a user runs it (MPS where
# the machine has it, packs per device auto), limited to GRID_S seconds (default 560): if it
# ends, that is its wall time; if not, gpu-run's interrupt report says which packs ended and
# when. `run` with `carry: [".gpu"]` and timeout_s 600.
set -uo pipefail
source /tmp/sgdeps/env.sh || exit 1
B=/tmp/sgbuild
[ -x $B/worker/sg-worker ] && [ -x $B/trainer/sg-train ] || { echo "no build: run s22c first"; exit 1; }
MPSC=$(command -v nvidia-cuda-mps-control || ls /usr/local/nvidia/bin/nvidia-cuda-mps-control 2>/dev/null || true)
use_mps=0; [ -n "$MPSC" ] && { export PATH=$(dirname $MPSC):$PATH; use_mps=1; }
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
echo "SG_MPS=$use_mps SG_BUILD_DIR=$B deploy/gpu-run.sh bench/gpu_qf_grid.yaml /tmp/grid cuda:0"
rm -rf /tmp/grid; mkdir -p /tmp/grid
( while sleep 5; do cat /tmp/grid/worker-*.log > $OUT/workers.log 2>/dev/null; done ) &
copier=$!
s=$(date +%s)
SG_MPS=$use_mps SG_BUILD_DIR=$B timeout -s INT ${GRID_S:-560} bash deploy/gpu-run.sh \
  bench/gpu_qf_grid.yaml /tmp/grid cuda:0 > $OUT/grid.log 2>&1
echo "gpu-run rc=$? after $(( $(date +%s) - s )) s"
kill $copier 2>/dev/null
cat /tmp/grid/worker-*.log > $OUT/workers.log 2>/dev/null
cp /tmp/grid/speed.csv /tmp/grid/gpu.csv $OUT/ 2>/dev/null
grep -E "gpu-run: (pack|interrupted|sweep|gen_acc)|packs on" $OUT/grid.log | tail -16
tail -12 $OUT/grid.log
