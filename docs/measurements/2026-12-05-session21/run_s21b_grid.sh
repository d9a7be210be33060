#!/usr/bin/env bash
# Session 21's second GPU call (session 19's untested-run_s20b_grid.sh without the update beside
# the forward): the reduced QF grid of issue 22 (bench/gpu_qf_grid.yaml: depths 2-10 x
# 10 seeds x 24k steps, evaluated every 3k) in ONE call, made at once after run_s21a.sh on the
# same warm machine (its build in /tmp/sgbuild; the machine goes back 30 s after a call). The
# target is 600 s, a call's limit, so the grid gets 570 s: if it ends, that is its wall time;
# if not, the target is missed and the log says how far each pack got. `run` with
# `carry: [".gpu"]` and timeout_s 600.
set -uo pipefail
source /tmp/sgdeps/env.sh || exit 1
B=/tmp/sgbuild
[ -x $B/worker/sg-worker ] && [ -x $B/trainer/sg-train ] || { echo "no build: run s21a first"; exit 1; }
MPSC=$(command -v nvidia-cuda-mps-control || ls /usr/local/nvidia/bin/nvidia-cuda-mps-control 2>/dev/null || true)
use_mps=0; [ -n "$MPSC" ] && { export PATH=$(dirname $MPSC):$PATH; use_mps=1; }
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
echo "SG_MPS=$use_mps SG_BUILD_DIR=$B deploy/gpu-run.sh bench/gpu_qf_grid.yaml /tmp/grid cuda:0"
# The estimate beside the measurement (sgctl plan at its default rate, sg's H200 rate).
$B/sgctl/sgctl plan bench/gpu_qf_grid.yaml | tail -6
rm -rf /tmp/grid; mkdir -p /tmp/grid
s=$(date +%s)
SG_MPS=$use_mps SG_BUILD_DIR=$B timeout -s INT 570 bash deploy/gpu-run.sh bench/gpu_qf_grid.yaml \
  /tmp/grid cuda:0 > $OUT/grid.log 2>&1
echo "gpu-run rc=$? after $(( $(date +%s) - s )) s"
grep -E "packs on|sweep ended|gpu-run: gen_acc" $OUT/grid.log | tail -12
cp /tmp/grid/speed.csv /tmp/grid/gpu.csv $OUT/ 2>/dev/null
cat /tmp/grid/worker-*.log > $OUT/workers.log 2>/dev/null
grep -E "pack [0-9]+: (claimed|done|finished|exited)|packs on" $OUT/workers.log | head -30
tail -40 $OUT/grid.log
