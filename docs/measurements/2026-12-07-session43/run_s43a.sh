#!/usr/bin/env bash
# Session 43's call, on an H200: issue 22's 10-seed table with the attention backward at three
# blocks an SM (session 42's two patches, landed this session after call 1 on an H100), the
# PyTorch ensemble in the same run, the attention tests, then session 41's pin search in the
# step (run_s41a.sh, which builds nothing new: the same targets and flags as here).
# SG_BUDGET_S (default 150), SG_FINALS (default 6:3,2:2,10:1) and SG_NO_LAND (default 0) go
# to run_s41a.sh; SG_NO_SEARCH=1 stops after the table (about 150 s). Leaves at once (exit 3)
# on another card unless SG_ANY_CARD=1. `run` with carry [".gpu"], kind nvidia-h200, timeout
# 600; about 450 s with the search and its landing.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
case "$card" in
  *H200*) ;;
  *) [ "${SG_ANY_CARD:-0}" = 1 ] || { echo "not an H200: nothing run"; exit 3; } ;;
esac
L=$OUT/table; mkdir -p $L
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test" bash .gpu/build_targets.sh \
  -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $L/build.log 2>&1 \
  || { grep -E "error" -A3 $L/build.log | head -40; exit 1; }
echo "built at $(el) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild/bench/sg-bench
bench() {  # name args...
  local name=$1; shift
  timeout 40 $B "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
}
Q="--seeds 10 --steps 300 --warmup 100"
bench qf6 --layers 6 $Q
bench qf2 --layers 2 $Q
bench qf10 --layers 10 $Q
bench dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 \
  --ragged-granules 8,4
cp .gpu/anchors.py /tmp/anchors.py
timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
  > $L/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
bench qf6_b --layers 6 $Q
K=$(find /tmp/sgbuild -name trainer_cuda_kernels_test -type f | head -1)
timeout 120 "$K" --gtest_filter='*LineAttention*:*ResumeIsBitExact*' > $L/attention_tests.log 2>&1
echo "attention tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED|SKIPPED)' $L/attention_tests.log \
  | tr '\n' ' ')"
[ "${SG_NO_SEARCH:-0}" = 1 ] && { echo "total $(el) s"; exit 0; }
SG_BUDGET_S=${SG_BUDGET_S:-150} SG_FINALS=${SG_FINALS:-6:3,2:2,10:1} \
  SG_NO_LAND=${SG_NO_LAND:-0} bash docs/measurements/2026-12-07-session41/run_s41a.sh
echo "total $(el) s"
