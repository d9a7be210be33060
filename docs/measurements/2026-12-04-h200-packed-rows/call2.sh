#!/usr/bin/env bash
# Session 10, GPU call 2: build; line attention and packed resume tests; sg-bench with QF packed
# (the new default) at 2/6/10 layers x 10/16 seeds, Dyck with and without dropout; --check-cpu;
# anchors; then the reduced grid started in its own session (run_s10c.sh collects it).
set -uo pipefail
T0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - T0 ))s] $*"; }
SG_TARGETS="sg-bench sg-train sg-worker sg-coordinator sgctl trainer_cuda_kernels_test trainer_packed_step_test" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 \
  || { grep -E "error|Error" $OUT/build.log | head -30; tail -30 $OUT/build.log; exit 1; }
source /tmp/sgdeps/env.sh
stamp built
B=/tmp/sgbuild SB=/tmp/sgbuild/bench/sg-bench
timeout 150 $B/trainer/trainer_cuda_kernels_test 2>&1 | grep -E '^\[ *(OK|FAILED|PASSED|SKIPPED) |Failure|Expected|Which is|max|what' | head -60
stamp kernels_test
timeout 100 $B/trainer/trainer_packed_step_test 2>&1 | grep -E '^\[ *(FAILED|PASSED|SKIPPED) |Failure|Expected|what' | head -20
stamp packed_test
run() { echo "== sg-bench $*"; timeout 100 $SB "$@" 2>&1 | grep -v '^\s*$' | tail -${TAILN:-1}; }
TAILN=4 run --layers 6 --seeds 10 --steps 300
run --layers 6 --seeds 10 --steps 300 --pack-lines off
for L in 2 10; do run --layers $L --seeds 10 --steps 300; done
for L in 2 6 10; do run --layers $L --seeds 16 --steps 300; done
stamp qf
run --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200
run --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --dropout 0
run --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --dropout 0 --masked-attention
stamp dyck
TAILN=1 run --layers 2 --seeds 2 --check-cpu 200 --precision tf32
TAILN=1 run --layers 2 --seeds 2 --check-cpu 200 --precision fp32
TAILN=1 run --task dyck --layers 2 --seeds 2 --check-cpu 100 --precision fp32
stamp check_cpu
echo "== anchors ensemble --graph"; timeout 90 python3 .gpu/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 2>&1 | tail -1
run --layers 6 --seeds 10 --steps 300
stamp anchors
rm -rf /tmp/grid; mkdir -p /tmp/grid
SG_MPS=1 SG_BUILD_DIR=$B setsid nohup bash deploy/gpu-run.sh bench/gpu_qf_grid.yaml /tmp/grid cuda:0 \
  > /tmp/grid.log 2>&1 < /dev/null &
echo $(date +%s) > /tmp/grid.start
stamp grid started
while [ $(( $(date +%s) - T0 )) -lt 580 ]; do
  sleep 10
  grep -q "sweep ended\|gpu-run: gen_acc" /tmp/grid.log && break
done
grep -E "packs on|done|claimed" /tmp/grid.log | tail -8
stamp call2 end
