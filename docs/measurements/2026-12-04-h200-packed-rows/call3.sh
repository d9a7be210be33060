#!/usr/bin/env bash
# Session 10, GPU call 3 (machine still warm): wait for the grid and collect it.
set -uo pipefail
source /tmp/sgdeps/env.sh
T0=$(date +%s); start=$(cat /tmp/grid.start)
while [ $(( $(date +%s) - T0 )) -lt 560 ]; do
  grep -q "gpu-run: gen_acc\|sweep ended" /tmp/grid.log && break
  sleep 5
done
echo "grid wall since start: $(( $(date +%s) - start ))s"
cp /tmp/grid.log $OUT/grid.log
cp /tmp/grid/speed.csv /tmp/grid/gpu.csv $OUT/ 2>/dev/null
cat /tmp/grid/worker-*.log > $OUT/workers.log 2>/dev/null
grep -v "^gpu-run: [0-9]*s " /tmp/grid.log | tail -50
