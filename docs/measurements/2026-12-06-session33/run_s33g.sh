#!/usr/bin/env bash
# Session 33, call G: the tree as this session leaves it (the pins), issue 22's rows on the
# card at hand with the PyTorch ensemble in the same run (no H200 came). `run` with carry
# [".gpu"] on the warm machine of call F; about 200 s.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
L=/tmp/s33g_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
rm -f /tmp/sgdeps/.unpacked
# Call F left its four-stage kernel built in /tmp/sgbuild, and the copied tree's file is older
# than that object, so the build would keep it (the first try of this call did): touch it.
touch trainer/model/cuda_wgmma_weight_grad_kernel.cu
SG_TARGETS="sg-bench" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF \
  > $L/build.log 2>&1 || { grep -E "error" $L/build.log | head -30; save; exit 1; }
echo "built at $(el) s"
source /tmp/sgdeps/env.sh
SB=/tmp/sgbuild/bench/sg-bench
bench() {
  name=$1; shift
  timeout 40 $SB "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
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
save
echo "total $(el) s"
