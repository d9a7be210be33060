#!/usr/bin/env bash
# Session 8, GPU call 2: build everything the grid needs; the kernel test again (the AdamW
# comparisons now against an exact reference); two packs side by side with and without MPS;
# a Dyck profile; then the reduced grid started in its own session (it outlives this call;
# run_s8c.sh collects it).
set -uo pipefail
T0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - T0 ))s] $*"; }
SG_TARGETS="sg-bench sg-train sg-worker sg-coordinator sgctl trainer_cuda_kernels_test" \
  bash .gpu/build.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 \
  || { tail -60 $OUT/build.log; exit 1; }
source /tmp/sgdeps/env.sh
stamp built
B=/tmp/sgbuild SB=/tmp/sgbuild/bench/sg-bench
timeout 120 $B/trainer/trainer_cuda_kernels_test 2>&1 | grep -E '^\[ *(OK|FAILED|PASSED) |Failure|Expected|actual|error to the exact|bitwise' | head -50
stamp kernels_test
pair() {  # two 6-layer packs at once: each one's model-steps/s
  for i in 1 2; do timeout 120 $SB --layers 6 --seeds 10 --steps 1500 --warmup 100 > /tmp/pair$i.txt 2>&1 & done
  wait
  for i in 1 2; do tail -1 /tmp/pair$i.txt; done
  for i in 1 2; do tail -1 /tmp/pair$i.txt | awk '{print $4}'; done | python3 -c "import sys; print(sum(float(x) for x in sys.stdin if x.strip()))"
}
echo "== two packs at once, no MPS"; pair | tee /tmp/nomps.txt
use_mps=0
MPSC=$(command -v nvidia-cuda-mps-control || ls /usr/local/nvidia/bin/nvidia-cuda-mps-control 2>/dev/null || true)
echo "mps control: ${MPSC:-none}"
if [ -n "$MPSC" ]; then
  export PATH=$(dirname $MPSC):$PATH
  mkdir -p /tmp/mpsprobe/pipe /tmp/mpsprobe/log
  export CUDA_MPS_PIPE_DIRECTORY=/tmp/mpsprobe/pipe CUDA_MPS_LOG_DIRECTORY=/tmp/mpsprobe/log
  nvidia-cuda-mps-control -d && echo "== two packs at once, MPS" && pair | tee /tmp/mps.txt
  echo quit | nvidia-cuda-mps-control; sleep 1
  unset CUDA_MPS_PIPE_DIRECTORY CUDA_MPS_LOG_DIRECTORY
  a=$(tail -1 /tmp/nomps.txt); b=$(tail -1 /tmp/mps.txt)
  python3 -c "import sys; sys.exit(0 if float('$b' or 0) > 1.15*float('$a' or 1) else 1)" && use_mps=1
fi
echo "use_mps=$use_mps"
stamp pairs
echo "== dyck profile"; timeout 90 $SB --task dyck --layers 6 --seeds 10 --steps 100 --warmup 150 --profile 2>&1 | tail -28
stamp dyck
rm -rf /tmp/grid; mkdir -p /tmp/grid
SG_MPS=$use_mps SG_BUILD_DIR=$B setsid nohup bash deploy/gpu-run.sh bench/gpu_qf_grid.yaml /tmp/grid cuda:0 \
  > /tmp/grid.log 2>&1 < /dev/null &
echo $(date +%s) > /tmp/grid.start
stamp grid started
while [ $(( $(date +%s) - T0 )) -lt 540 ]; do
  sleep 20
  grep -q "sweep ended" /tmp/grid.log && break
done
grep -E "packs on|gpu-run: [0-9]+s" /tmp/grid.log | tail -8
stamp call2 end
