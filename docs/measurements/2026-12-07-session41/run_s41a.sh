#!/usr/bin/env bash
# Session 41's call: the pin table searched in the step, on an H200. Builds sg-bench (with
# --gemm-pins, new this session) and the kernel suite, runs the pins' tests (the new
# AReplacedTableIsTakenAndTheCompiledOneComesBack among them), writes main's table with
# --print-gemm-pins, then step_pin_search.py (beside this file) times one sg-bench over
# tables that differ from main's in one product at a time, candidates_h200.txt's, and ends
# with main, the table found and no pins alternating at 6, 2 and 10 layers. Where the table
# found wins (step_pin_search.py's verdict.txt: "land"), it is compiled in as the H200's own
# (trainer/model/cuda_seed_gemm_pins_h200.inc), built, tested and timed against main's binary.
# About 510 s.
# On another card (an H100) it checks the new path only unless SG_ANY_CARD=1: the tests,
# then at 6 layers main's table compiled, four packs in one process (main's table from its
# printed file, no pins, main's, no pins), each of those two alone, and the compiled one
# again (the file's rows should equal the compiled ones, no pins be slower), about 130 s.
# SG_BUDGET_S: seconds for the search (default 240); SG_FINALS: the final rows (default
# 6:3,2:3,10:2, layers:rounds); SG_NO_LAND=1: no compiling-in after (short of device time).
# `run` with carry [".gpu"], kind nvidia-h200, timeout 600.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
echo "card: $card"
D=docs/measurements/2026-12-07-session41
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test" bash .gpu/build_targets.sh \
  -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 \
  || { grep -E "error" -A3 $OUT/build.log | head -40; exit 1; }
echo "built at $(el) s"
source /tmp/sgdeps/env.sh
T=$(find /tmp/sgbuild -name trainer_cuda_kernels_test -type f | head -1)
timeout 120 "$T" --gtest_filter='CudaSeedGemm*' > $OUT/pins_tests.log 2>&1
echo "pins tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED|SKIPPED)|^\[  FAILED' \
  $OUT/pins_tests.log | tr '\n' ' ')"
B=/tmp/sgbuild/bench/sg-bench
$B --print-gemm-pins > $OUT/main_pins.txt
echo "main's table: $(grep -vc '^#' $OUT/main_pins.txt) pins"
: > $OUT/no_pins.txt
row() {  # name flags...
  local name=$1; shift
  timeout 40 $B --layers 6 --seeds 10 --steps 300 --warmup 100 "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1 \
    | awk '{print $4}')"
}
case "$card" in
  *H200*) ;;
  *)
    if [ "${SG_ANY_CARD:-0}" != 1 ]; then
      row qf6_compiled_a
      # Four packs in one process: main's table from its file, none, main's, none.
      mp=$OUT/main_pins.txt np=$OUT/no_pins.txt
      row qf6_multi --gemm-pins $mp,$np,$mp,$np
      grep -A1 "^gemm pins" $OUT/qf6_multi.log | grep -v "^--" | paste - - | awk '{print $3, $8}'
      row qf6_file_a --gemm-pins $OUT/main_pins.txt
      row qf6_none_a --gemm-pins $OUT/no_pins.txt
      row qf6_compiled_b
      grep -m1 "layer GEMMs" $OUT/qf6_file_a.log | grep -o "layer GEMMs [^,]*,[^,]*"
      echo "not an H200: the new path checked, no search; total $(el) s"
      exit 0
    fi
    ;;
esac
timeout $(( ${SG_BUDGET_S:-240} + 150 )) python3 -u $D/step_pin_search.py --bench $B \
  --main $OUT/main_pins.txt --candidates $D/candidates_h200.txt --out $OUT/search \
  --budget-s "${SG_BUDGET_S:-240}" --finals "${SG_FINALS:-6:3,2:3,10:2}"
echo "search rc=$? at $(el) s"
[ "$(cat $OUT/search/verdict.txt 2>/dev/null)" = land ] && [ "${SG_NO_LAND:-0}" != 1 ] \
  || { echo "total $(el) s"; exit 0; }
# The table found, compiled in as the H200's own (cuda_seed_gemm_pins_h200.inc), built,
# tested, and timed against main's binary, rows alternating.
cp $B /tmp/sg-bench-main
INC=trainer/model/cuda_seed_gemm_pins_h200.inc
{ grep '^//' $INC; echo 'R"pins('; grep -v '^#' $OUT/search/found_pins.txt | sed 's/ *#.*//'
  echo ')pins"'; } > /tmp/h200.inc && cp /tmp/h200.inc $INC && cp $INC $OUT/
touch trainer/model/cuda_seed_gemm_pins.cc
SG_TARGETS="sg-bench trainer_cuda_kernels_test" bash .gpu/build_targets.sh \
  -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build_h200.log 2>&1 \
  || { grep -E "error" -A3 $OUT/build_h200.log | head -40; exit 1; }
cmp -s $B /tmp/sg-bench-main && echo "WARNING: the same binary"
echo "the H200's table built at $(el) s"
timeout 120 "$T" --gtest_filter='CudaSeedGemm*' > $OUT/pins_tests_h200.log 2>&1
echo "pins tests with the H200's table rc=$? :: $(grep -E '^\[  (PASSED|FAILED|SKIPPED)' \
  $OUT/pins_tests_h200.log | tr '\n' ' ')"
$B --print-gemm-pins > $OUT/h200_pins_compiled.txt
for l in 6 2 6 2 10; do
  for v in main h200; do
    b=$B; [ $v = main ] && b=/tmp/sg-bench-main
    timeout 40 $b --layers $l --seeds 10 --steps 300 --warmup 100 > $OUT/land_${v}_$l.log 2>&1
    echo "land $v L$l at $(el) s :: $(grep -A1 'model-steps/s' $OUT/land_${v}_$l.log | tail -1 \
      | awk '{print $4}')"
  done
done
echo "total $(el) s"
