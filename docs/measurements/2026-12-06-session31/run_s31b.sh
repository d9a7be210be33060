#!/usr/bin/env bash
# Session 31, call B: the tree with one-copy-inputs.patch applied (call A). On an H200: issue
# 22's table (10 and 16 seeds, Dyck, the ensemble, a profile), QF 6 with
# --separate-input-copies. On any card: sg-gemm-bench as the trainer asks cuBLASLt (no split-K)
# and with --split-k (new): whether algorithms that split k would serve the products of a
# wave or less, and whether they give the same bits twice.
# `run` with carry [".gpu"], kind nvidia-h200; ~300 s. With SG_ANY_CARD=1 an H100 does the
# gemm part (the first try, which got an H100, ran so).
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
L=/tmp/s31b_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
# The first try (an H100) ran the gemm part only; a later try leaves at once on an H100.
case "$card" in *H200*) ;; *) [ "${SG_ANY_CARD:-0}" = 1 ] || { echo "not an H200"; exit 3; } ;; esac
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench sg-gemm-bench" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF \
  -DSG_BUILD_DASHBOARD=OFF > $L/build.log 2>&1 \
  || { grep -E "error" -A3 $L/build.log | head -40; save; exit 1; }
echo "built at $(el) s"
source /tmp/sgdeps/env.sh
SB=/tmp/sgbuild/bench/sg-bench
GB=/tmp/sgbuild/bench/sg-gemm-bench
bench() {  # name args...
  name=$1; shift
  timeout 40 $SB "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
case "$card" in *H200*)
  bench qf6 --layers 6 $Q
  bench qf2 --layers 2 $Q
  bench qf10 --layers 10 $Q
  bench qf6_s16 --layers 6 --seeds 16 --steps 300 --warmup 100
  bench qf2_s16 --layers 2 --seeds 16 --steps 300 --warmup 100
  bench qf10_s16 --layers 10 --seeds 16 --steps 300 --warmup 100
  bench dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 \
    --ragged-granules 8,4
  bench qf6_b --layers 6 $Q
  bench qf6_separate --layers 6 --separate-input-copies $Q
  bench qf2_separate --layers 2 --separate-input-copies $Q
  cp .gpu/anchors.py /tmp/anchors.py
  timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
    > $L/anchor.log 2>&1
  echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
  bench qf6_c --layers 6 $Q
  timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $L/qf6_profile.log 2>&1
  echo "profile rc=$?"; grep -E "^profile|^streams|idle gaps|^update|stream [0-9]" \
    $L/qf6_profile.log | cut -c1-150
  save ;;
*) bench qf6 --layers 6 $Q ;;
esac
timeout 120 $GB --seeds 10 > $L/gemm.log 2>&1; echo "gemm rc=$?"
timeout 150 $GB --seeds 10 --split-k > $L/gemm_splitk.log 2>&1; echo "gemm split-k rc=$?"
for f in gemm gemm_splitk; do
  echo "== $f"; grep -vE "wgrad|weight grad" $L/$f.log | cut -c1-150
done
save
echo "total $(el) s"
