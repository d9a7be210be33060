#!/usr/bin/env bash
# (Needs this folder's embedding-kernels-and-linear-waits.patch applied: `git apply` it first.)
# Session 45, call A: the input embedding by our kernels (trainer/model/cuda_seed_embedding.*,
# PackTrainerOptions::fused_embedding, on by default) against LibTorch's one-hot bmm, index,
# add and dropout (sg-bench --libtorch-embedding), in one binary. Builds sg-bench and the two
# GPU suites, runs the embedding's tests, the kernel suite, the packed-step CUDA tests and
# --check-cpu, then the rows alternating (QF 6 layers twice, 2 layers twice, 10 layers once)
# and a profile of each form at 6 and 2 layers. On an H200 also the PyTorch ensemble and
# Dyck, so that the rows make issue 22's table. `run` with carry [".gpu"]; any Hopper card;
# about 300 s.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
L=/tmp/s45a_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test sg-bench" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $L/build.log 2>&1 \
  || { grep -E "error" -A3 $L/build.log | head -40; save; exit 1; }
echo "built at $(el) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
SB=$B/bench/sg-bench
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 60 $K --gtest_filter='*SeedEmbedding*:*FusedEmbedding*:*ResumeIsBitExact*' \
  > $L/embedding_tests.log 2>&1
echo "embedding tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/embedding_tests.log \
  | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure|Expected|Which is|error|Value of" $L/embedding_tests.log | head -20
timeout 240 $K > $L/kernel_tests.log 2>&1
echo "kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/kernel_tests.log | head -8
timeout 60 $PT --gtest_filter='*OnCuda*' > $L/packed_cuda.log 2>&1
echo "packed-step CUDA rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_cuda.log | tr '\n' ' ')"
for p in tf32 fp32; do
  timeout 40 $SB --check-cpu 100 --dropout 0 --layers 2 --seeds 2 --precision $p \
    > $L/check_$p.log 2>&1
  echo "check $p rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_$p.log | tail -1)"
done
save
bench() {  # name args...
  local name=$1; shift
  timeout 40 $SB "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
for i in a b; do
  bench qf6_sg_$i --layers 6 $Q
  bench qf6_lt_$i --layers 6 $Q --libtorch-embedding
  bench qf2_sg_$i --layers 2 $Q
  bench qf2_lt_$i --layers 2 $Q --libtorch-embedding
done
bench qf10_sg --layers 10 $Q
bench qf10_lt --layers 10 $Q --libtorch-embedding
for layers in 6 2; do
  for form in sg lt; do
    flag=""; [ $form = lt ] && flag=--libtorch-embedding
    timeout 40 $SB --layers $layers --seeds 10 --steps 100 --warmup 100 --profile $flag \
      > $L/prof${layers}_$form.log 2>&1
    echo "profile $layers $form rc=$? :: $(grep -E '^profile \(' $L/prof${layers}_$form.log \
      | cut -c1-150)"
  done
done
grep -E "SeedEmbedding|Embedding.*Kernel|scatter|one_hot" $L/prof6_sg.log | cut -c1-150 | head
save
case "$card" in
  *H200*)
    bench dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 \
      --ragged-granules 8,4
    cp .gpu/anchors.py /tmp/anchors.py
    timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
      > $L/anchor.log 2>&1
    echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
    bench qf6_sg_c --layers 6 $Q
    save ;;
esac
echo "total $(el) s"
