#!/usr/bin/env bash
# Session 33, call D: issue 22's table on the H200 with the tree as this session leaves it (the
# chain's products by the pinned cuBLASLt configurations, trainer/model/cuda_seed_gemm_pins.h),
# the ensemble in the same run, a profile; the tree without the pins (no pin found for any
# product) alternating with it for QF 2 / 6 / 10 layers; sg-gemm-bench --search for 10 and 16
# seeds (whether the H100's pins are the H200's fastest too). Leaves at once (exit 3) on any other
# card. `run` with carry [".gpu"], kind nvidia-h200; about 350 s.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
case "$card" in *H200*) ;; *) [ "${SG_ANY_CARD:-0}" = 1 ] || { echo "not an H200: nothing run"; exit 3; } ;; esac
L=/tmp/s33d_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
rm -f /tmp/sgdeps/.unpacked
# On a machine another call left warm, files that call patched may be older than their objects
# (session 33's call G): touch them so the build takes the tree's.
touch trainer/model/cuda_seed_gemm_pins.cc trainer/model/cuda_wgmma_weight_grad_kernel.cu
build() {  # log targets...
  log=$1; shift
  SG_TARGETS="$*" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF \
    > $L/$log.log 2>&1 || { grep -E "error" -A3 $L/$log.log | head -40; save; exit 1; }
  echo "$log at $(el) s"
}
build build_pins sg-bench sg-gemm-bench
cp /tmp/sgbuild/bench/sg-bench /tmp/sg-bench-pins
cp /tmp/sgbuild/bench/sg-gemm-bench /tmp/sg-gemm-bench
# The base: no pin found for any product, so every product takes the heuristic's first, as
# before the pins (the tree less gemm-pins.patch's effect; the patch itself no longer reverses
# cleanly, its comments having changed since).
P=trainer/model/cuda_seed_gemm_pins.cc
cp $P /tmp/pins.cc.orig
sed -i 's|return &pin.config;|return nullptr;|' $P
grep -q "return nullptr;" $P && ! grep -q "return &pin.config;" $P \
  || { echo "could not take the pins out"; exit 1; }
build build_base sg-bench
cp /tmp/sgbuild/bench/sg-bench /tmp/sg-bench-base
cp /tmp/pins.cc.orig $P
source /tmp/sgdeps/env.sh
SB=/tmp/sg-bench-pins
BASE=/tmp/sg-bench-base
bench() {  # name binary args...
  name=$1; bin=$2; shift 2
  timeout 40 $bin "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
Q16="--seeds 16 --steps 300 --warmup 100"
bench qf6 $SB --layers 6 $Q
bench qf2 $SB --layers 2 $Q
bench qf10 $SB --layers 10 $Q
bench qf6_s16 $SB --layers 6 $Q16
bench qf2_s16 $SB --layers 2 $Q16
bench qf10_s16 $SB --layers 10 $Q16
bench dyck6 $SB --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 \
  --ragged-granules 8,4
cp .gpu/anchors.py /tmp/anchors.py
timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
  > $L/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
bench qf6_b $SB --layers 6 $Q
bench qf6_base $BASE --layers 6 $Q
bench qf2_b $SB --layers 2 $Q
bench qf2_base $BASE --layers 2 $Q
bench qf10_b $SB --layers 10 $Q
bench qf10_base $BASE --layers 10 $Q
bench qf6_s16_base $BASE --layers 6 $Q16
timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $L/qf6_profile.log 2>&1
echo "profile rc=$?"; grep -E "^profile|^streams|^update" $L/qf6_profile.log | cut -c1-150
save
for s in 10 16; do
  timeout 60 /tmp/sg-gemm-bench --seeds $s --search > $L/search$s.log 2>&1
  echo "search $s rc=$?"; grep -A1 "heuristic first" $L/search$s.log | grep -v "^--" | cut -c1-150
done
save
echo "total $(el) s"
