#!/usr/bin/env bash
# Prepared in session 17 (untested here): the second call of untested-run_s18b_grid.sh, made at
# once after it on the same machine: waits for the grid's end and collects its logs.
set -uo pipefail
source /tmp/sgdeps/env.sh
T0=$(date +%s); start=$(cat /tmp/grid.start)
while [ $(( $(date +%s) - T0 )) -lt 560 ]; do
  grep -q "sweep ended\|gpu-run: gen_acc" /tmp/grid.log && break
  sleep 5
done
echo "grid wall since its start: $(( $(date +%s) - start )) s"
cp /tmp/grid.log $OUT/grid.log
cp /tmp/grid/speed.csv /tmp/grid/gpu.csv $OUT/ 2>/dev/null
cat /tmp/grid/worker-*.log > $OUT/workers.log 2>/dev/null
grep -v "^gpu-run: [0-9]*s " /tmp/grid.log | tail -60
