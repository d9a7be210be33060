#!/usr/bin/env bash
# Session 12, call C: side stream with held gradients (default now); adaptive one row per seed.
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test trainer_packed_step_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { tail -30 $OUT/build.log; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
T=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
$T > $OUT/kernels.log 2>&1; echo "kernel tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED|bit-equal|weights max|Failure" $OUT/kernels.log | head -20
$P > $OUT/packed.log 2>&1; echo "packed step tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED" $OUT/packed.log | head -10
SB=$B/bench/sg-bench
mkdir -p $OUT/logs
run() { name=$1; shift; timeout 150 $SB "$@" > $OUT/logs/$name.log 2>&1; echo "$name rc=$? :: $(grep -A1 'model-steps/s' $OUT/logs/$name.log | tail -1) $(grep -E 'PASS|FAIL|sg-bench: [a-z]' $OUT/logs/$name.log | grep -v 'data,' | tail -1)"; }
for l in 6 2 10; do
  run qf${l}_one --layers $l --seeds 10 --steps 300 --warmup 100 --one-stream-weight-grads
  run qf${l}_side --layers $l --seeds 10 --steps 300 --warmup 100
done
run qf6_16_side --layers 6 --seeds 16 --steps 300 --warmup 100
run check_tf32 --layers 2 --seeds 2 --check-cpu 200 --precision tf32
run check_fp32 --layers 2 --seeds 2 --check-cpu 200 --precision fp32
run check_dyck_fp32_onerow --task dyck --layers 2 --seeds 2 --check-cpu 100 --precision fp32 --one-row-per-seed
run dyck6_side --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200
run dyck6_onerow_side --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --one-row-per-seed
run dyck6_onerow_one --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --one-row-per-seed --one-stream-weight-grads
cp .gpu/anchors.py /tmp/anchors.py
timeout 120 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 > $OUT/logs/anchor.log 2>&1; echo "anchor rc=$? :: $(tail -2 $OUT/logs/anchor.log | tr '\n' ' ')"
run qf6_side_again --layers 6 --seeds 10 --steps 300 --warmup 100
run qf6_side_profile --layers 6 --seeds 10 --steps 100 --warmup 100 --profile
grep -A14 "^profile" $OUT/logs/qf6_side_profile.log | cut -c1-150
# The shared-gradient test must fail without the held tensors: build that variant and run it.
cp trainer/model/cuda_side_stream_linear.cc /tmp/side_backup.cc
sed -i '/state.held.push_back/d' trainer/model/cuda_side_stream_linear.cc
cmake --build $B --target trainer_cuda_kernels_test > $OUT/broken_build.log 2>&1; echo "broken variant built rc=$?"
$T --gtest_filter='CudaSideStreamLinearTest.GradientSharedWithAResidualStaysIntact:CudaSideStreamLinearTest.GraphTrainerFollowsTheOneStreamTrainer' > $OUT/broken.log 2>&1; echo "without the held tensors rc=$? (1 expected)"; grep -E "^\[ +(OK|FAILED) \]|weights max" $OUT/broken.log | head -6
cp /tmp/side_backup.cc trainer/model/cuda_side_stream_linear.cc
(cd $OUT && tar czf logs.tgz logs && rm -rf logs)
echo "total $(( $(date +%s) - t0 )) s"
