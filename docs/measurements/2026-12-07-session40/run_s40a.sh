#!/usr/bin/env bash
# Session 40's short call, for an H200 only (an H100 exits at once: session 40's first call
# ranked the tables on an H100 already). Main's sg-bench (the H100's pins) against none
# (cuBLASLt's heuristic's first), the 10-seed rows alternating, two rounds at 6 and 2 layers;
# then sg-gemm-bench with session 39's cold-l2.patch, its 10-seed search with the L2 cold
# and hot, one binary, so the two rankings can be set beside the step's. About 170 s.
# `run` with carry [".gpu"], kind nvidia-h200.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
echo "card: $card"
case "$card" in *H200*) ;; *) echo "not an H200: nothing to measure here"; exit 0 ;; esac
D39=docs/measurements/2026-12-06-session39
L=/tmp/s40_logs; rm -rf $L; mkdir -p $L /tmp/s40_bin
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
PINS=trainer/model/cuda_seed_gemm_pins.cc
cp $PINS /tmp/s40_pins.cc
rm -f /tmp/sgdeps/.unpacked
for v in main nopins; do
  cp /tmp/s40_pins.cc $PINS  # a fresh mtime, so ninja recompiles the pins' file
  [ $v = nopins ] && { python3 $D39/pin_variant.py nopins || exit 1; }
  SG_TARGETS=sg-bench bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
    > $L/build_$v.log 2>&1 || { grep -E "error" -A3 $L/build_$v.log | head -40; save; exit 1; }
  cp /tmp/sgbuild/bench/sg-bench /tmp/s40_bin/sg-bench-$v
  echo "$v built at $(el) s"
done
cp /tmp/s40_pins.cc $PINS
cmp -s /tmp/s40_bin/sg-bench-main /tmp/s40_bin/sg-bench-nopins && echo "WARNING: one binary"
source /tmp/sgdeps/env.sh
row() {  # name variant layers
  timeout 40 /tmp/s40_bin/sg-bench-$2 --layers $3 --seeds 10 --steps 300 --warmup 100 \
    > $L/$1.log 2>&1
  echo "$1 rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$1.log | tail -1 | awk '{print $4}')"
}
for l in 6 2; do
  for k in a b; do
    for v in main nopins; do row qf${l}_${v}_$k $v $l; done
  done
  save
done
git apply $D39/cold-l2.patch || { echo "cold-l2.patch does not apply"; exit 1; }
touch bench/gemm_algo_bench.cc
SG_TARGETS=sg-gemm-bench bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON \
  -DSG_BUILD_DASHBOARD=OFF > $L/build_cold.log 2>&1 \
  || { grep -E "error" -A3 $L/build_cold.log | head -40; save; exit 1; }
for mode in cold hot; do
  flag=$([ $mode = cold ] && echo --cold-l2)
  timeout 100 /tmp/sgbuild/bench/sg-gemm-bench --seeds 10 --search $flag \
    > $L/search10_$mode.log 2>&1
  echo "search10 $mode rc=$? at $(el) s"
  save
done
echo "total $(el) s"
