#!/usr/bin/env bash
# Session 24: the reduced grid end to end with the layers' products by cuBLASLt, the device
# given back at each pack's end and staged checkpoints. Builds the grid's stack, starts
# grid_bg.sh under setsid and waits until 585 s; run_s24d_wait.sh follows at once on the same
# warm machine. `run` with `carry: [".gpu"]`, timeout_s 600.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-train sg-worker sg-coordinator sgctl" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF \
  > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
setsid nohup bash docs/measurements/2026-12-05-session24/grid_bg.sh > /tmp/grid_bg.out 2>&1 < /dev/null &
echo "grid started at $(el)"
while [ $(( $(date +%s) - t0 )) -lt 585 ] && [ ! -f /tmp/s24grid/rc ]; do sleep 5; done
echo "at $(el): $(tail -1 /tmp/s24grid/grid.log)"
grep -E "packs on|ended|given back" /tmp/s24grid/workers.log | cut -c1-200 | tail -12
rm -f $OUT/build.log
