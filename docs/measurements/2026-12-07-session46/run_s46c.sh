#!/usr/bin/env bash
# Session 46, call C: the split-K products (this folder's split-k-products.patch, which the
# script applies first where the tree lacks it: trainer/model/cuda_split_k_gemm_kernel.*,
# PackTrainerOptions::split_k_products, off by default; sg-bench --split-k-products) on any
# Hopper card, the most wanted first (logs saved as it goes): a build of sg-bench and the
# kernel suite, the split-K tests and the other products' tests, QF 6 layers against main's
# cuBLASLt products; on an H200 then session 43's table (run_s43a.sh's rows, the ensemble and
# Dyck); 6 layers again, --check-cpu with them, 2 and 10 layers, the split and stages at 6
# layers, a profile of each, the kernel suite, and last the probe apart from sg (run_s46a.sh:
# its checks and its times against cuBLAS; SG_NO_PROBE=1 skips it). `run` with carry
# [".gpu"], timeout 600; about 420 s (480 on an H200).
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
D=docs/measurements/2026-12-07-session46
L=/tmp/s46c_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
if [ ! -f trainer/model/cuda_split_k_gemm_kernel.cu ]; then
  git apply $D/split-k-products.patch 2>/dev/null || patch -p1 < $D/split-k-products.patch \
    || { echo "split-k-products.patch does not apply"; exit 1; }
fi
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="trainer_cuda_kernels_test sg-bench" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $L/build.log 2>&1 \
  || { grep -E "error" -A3 $L/build.log | head -40; save; exit 1; }
echo "built at $(el) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
SB=$B/bench/sg-bench
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
bench() {  # name args...
  local name=$1; shift
  timeout 40 $SB "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
timeout 120 $K --gtest_filter='CudaSplitKGemmTest.*:CudaSeedGemmTest.*' > $L/tests.log 2>&1
echo "split-K and products tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/tests.log \
  | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure|Expected|Which is|error|Value of|max relative" $L/tests.log \
  | head -20
bench qf6_lt_a --layers 6 $Q
bench qf6_sk_a --layers 6 $Q --split-k-products
case "$card" in
  *H200*)
    bench t_qf2 --layers 2 $Q
    bench t_qf10 --layers 10 $Q
    bench t_dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 \
      --ragged-granules 8,4
    cp .gpu/anchors.py /tmp/anchors.py
    timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
      > $L/anchor.log 2>&1
    echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)" ;;
esac
bench qf6_lt_b --layers 6 $Q
bench qf6_sk_b --layers 6 $Q --split-k-products
for p in tf32 fp32; do
  timeout 40 $SB --check-cpu 100 --dropout 0 --layers 2 --seeds 2 --precision $p \
    --split-k-products > $L/check_$p.log 2>&1
  echo "check $p rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_$p.log | tail -1)"
done
save
bench qf2_lt --layers 2 $Q
bench qf2_sk --layers 2 $Q --split-k-products
bench qf10_lt --layers 10 $Q
bench qf10_sk --layers 10 $Q --split-k-products
for shape in 1:3 2:4 4:3; do
  bench qf6_sk_${shape/:/_} --layers 6 $Q --split-k $shape
done
for form in lt sk; do
  flag=""; [ $form = sk ] && flag=--split-k-products
  timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile $flag \
    > $L/prof6_$form.log 2>&1
  echo "profile 6 $form rc=$? :: $(grep -E '^profile \(' $L/prof6_$form.log | cut -c1-150)"
done
grep -E "SplitK|Kernel<|gemm|sm90" $L/prof6_sk.log | cut -c1-150 | head -12
save
timeout 150 $K > $L/kernel_tests.log 2>&1
echo "kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/kernel_tests.log | head -8
save
if [ "${SG_NO_PROBE:-0}" != 1 ]; then
  timeout 150 bash $D/run_s46a.sh > $L/probe.log 2>&1
  echo "probe rc=$? at $(el) s"
  grep -vE "^(input grad|forward) .*PASS$" $L/probe.log | grep -v "^ *$" | head -60
  save
fi
echo "total $(el) s"
