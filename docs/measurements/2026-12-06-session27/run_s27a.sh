#!/usr/bin/env bash
# Session 27, call A: our residual + LayerNorm rows' kernels with 16-byte loads and arrays sized
# to the model's width (untested-layer-norm-vector-loads.patch) against the tree's, in one call.
# Session 24's H200 profile gave them 15.6 us (forward) and 24.8 us (backward rows) a launch for
# 10 x 256 rows of 512 floats, a few MB each: far from the bandwidth. ptxas (CUDA 13, sm_90):
# the backward rows' kernel 84 registers (two 256-thread blocks an SM: 264 slots for 320
# blocks, two waves), 64 with the patch; the forward 63 -> 40.
# Builds a copy of the tree with the patch into /tmp/sgbuild (kernel suite, sg-bench), the
# tree into /tmp/sgbuild2 (sg-bench) while the suite runs; sg-bench QF and Dyck alternating,
# a profile of each. Logs saved after each stage. `run` with `carry: [".gpu"]`.
set -uo pipefail
t0=$(date +%s)
el() { echo $(( $(date +%s) - t0 )); }
D=docs/measurements/2026-12-06-session27
L=/tmp/s27a_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }
left() { [ $(el) -lt ${1:-9999} ]; }  # true while fewer seconds than $1 have passed
rm -rf /tmp/src1 && mkdir /tmp/src1 && cp -r . /tmp/src1/
(cd /tmp/src1 && patch -p1 < $D/untested-layer-norm-vector-loads.patch > /dev/null \
  && SG_TARGETS="trainer_cuda_kernels_test sg-bench" \
     bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF) \
  > $L/build.log 2>&1 || { grep -E "error" $L/build.log | head -30; exit 1; }
echo "built at $(el) s"
source /tmp/sgdeps/env.sh
(SG_GPU_BUILD_DIR=/tmp/sgbuild2 SG_TARGETS="sg-bench" bash .gpu/build_targets.sh \
   -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF > $L/build2.log 2>&1; echo "rc=$?" \
   > $L/build2.rc) &
build2=$!
nvidia-smi --query-gpu=name --format=csv,noheader
K=$(find /tmp/sgbuild -name trainer_cuda_kernels_test -type f | head -1)
timeout 100 $K > $L/kernel_tests.log 2>&1
echo "kernel tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/kernel_tests.log | head -5
save
wait $build2
echo "built the tree's sg-bench ($(cat $L/build2.rc)) at $(el) s"
SB1=/tmp/sgbuild/bench/sg-bench   # 16-byte loads
SB2=/tmp/sgbuild2/bench/sg-bench  # the tree
bench() {  # name binary args...
  name=$1; sb=$2; shift 2
  timeout 60 $sb "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
QF="--layers 6 --seeds 10 --steps 300 --warmup 100"
DY="--task dyck --layers 6 --seeds 10 --ragged 128 --ragged-granules 8,4 --steps 300 --warmup 200"
bench qf6_1a $SB1 $QF
bench qf6_2a $SB2 $QF
bench qf6_1b $SB1 $QF
bench qf6_2b $SB2 $QF
left 420 && bench dyck_1 $SB1 $DY
left 420 && bench dyck_2 $SB2 $DY
left 450 && { timeout 60 $SB1 --check-cpu 100 --dropout 0 --layers 2 --seeds 2 > $L/check_tf32.log 2>&1;
              echo "check tf32 rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_tf32.log | tail -2 | tr '\n' ' ')"; save; }
for v in 1 2; do
  sb=$SB1; [ $v = 2 ] && sb=$SB2
  left 500 || break
  timeout 60 $sb $QF --profile > $L/qf6_profile_$v.log 2>&1
  echo "qf6 profile $v rc=$? :: $(grep -E 'ForwardKernel|BackwardRowsKernel' $L/qf6_profile_$v.log | cut -c1-40 | tr '\n' ' ')"
  save
done
left 520 && bench qf2_1 $SB1 --layers 2 --seeds 10 --steps 300 --warmup 100
left 530 && bench qf2_2 $SB2 --layers 2 --seeds 10 --steps 300 --warmup 100
echo "total $(el) s"
rm -f $L/build.log $L/build2.log; save
