#!/usr/bin/env bash
# Session 39's prepared call: which cuBLASLt pin table is fastest in the step, on the card at
# hand. Session 39 found the H200's own table (session 38's isolated search, operands hot in
# L2) slower in the step than main's H100 table. This builds one sg-bench per table variant
# (pin_variant.py beside this script; each build recompiles the pins' file alone) and times
# the 10-seed QF rows alternating over the variants, two rounds at 6 and 2 layers, one at 10:
#   main        the H100's table, as every 9.0 / 132-SM card takes it today
#   nopins      cuBLASLt's heuristic's first for every product
#   h100no4     the H100's table without its 10-seed clusters of four
#   h200        session 38's pins-by-card.patch (the H200's isolated fastest)
#   h200hopper  that table without its two Ampere-kernel pins
# Then (not with SG_NO_COLD=1) cold-l2.patch beside this script: sg-gemm-bench --search with
# the L2 overwritten before each timed launch, to see whether isolated times so taken rank the
# tables as the step does. Any Hopper card; `run` with carry [".gpu"], kind nvidia-h200; about
# 250 s for the rows, 400 s in all. SG_VARIANTS="main nopins" picks the variants.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
echo "card: $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
D38=docs/measurements/2026-12-06-session38
D=docs/measurements/2026-12-06-session39
L=/tmp/s39_logs; rm -rf $L; mkdir -p $L /tmp/s39_orig /tmp/s39_bin
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
M=trainer/model
PIN_FILES="$M/cuda_seed_gemm.cc $M/cuda_seed_gemm_pins.cc $M/cuda_seed_gemm_pins.h \
  $M/cuda_seed_gemm_pins_test.cc"
for f in $PIN_FILES; do cp $f /tmp/s39_orig/; done
restore() {  # main's pin files, with a fresh mtime so ninja recompiles them
  for f in $PIN_FILES; do cp /tmp/s39_orig/$(basename $f) $f; done
}
variant() {  # name: edits the restored files into the variant
  case $1 in
    main) ;;
    nopins|h100no4) python3 $D/pin_variant.py $1 ;;
    h200) git apply $D38/pins-by-card.patch ;;
    h200hopper) git apply $D38/pins-by-card.patch && python3 $D/pin_variant.py h200hopper ;;
  esac
}
rm -f /tmp/sgdeps/.unpacked
VARIANTS="${SG_VARIANTS:-main nopins h100no4 h200 h200hopper}"
for v in $VARIANTS; do
  restore
  variant $v || { echo "variant $v could not be made"; save; exit 1; }
  SG_TARGETS=sg-bench bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
    > $L/build_$v.log 2>&1 || { grep -E "error" -A3 $L/build_$v.log | head -40; save; exit 1; }
  cp /tmp/sgbuild/bench/sg-bench /tmp/s39_bin/sg-bench-$v
  echo "$v built at $(el) s ($(grep -c 'Building' $L/build_$v.log) compiled)"
done
restore
# Two variants built alike would be one binary: say so rather than time it twice.
for v in $VARIANTS; do
  for w in $VARIANTS; do
    [[ "$v" < "$w" ]] && cmp -s /tmp/s39_bin/sg-bench-$v /tmp/s39_bin/sg-bench-$w \
      && echo "WARNING: $v and $w are the same binary"
  done
done
source /tmp/sgdeps/env.sh
row() {  # name variant layers
  timeout 40 /tmp/s39_bin/sg-bench-$2 --layers $3 --seeds 10 --steps 300 --warmup 100 \
    > $L/$1.log 2>&1
  echo "$1 rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$1.log | tail -1 | awk '{print $4}')"
}
for l in 6 2; do
  for k in a b; do
    for v in $VARIANTS; do row qf${l}_${v}_$k $v $l; done
  done
  save
done
for v in $VARIANTS; do row qf10_${v}_a $v 10; done
save; echo "rows done at $(el) s"
[ "${SG_NO_COLD:-0}" = 1 ] && exit 0
restore
git apply $D/cold-l2.patch || { echo "cold-l2.patch does not apply"; exit 1; }
touch bench/gemm_algo_bench.cc
SG_TARGETS=sg-gemm-bench bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON \
  -DSG_BUILD_DASHBOARD=OFF > $L/build_cold.log 2>&1 \
  || { grep -E "error" -A3 $L/build_cold.log | head -40; save; exit 1; }
echo "sg-gemm-bench with --cold-l2 built at $(el) s"
timeout 150 /tmp/sgbuild/bench/sg-gemm-bench --seeds 10 --search --cold-l2 \
  > $L/search10_cold.log 2>&1
echo "search10 cold rc=$? at $(el) s"
save; echo "total $(el) s"
