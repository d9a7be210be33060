#!/usr/bin/env bash
# Prepared in session 30 for the next H200: issue 22's table with the tree as it stands (the
# residual gradient relay and the bias gradients in the wgmma kernel by default since session
# 30, the wgmma weight gradients since 29)
# and QF 6 layers with --autograd-residual-grads on the same machine; with SG_GRID=1, then
# the reduced grid started in the background for a next call
# (../2026-12-05-session24/run_s24d_wait.sh on the same warm machine). Leaves at once (exit 3)
# on any other card. `run` with `carry: [".gpu"]`, kind nvidia-h200, timeout_s 600.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
echo "card: $card"
case "$card" in *H200*) ;; *) echo "not an H200: nothing run"; exit 3 ;; esac
L=/tmp/h200_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
rm -f /tmp/sgdeps/.unpacked
T="sg-bench"; [ "${SG_GRID:-0}" = 1 ] && T="$T sg-train sg-worker sg-coordinator sgctl"
SG_TARGETS="$T" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF \
  > $L/build.log 2>&1 || { grep -E "error" $L/build.log | head -30; save; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
SB=/tmp/sgbuild/bench/sg-bench
bench() {
  name=$1; shift
  timeout 40 $SB "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
bench qf6 --layers 6 $Q
bench qf2 --layers 2 $Q
bench qf10 --layers 10 $Q
bench qf6_s16 --layers 6 --seeds 16 --steps 300 --warmup 100
bench qf2_s16 --layers 2 --seeds 16 --steps 300 --warmup 100
bench qf10_s16 --layers 10 --seeds 16 --steps 300 --warmup 100
bench dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 --ragged-granules 8,4
bench qf6_b --layers 6 $Q
bench qf6_autograd --layers 6 --autograd-residual-grads $Q
cp .gpu/anchors.py /tmp/anchors.py
timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 > $L/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $L/qf6_profile.log 2>&1
echo "profile rc=$?"; sed -n '/^streams/,$p' $L/qf6_profile.log | head -5
save
[ "${SG_GRID:-0}" = 1 ] || { echo "total $(el)"; exit 0; }
setsid nohup bash docs/measurements/2026-12-05-session24/grid_bg.sh > /tmp/grid_bg.out 2>&1 < /dev/null &
echo "grid started at $(el)"
while [ $(( $(date +%s) - t0 )) -lt 585 ] && [ ! -f /tmp/s24grid/rc ]; do sleep 5; done
echo "at $(el): $(tail -1 /tmp/s24grid/grid.log)"
