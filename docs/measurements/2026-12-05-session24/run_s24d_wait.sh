#!/usr/bin/env bash
# Session 24: at once after run_s24c.sh on the same warm machine: waits for
# the grid grid_bg.sh runs (until 590 s), then brings back its logs. `run` with
# `carry: [".gpu"]`, timeout_s 600.
set -uo pipefail
t0=$(date +%s)
R=/tmp/s24grid
[ -f $R/start ] || { echo "no grid here: run_s24c.sh first"; exit 1; }
while [ $(( $(date +%s) - t0 )) -lt ${WAIT_S:-590} ] && [ ! -f $R/rc ]; do sleep 5; done
if [ -f $R/rc ]; then
  echo "grid ended: rc $(cat $R/rc), wall $(cat $R/wall_s) s"
else
  echo "grid still running after $(( $(date +%s) - $(cat $R/start) )) s"
fi
cat $R/command
grep -E "gpu-run: (pack|interrupted|sweep|gen_acc|done)|packs on|finished|result" $R/grid.log | tail -20
tail -15 $R/grid.log
grep -E "packs on|ended:" $R/workers.log | cut -c1-220
cp $R/grid.log $R/workers.log $R/speed.csv $R/gpu.csv $OUT/ 2>/dev/null
cd $OUT && tar czf grid_logs.tgz * && rm -f grid.log workers.log speed.csv gpu.csv
