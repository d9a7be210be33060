#!/usr/bin/env bash
# Session 24's second GPU call: the layers' products by cuBLASLt's first-ranked algorithm
# (trainer/model/cuda_seed_gemm.h, PackTrainerOptions::lt_gemms). Builds the CUDA kernel and
# packed-step tests and sg-bench; runs the new tests, the side-stream and resume tests; then
# sg-bench with --lt-gemms against --libtorch-gemms (alternating, twice each), the table's
# other rows, --check-cpu in TF32 and fp32, a profile, and the PyTorch ensemble.
# `run` with `carry: [".gpu"]`, timeout_s 600.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test trainer_packed_step_test" \
  bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF \
  > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 150 $K --gtest_filter='CudaSeedGemmTest.*:*Resume*:CudaSideStreamLinearTest.*' > $OUT/tests.log 2>&1
echo "kernel tests rc=$? at $(el) :: $(grep -E '^\[  (PASSED|FAILED)' $OUT/tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure|max \|diff\||bit-equal" $OUT/tests.log | head -12
timeout 90 $P --gtest_filter='*Cuda*' > $OUT/packed_tests.log 2>&1
echo "packed-step tests rc=$? at $(el) :: $(grep -E '^\[  (PASSED|FAILED)' $OUT/packed_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure" $OUT/packed_tests.log | head -6
SB=$B/bench/sg-bench
bench() {
  name=$1; shift; s=$(date +%s)
  timeout 90 $SB "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? ($(( $(date +%s) - s )) s) :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"
}
bench qf6_lt_a --layers 6 --seeds 10 --steps 300 --warmup 100 --lt-gemms
bench qf6_bmm_a --layers 6 --seeds 10 --steps 300 --warmup 100 --libtorch-gemms
bench qf6_lt_b --layers 6 --seeds 10 --steps 300 --warmup 100 --lt-gemms
bench qf6_bmm_b --layers 6 --seeds 10 --steps 300 --warmup 100 --libtorch-gemms
head -1 $OUT/qf6_lt_a.log | cut -c1-400
bench qf2_lt --layers 2 --seeds 10 --steps 300 --warmup 100
bench qf2_bmm --layers 2 --seeds 10 --steps 300 --warmup 100 --libtorch-gemms
bench qf10_lt --layers 10 --seeds 10 --steps 300 --warmup 100
bench qf10_bmm --layers 10 --seeds 10 --steps 300 --warmup 100 --libtorch-gemms
bench qf6_s16_lt --layers 6 --seeds 16 --steps 300 --warmup 100
bench dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 --ragged-granules 8,4
echo "at $(el)"
for prec in tf32 fp32; do
  timeout 120 $SB --layers 2 --seeds 2 --check-cpu 100 --dropout 0 --precision $prec > $OUT/check_$prec.log 2>&1
  echo "check-cpu $prec rc=$? :: $(grep -iE 'max rel|PASS|FAIL' $OUT/check_$prec.log | tail -2 | tr '\n' ' ')"
done
echo "at $(el)"
timeout 90 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > $OUT/qf6_profile.log 2>&1
echo "profile rc=$? at $(el)"
cp .gpu/anchors.py /tmp/anchors.py
timeout 100 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 > $OUT/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $OUT/anchor.log | cut -c1-100)"
echo "total $(el)"
cd $OUT && rm -f build.log && tar czf logs.tgz *.log && rm -f *.log
