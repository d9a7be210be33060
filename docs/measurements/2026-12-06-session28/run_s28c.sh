#!/usr/bin/env bash
# Session 28, call C: can the update (39% of a QF 6-layer step, at the copy bandwidth) hide
# behind compute? (1) overlap_probe.py: PyTorch's AdamW over a 10-seed pack's parameters beside
# a 6-layer forward's products, alone, at once on two streams, and pipelined layer by layer.
# (2) Two packs whose phases drift apart: sg-bench QF 6 layers, one 10-seed process alone, one
# 5-seed process alone, then two 5-seed processes at once and two 10-seed ones at once under
# MPS (the grid's way to share a card). If two half packs beat one whole pack, one process
# could run a pack as two halves on two streams. `run` with `carry: [".gpu"]`, timeout_s 330.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
L=/tmp/s28c_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
nvidia-smi --query-gpu=name --format=csv,noheader
P=docs/measurements/2026-12-06-session28/overlap_probe.py
for a in "--seeds 10" "--seeds 10 --layers 2" "--seeds 16"; do
  timeout 60 python3 $P $a > $L/probe_$(echo $a | tr -d ' -').log 2>&1
  echo "probe $a rc=$? :: $(tail -1 $L/probe_$(echo $a | tr -d ' -').log)"
done
save
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF \
  > $L/build.log 2>&1 || { grep -E "error" $L/build.log | head -30; save; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
SB=/tmp/sgbuild/bench/sg-bench
row() { grep -A1 'model-steps/s' $1 | tail -1 | awk '{print $4}'; }
Q="--layers 6 --steps 1500 --warmup 100"
timeout 60 $SB $Q --seeds 10 > $L/alone10.log 2>&1; echo "alone 10 seeds: $(row $L/alone10.log)"
timeout 60 $SB $Q --seeds 5 > $L/alone5.log 2>&1; echo "alone 5 seeds: $(row $L/alone5.log)"
MPSC=$(command -v nvidia-cuda-mps-control || ls /usr/local/nvidia/bin/nvidia-cuda-mps-control 2>/dev/null || true)
if [ -n "$MPSC" ]; then
  export CUDA_MPS_PIPE_DIRECTORY=/tmp/mps/pipe CUDA_MPS_LOG_DIRECTORY=/tmp/mps/log
  mkdir -p $CUDA_MPS_PIPE_DIRECTORY $CUDA_MPS_LOG_DIRECTORY
  $MPSC -d && echo "MPS on"
fi
for s in 5 10; do
  timeout 90 $SB $Q --seeds $s > $L/pair${s}_a.log 2>&1 &
  timeout 90 $SB $Q --seeds $s > $L/pair${s}_b.log 2>&1 &
  wait
  echo "two ${s}-seed processes at once: $(row $L/pair${s}_a.log) + $(row $L/pair${s}_b.log) at $(el)"
done
[ -n "$MPSC" ] && echo quit | $MPSC
timeout 60 $SB $Q --seeds 10 > $L/alone10_b.log 2>&1; echo "alone 10 seeds again: $(row $L/alone10_b.log)"
save
echo "total $(el)"
