#!/usr/bin/env bash
# Session 38's prepared call: pins-by-card.patch (the H200's cuBLASLt pins from its own
# sg-gemm-bench --search, the H100's kept for the H100 80GB HBM3 alone) against main, on an
# H200. Builds sg-bench before and after the patch (the kernel suite too, and runs the pins'
# tests), runs the 10-seed QF rows alternating (base, card), then searches
# the 16-seed products (no H200 table for them yet). Leaves at once (exit 3) on any other card
# unless SG_ANY_CARD=1 (on an H100 the rows should not move: its table is unchanged).
# SG_QUICK=1: the 6-layer rows alone and no 16-seed search (a check of the build and the
# pins' tests on an H100); SG_NO_SEARCH=1: no 16-seed search (little device time left).
# SG_NO_BASE=1: the patched build alone, its rows against the targets (no main beside it).
# `run` with carry [".gpu"], kind nvidia-h200; about 400 s.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
case "$card" in
  *H200*) ;;
  *) [ "${SG_ANY_CARD:-0}" = 1 ] || { echo "not an H200: nothing run"; exit 3; } ;;
esac
D=docs/measurements/2026-12-06-session38
L=/tmp/s38_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
build() {  # log targets...
  log=$1; shift
  SG_TARGETS="$*" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
    > $L/$log.log 2>&1 || { grep -E "error" -A3 $L/$log.log | head -40; save; exit 1; }
  echo "$log at $(el) s"
}
rm -f /tmp/sgdeps/.unpacked
nobase=${SG_NO_BASE:-0}
if [ "$nobase" != 1 ]; then
  build build_base sg-bench
  cp /tmp/sgbuild/bench/sg-bench /tmp/sg-bench-base
fi
git apply $D/pins-by-card.patch || { echo "the patch does not apply"; exit 1; }
build build_card sg-bench sg-gemm-bench trainer_cuda_kernels_test
source /tmp/sgdeps/env.sh
T=$(find /tmp/sgbuild -name trainer_cuda_kernels_test -type f | head -1)
timeout 90 $T --gtest_filter='CudaSeedGemm*' > $L/pins_tests.log 2>&1
echo "pins tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED|SKIPPED)' $L/pins_tests.log | tr '\n' ' ')"
save
cp /tmp/sgbuild/bench/sg-bench /tmp/sg-bench-card
row() {  # name binary layers
  timeout 40 $2 --layers $3 --seeds 10 --steps 300 --warmup 100 > $L/$1.log 2>&1
  echo "$1 rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$1.log | tail -1)"
  save
}
layers="6 2 10"; [ "${SG_QUICK:-0}" = 1 ] && layers=6
for l in $layers; do
  for k in a b; do
    [ "$nobase" = 1 ] || row qf${l}_base_$k /tmp/sg-bench-base $l
    row qf${l}_card_$k /tmp/sg-bench-card $l
  done
done
[ "${SG_QUICK:-0}" = 1 ] || [ "${SG_NO_SEARCH:-0}" = 1 ] && { echo "total $(el) s"; exit 0; }
timeout 90 /tmp/sgbuild/bench/sg-gemm-bench --seeds 16 --search > $L/search16.log 2>&1
echo "search16 rc=$?"
save; echo "total $(el) s"
