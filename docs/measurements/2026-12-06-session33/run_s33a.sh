#!/usr/bin/env bash
# Session 33, call A: sg-gemm-bench --search (new) on whatever card comes: the fastest of
# cuBLASLt's configurations for the chain's eight products a layer (10 seeds x 256 rows), with
# the heuristic's first beside them. On an H200 also issue 22's table with the tree as session
# 32 left it (the same runs as ../2026-12-06-session31/run_s31e_h200_table.sh).
# `run` with carry [".gpu"], kind nvidia-h200; about 300 s (H100), 500 s (H200).
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
L=/tmp/s33a_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench sg-gemm-bench" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF \
  -DSG_BUILD_DASHBOARD=OFF > $L/build.log 2>&1 \
  || { grep -E "error" -A3 $L/build.log | head -40; save; exit 1; }
echo "built at $(el) s"
source /tmp/sgdeps/env.sh
SB=/tmp/sgbuild/bench/sg-bench
GB=/tmp/sgbuild/bench/sg-gemm-bench
bench() {
  name=$1; shift
  timeout 40 $SB "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
timeout 240 $GB --seeds 10 --search > $L/search10.log 2>&1; echo "search rc=$? at $(el) s"
cut -c1-170 $L/search10.log; save
case "$card" in *H200*)
  bench qf6 --layers 6 $Q
  bench qf2 --layers 2 $Q
  bench qf10 --layers 10 $Q
  bench qf6_s16 --layers 6 --seeds 16 --steps 300 --warmup 100
  bench qf2_s16 --layers 2 --seeds 16 --steps 300 --warmup 100
  bench qf10_s16 --layers 10 --seeds 16 --steps 300 --warmup 100
  bench dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 \
    --ragged-granules 8,4
  cp .gpu/anchors.py /tmp/anchors.py
  timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
    > $L/anchor.log 2>&1
  echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
  bench qf6_b --layers 6 $Q
  bench qf2_b --layers 2 $Q
  timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $L/qf6_profile.log 2>&1
  echo "profile rc=$?"; grep -E "^profile|^streams|^update" $L/qf6_profile.log | cut -c1-150
  ;;
*) bench qf6 --layers 6 $Q ;;
esac
save
echo "total $(el) s"
