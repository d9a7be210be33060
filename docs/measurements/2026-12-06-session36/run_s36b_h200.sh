#!/usr/bin/env bash
# Session 36, call B: issue 22's table on an H200 (QF 2 / 6 / 10 layers at 10 and 16 seeds,
# Dyck, the PyTorch ensemble in the same run, a second 6-layer row, the kernel profile). Leaves
# at once (exit 3) on any other card: the H100's rows of this tree are call A's (session 35's
# run_s35a.sh). `run` with carry [".gpu"], kind nvidia-h200; about 200 s
# (SG_SHORT=1: about 140 s).
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
case "$card" in *H200*) ;; *) [ "${SG_ANY_CARD:-0}" = 1 ] || { echo "not an H200: nothing run"; exit 3; } ;; esac
L=/tmp/s36_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
rm -f /tmp/sgdeps/.unpacked
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
Q16="--seeds 16 --steps 300 --warmup 100"
bench qf6 --layers 6 $Q
bench qf2 --layers 2 $Q
bench qf10 --layers 10 $Q
bench dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 \
  --ragged-granules 8,4
cp .gpu/anchors.py /tmp/anchors.py
timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
  > $L/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
# SG_SHORT=1: the 10-seed rows and the ensemble alone (about 140 s), for a call with little
# device time left.
[ "${SG_SHORT:-0}" = 1 ] && { save; echo "total $(el) s"; exit 0; }
bench qf6_b --layers 6 $Q
bench qf2_b --layers 2 $Q
bench qf10_b --layers 10 $Q
bench qf6_s16 --layers 6 $Q16
bench qf2_s16 --layers 2 $Q16
bench qf10_s16 --layers 10 $Q16
timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $L/qf6_profile.log 2>&1
echo "profile rc=$?"; grep -E "^profile|^streams|^update" $L/qf6_profile.log | cut -c1-150
save
echo "total $(el) s"
