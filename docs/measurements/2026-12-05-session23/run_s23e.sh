#!/usr/bin/env bash
# Session 23's fifth GPU call: the device given back at a pack's end (sg-train's "released"
# event; sg-worker starts the next pack while the last checkpoint is written), on the GPU.
# Builds the grid's stack; a small grid (QF depths 2, 4 and 3, 10 seeds, 3,000 steps, evaluated
# and checkpointed every 1,500) through deploy/gpu-run.sh; the workers' log shows each
# release and the next pack's start. `run` with `carry: [".gpu"]`, timeout_s 420.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-train sg-worker sg-coordinator sgctl" bash .gpu/build_targets.sh \
  -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 \
  || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
cat > /tmp/small_grid.yaml <<'Y'
name: release-check
task: question_formation
grid:
  depth: [2, 4, 3]
seeds: 10
train:
  steps: 3000
  eval_every: 1500
Y
MPSC=$(command -v nvidia-cuda-mps-control || ls /usr/local/nvidia/bin/nvidia-cuda-mps-control 2>/dev/null || true)
use_mps=0; [ -n "$MPSC" ] && { export PATH=$(dirname $MPSC):$PATH; use_mps=1; }
rm -rf /tmp/rgrid; mkdir -p /tmp/rgrid
SG_MPS=$use_mps SG_BUILD_DIR=/tmp/sgbuild timeout -s INT 150 bash deploy/gpu-run.sh \
  /tmp/small_grid.yaml /tmp/rgrid cuda:0 > $OUT/grid.log 2>&1
echo "gpu-run rc=$? at $(el)"
cat /tmp/rgrid/worker-*.log > $OUT/workers.log 2>/dev/null
grep -E "gpu-run: (pack|sweep)" $OUT/grid.log
grep -E "claimed|given back|ended|packs on" $OUT/workers.log | cut -c1-200
find /tmp/rgrid -name events.jsonl -exec cat {} + | head -24
cp /tmp/rgrid/gpu.csv $OUT/ 2>/dev/null
cd $OUT && rm -f build.log && tar czf logs.tgz * && rm -f grid.log workers.log gpu.csv
