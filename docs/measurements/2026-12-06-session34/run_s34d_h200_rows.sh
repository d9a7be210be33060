#!/usr/bin/env bash
# Session 34, call D: issue 22's rows on an H200 with the tree as this session leaves it (the
# update beside the next forward on by default), the PyTorch ensemble in the same run. Leaves
# at once (exit 3) on any other card. `run` with carry [".gpu"], kind nvidia-h200; about 150 s.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
case "$card" in *H200*) ;; *) [ "${SG_ANY_CARD:-0}" = 1 ] || { echo "not an H200: nothing run"; exit 3; } ;; esac
L=/tmp/s34d_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
rm -f /tmp/sgdeps/.unpacked
touch trainer/model/cuda_seed_gemm_pins.cc trainer/model/cuda_graph_step.cc
SG_TARGETS="sg-bench" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF \
  > $L/build.log 2>&1 || { grep -E "error" -A3 $L/build.log | head -40; save; exit 1; }
echo "build at $(el) s"
source /tmp/sgdeps/env.sh
SB=/tmp/sgbuild/bench/sg-bench
bench() {  # name args...
  name=$1; shift
  timeout 40 $SB "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
bench qf6 --layers 6 $Q
bench qf2 --layers 2 $Q
bench qf10 --layers 10 $Q
bench qf6_after --layers 6 $Q --update-after-step
bench dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 \
  --ragged-granules 8,4
cp .gpu/anchors.py /tmp/anchors.py
timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
  > $L/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
bench qf6_b --layers 6 $Q
save
echo "total $(el) s"
