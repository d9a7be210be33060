#!/usr/bin/env bash
# Session 34, call A: on an H200 issue 22's table (session 33's run_s33d_h200_table.sh). On any
# other card: the tests of session 33's review commits (seed_gemm::TryEnqueue, PlanFor,
# PlannedConfig: built and run on a GPU for the first time), the kernel suite, packed-step CUDA,
# --check-cpu; then whether the pins' cluster shapes cost in the step (the 10-seed pins with
# every Hopper cluster 1x1, alternating with the tree, QF 6 and 2 layers), and how much hiding
# the update behind the next forward could give at most (update-overlap-bound.patch,
# SG_UPDATE_OVERLAP_BOUND set or not in one binary). `run` with carry [".gpu"]; about 400 s on
# an H100.
set -uo pipefail
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
case "$card" in
  *H200*) exec bash docs/measurements/2026-12-06-session33/run_s33d_h200_table.sh ;;
esac
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
L=/tmp/s34a_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
rm -f /tmp/sgdeps/.unpacked
P=trainer/model/cuda_seed_gemm_pins.cc
touch $P trainer/model/cuda_wgmma_weight_grad_kernel.cu
build() {  # log targets...
  log=$1; shift
  SG_TARGETS="$*" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
    > $L/$log.log 2>&1 || { grep -E "error" -A3 $L/$log.log | head -40; save; exit 1; }
  echo "$log at $(el) s"
}
build build_tree trainer_cuda_kernels_test trainer_packed_step_test sg-bench sg-gemm-bench
B=/tmp/sgbuild
cp $B/bench/sg-bench /tmp/sg-bench-tree
source /tmp/sgdeps/env.sh
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
PT=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 120 $K --gtest_filter='*SeedGemm*:*ResumeIsBitExact*' > $L/new_tests.log 2>&1
echo "pins + seed gemm + resume tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/new_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|^\[  SKIPPED|Failure|Expected|Which is|error|Value of" $L/new_tests.log | head -30
save
timeout 200 $K > $L/kernel_tests.log 2>&1
echo "kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/kernel_tests.log | head -8
timeout 60 $PT --gtest_filter='*OnCuda*' > $L/packed_cuda.log 2>&1
echo "packed-step CUDA rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_cuda.log | tr '\n' ' ')"
SB=/tmp/sg-bench-tree
for p in tf32 fp32; do
  timeout 40 $SB --check-cpu 100 --dropout 0 --layers 2 --seeds 2 --precision $p \
    > $L/check_$p.log 2>&1
  echo "check $p rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_$p.log | tail -1)"
done
save
# The variant: every pinned Hopper configuration with clusters of one block.
cp $P /tmp/pins.cc.orig
sed -i 's/Hopper(\(kTile[0-9x]*\), kCluster[0-9xA-Za-z]*)/Hopper(\1, CUBLASLT_CLUSTER_SHAPE_1x1x1)/' $P
echo "variant pins: $(grep -c CUBLASLT_CLUSTER_SHAPE_1x1x1 $P) of $(grep -c 'Hopper(kTile' /tmp/pins.cc.orig)"
build build_one sg-bench
cp $B/bench/sg-bench /tmp/sg-bench-one
cp /tmp/pins.cc.orig $P
touch $P
patch -p1 < docs/measurements/2026-12-06-session34/update-overlap-bound.patch > /dev/null \
  || { echo "overlap patch failed"; exit 1; }
build build_overlap sg-bench
cp $B/bench/sg-bench /tmp/sg-bench-overlap
bench() {  # name binary args...
  name=$1; bin=$2; shift 2
  timeout 40 $bin "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
for i in a b; do
  bench qf6_tree_$i /tmp/sg-bench-tree --layers 6 $Q
  bench qf6_one_$i /tmp/sg-bench-one --layers 6 $Q
done
bench qf2_tree /tmp/sg-bench-tree --layers 2 $Q
bench qf2_one /tmp/sg-bench-one --layers 2 $Q
for i in a b; do
  bench qf6_ov_off_$i /tmp/sg-bench-overlap --layers 6 $Q
  SG_UPDATE_OVERLAP_BOUND=1 bench qf6_ov_on_$i /tmp/sg-bench-overlap --layers 6 $Q
done
bench qf2_ov_off /tmp/sg-bench-overlap --layers 2 $Q
SG_UPDATE_OVERLAP_BOUND=1 bench qf2_ov_on /tmp/sg-bench-overlap --layers 2 $Q
SG_UPDATE_OVERLAP_BOUND=1 timeout 40 /tmp/sg-bench-overlap --layers 6 --seeds 10 --steps 100 \
  --warmup 100 --profile \
  > $L/prof6_ov_on.log 2>&1
echo "profile rc=$?"; grep -E "^profile|AdamW|^streams|stream [0-9]|^update" \
  $L/prof6_ov_on.log | cut -c1-150
save
echo "total $(el) s"
