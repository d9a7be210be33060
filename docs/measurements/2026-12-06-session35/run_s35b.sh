#!/usr/bin/env bash
# Session 35, call B: AdamW's float4s loaded N at a time before any store (kLoadsAhead in
# trainer/model/cuda_pack_adamw.cu; the tree has 2): N = 1 (as before), 2 and 4 built one after
# another, each with the optimizer's and the update-beside-forward tests; QF rows alternating
# the three binaries (6 layers twice, 2 and 10 once, 6 layers with --update-after-step: AdamW
# alone), each with the update's profile line; on an H200 the rest of issue 22's table (Dyck,
# the ensemble, 16 seeds). `run` with carry [".gpu"]; any Hopper card; about 230 s (300 on
# an H200).
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
L=/tmp/s35b_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
rm -f /tmp/sgdeps/.unpacked
A=trainer/model/cuda_pack_adamw.cu
cp $A /tmp/adamw.cu.orig
touch $A trainer/model/cuda_seed_gemm_pins.cc trainer/model/cuda_graph_step.cc
for n in 2 4 1; do
  sed "s/^constexpr int kLoadsAhead = 2;/constexpr int kLoadsAhead = $n;/" /tmp/adamw.cu.orig > $A
  grep -q "^constexpr int kLoadsAhead = $n;" $A || { echo "no kLoadsAhead $n"; exit 1; }
  SG_TARGETS="trainer_cuda_kernels_test sg-bench" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON \
    -DSG_BUILD_DASHBOARD=OFF > $L/build$n.log 2>&1 \
    || { grep -E "error" -A3 $L/build$n.log | head -40; save; exit 1; }
  source /tmp/sgdeps/env.sh
  cp /tmp/sgbuild/bench/sg-bench /tmp/sb$n
  K=$(find /tmp/sgbuild -name trainer_cuda_kernels_test -type f | head -1)
  timeout 90 $K --gtest_filter='*CudaPackOptimizer*:*UpdateBesideForward*' > $L/tests$n.log 2>&1
  echo "N=$n built at $(el) s; optimizer + beside-forward tests rc=$? ::" \
    "$(grep -E '^\[  (PASSED|FAILED)' $L/tests$n.log | tr '\n' ' ')"
  grep -E "^\[  FAILED" $L/tests$n.log | head -5
done
cp /tmp/adamw.cu.orig $A
save
bench() {  # name binary args...
  name=$1; bin=$2; shift 2
  timeout 40 $bin "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1 | cut -c1-75)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
for r in a b; do
  for n in 1 2 4; do bench qf6_N${n}_$r /tmp/sb$n --layers 6 $Q; done
done
for n in 1 2 4; do bench qf2_N$n /tmp/sb$n --layers 2 $Q; done
for n in 1 2 4; do bench qf10_N$n /tmp/sb$n --layers 10 $Q; done
for n in 1 2 4; do bench qf6_after_N$n /tmp/sb$n --layers 6 $Q --update-after-step; done
for n in 1 2 4; do
  timeout 40 /tmp/sb$n --layers 6 --seeds 10 --steps 100 --warmup 100 --profile \
    > $L/qf6_profile_N$n.log 2>&1
  echo "N=$n profile: $(grep -E '^update' $L/qf6_profile_N$n.log | cut -c1-140)"
  timeout 40 /tmp/sb$n --layers 6 --seeds 10 --steps 100 --warmup 100 --profile \
    --update-after-step > $L/qf6_after_profile_N$n.log 2>&1
  echo "N=$n after-step profile: $(grep -E '^update' $L/qf6_after_profile_N$n.log | cut -c1-140)"
done
save
case "$card" in *H200*)  # the rest of issue 22's table with the tree's binary (N = 2)
  bench dyck6 /tmp/sb2 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 \
    --ragged 128 --ragged-granules 8,4
  cp .gpu/anchors.py /tmp/anchors.py
  timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
    > $L/anchor.log 2>&1
  echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
  for l in 6 2 10; do bench qf${l}_s16 /tmp/sb2 --layers $l --seeds 16 --steps 300 --warmup 100; done
  bench qf6_N2_c /tmp/sb2 --layers 6 $Q
  save ;;
esac
echo "total $(el) s"
