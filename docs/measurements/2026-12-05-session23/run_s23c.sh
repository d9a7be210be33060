#!/usr/bin/env bash
# Session 23's third GPU call: do two packs on one GPU (MPS, as deploy/gpu-run.sh runs them)
# train more than one, for the grid's shallow packs? sg-bench alone, then two sg-bench
# processes started together, each its own rate (the sum is the GPU's), QF at 2, 4 and 6
# layers and a 6 + 2 mix, 10 seeds each. `run` with `carry: [".gpu"]`, timeout_s 600.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF \
  > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
SB=/tmp/sgbuild/bench/sg-bench
MPSC=$(command -v nvidia-cuda-mps-control || ls /usr/local/nvidia/bin/nvidia-cuda-mps-control 2>/dev/null || true)
[ -n "$MPSC" ] && export PATH=$(dirname $MPSC):$PATH
mkdir -p /tmp/mps/pipe /tmp/mps/log
export CUDA_MPS_PIPE_DIRECTORY=/tmp/mps/pipe CUDA_MPS_LOG_DIRECTORY=/tmp/mps/log
nvidia-cuda-mps-control -d && echo "MPS started"
rate() { grep -A1 'model-steps/s' $1 | tail -1 | awk '{print $NF}'; }
# steps chosen so each timed window lasts ~10-15 s alone
steps() { case $1 in 2) echo 5000;; 4) echo 3000;; 6) echo 1800;; 10) echo 1100;; esac; }
alone() {
  L=$1
  timeout 90 $SB --layers $L --seeds 10 --steps $(steps $L) --warmup 100 > $OUT/alone$L.log 2>&1
  echo "alone L$L rc=$? :: $(grep -A1 'model-steps/s' $OUT/alone$L.log | tail -1)"
}
pair() {
  A=$1; Bl=$2; n=pair${A}_$Bl
  timeout 120 $SB --layers $A --seeds 10 --steps $(( $(steps $A) * 2 )) --warmup 100 > $OUT/${n}_a.log 2>&1 &
  p=$!
  timeout 120 $SB --layers $Bl --seeds 10 --steps $(( $(steps $Bl) * 2 )) --warmup 100 > $OUT/${n}_b.log 2>&1
  wait $p
  echo "pair L$A + L$Bl :: $(grep -A1 'model-steps/s' $OUT/${n}_a.log | tail -1) || $(grep -A1 'model-steps/s' $OUT/${n}_b.log | tail -1)"
}
alone 2; alone 4; alone 6
echo "at $(el)"
pair 2 2; pair 4 4; pair 6 2; pair 6 6
echo "at $(el)"
alone 2
echo quit | nvidia-cuda-mps-control
echo "total $(el)"
cd $OUT && rm -f build.log && tar czf logs.tgz *.log && rm -f *.log
