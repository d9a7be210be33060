#!/usr/bin/env bash
# The reduced QF grid of issue 22 (bench/gpu_qf_grid.yaml) run in a session of its own
# (setsid), so it goes on between `run` calls while the machine stays warm: run_s24c.sh starts
# it after its build and tests, run_s24d_wait.sh waits for it on the same machine. Writes
# /tmp/s24grid/{grid.log,workers.log,speed.csv,gpu.csv,rc,wall_s}. deploy/gpu-run.sh as a user
# runs it (MPS where the machine has it, packs per device auto), limited to GRID_S (1150 s).
set -uo pipefail
source /tmp/sgdeps/env.sh || exit 1
B=/tmp/sgbuild
R=/tmp/s24grid
rm -rf /tmp/grid $R; mkdir -p /tmp/grid $R
MPSC=$(command -v nvidia-cuda-mps-control || ls /usr/local/nvidia/bin/nvidia-cuda-mps-control 2>/dev/null || true)
use_mps=0; [ -n "$MPSC" ] && { export PATH=$(dirname $MPSC):$PATH; use_mps=1; }
echo "SG_MPS=$use_mps SG_BUILD_DIR=$B deploy/gpu-run.sh bench/gpu_qf_grid.yaml /tmp/grid cuda:0" > $R/command
( while sleep 5; do cat /tmp/grid/worker-*.log > $R/workers.log 2>/dev/null; done ) &
copier=$!
s=$(date +%s); echo $s > $R/start
SG_MPS=$use_mps SG_BUILD_DIR=$B timeout -s INT ${GRID_S:-1150} bash deploy/gpu-run.sh \
  bench/gpu_qf_grid.yaml /tmp/grid cuda:0 > $R/grid.log 2>&1
rc=$?
echo $(( $(date +%s) - s )) > $R/wall_s
kill $copier 2>/dev/null
cat /tmp/grid/worker-*.log > $R/workers.log 2>/dev/null
cp /tmp/grid/speed.csv /tmp/grid/gpu.csv $R/ 2>/dev/null
echo $rc > $R/rc
