#!/usr/bin/env bash
# Session 8, GPU call 3 (the machine still warm from call 2): wait for the grid, collect it.
set -uo pipefail
source /tmp/sgdeps/env.sh
T0=$(date +%s); start=$(cat /tmp/grid.start)
while [ $(( $(date +%s) - T0 )) -lt 560 ]; do
  grep -q "gpu-run: gpu_acc\|gpu-run: gen_acc:" /tmp/grid.log && break
  sleep 5
done
echo "grid wall since start: $(( $(date +%s) - start ))s"
cp /tmp/grid.log $OUT/grid.log
cp /tmp/grid/speed.csv /tmp/grid/gpu.csv $OUT/ 2>/dev/null
cat /tmp/grid/worker-*.log > $OUT/workers.log 2>/dev/null
grep -v "^gpu-run: [0-9]*s " /tmp/grid.log | tail -90
