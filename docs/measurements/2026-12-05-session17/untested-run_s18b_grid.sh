#!/usr/bin/env bash
# Prepared in session 17 (untested here): the reduced QF grid of issue 22 on one H200 with
# today's trainer, in two back-to-back calls (a call is limited to 600 s; the grid took 764 s
# before session 12 and the packs are ~1.4x faster since). This call builds the stack, starts
# the grid in its own process session (it outlives the call while the machine stays held) and
# waits; untested-run_s18c_grid_collect.sh, called at once after it (the machine is given back
# after 30 s idle), waits for the end and collects. `run` with `carry: [".gpu"]`.
set -uo pipefail
T0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - T0 ))s] $*"; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-train sg-worker sg-coordinator sgctl" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 \
  || { grep -E "error" $OUT/build.log | head -30; tail -30 $OUT/build.log; exit 1; }
source /tmp/sgdeps/env.sh
stamp built
B=/tmp/sgbuild
MPSC=$(command -v nvidia-cuda-mps-control || ls /usr/local/nvidia/bin/nvidia-cuda-mps-control 2>/dev/null || true)
use_mps=0; [ -n "$MPSC" ] && { export PATH=$(dirname $MPSC):$PATH; use_mps=1; }
echo "SG_MPS=$use_mps"
rm -rf /tmp/grid; mkdir -p /tmp/grid
SG_MPS=$use_mps SG_BUILD_DIR=$B setsid nohup bash deploy/gpu-run.sh bench/gpu_qf_grid.yaml /tmp/grid cuda:0 \
  > /tmp/grid.log 2>&1 < /dev/null &
echo $(date +%s) > /tmp/grid.start
stamp "grid started: SG_MPS=$use_mps SG_BUILD_DIR=$B deploy/gpu-run.sh bench/gpu_qf_grid.yaml /tmp/grid cuda:0"
while [ $(( $(date +%s) - T0 )) -lt 570 ]; do
  sleep 10
  grep -q "sweep ended\|gpu-run: gen_acc" /tmp/grid.log && break
done
grep -E "packs on|gpu-run: [0-9]+s" /tmp/grid.log | tail -8
echo "grid running for $(( $(date +%s) - $(cat /tmp/grid.start) )) s"
