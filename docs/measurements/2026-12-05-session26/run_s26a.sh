#!/usr/bin/env bash
# Session 26, call A: session 25's untested-run_s25b.sh (which no machine ran), with
# sg-gemm-bench and sg-bench --lt-transposed-weight-grads added (the weight gradients from
# transposed operands, session 26). Our TF32 attention-per-line backward as one launch (dK/dV
# and dQ blocks together, delta by a kernel before them,
# untested-merged-attention-backward.patch) against the tree's two launches, in one call.
# Builds a copy of the tree with the patch applied into /tmp/sgbuild (the CUDA kernel and
# packed-step suites, sg-bench), the tree itself into /tmp/sgbuild2 (sg-bench only) while the
# suites run; then sg-bench Dyck (ragged, sg-train's layout) and QF 6 layers alternating
# between the two builds, the CPU checks with the patch, a profile of each. Logs are saved
# after each stage. Then issue 22's table with the patch and the PyTorch ensemble. If the
# suites pass and Dyck is faster, `git apply` the patch in the tree.
# `run` with `carry: [".gpu"]`, timeout_s 600.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
D=docs/measurements/2026-12-05-session25  # the patch stays there until it has run
L=/tmp/s25b_logs; rm -rf $L; mkdir -p $L
save() { (cd $L && tar czf $OUT/logs.tgz *.log); }  # after each stage, in case time runs out
rm -f /tmp/sgdeps/.unpacked
rm -rf /tmp/src1 && mkdir /tmp/src1 && cp -r . /tmp/src1/
(cd /tmp/src1 && patch -p1 < $D/untested-merged-attention-backward.patch > /dev/null \
  && SG_TARGETS="trainer_cuda_kernels_test trainer_packed_step_test sg-bench" \
     bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF) \
  > $L/build.log 2>&1 || { grep -E "error" $L/build.log | head -30; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
(SG_GPU_BUILD_DIR=/tmp/sgbuild2 SG_TARGETS="sg-bench sg-gemm-bench" bash .gpu/build_targets.sh \
   -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF > $L/build2.log 2>&1; echo "rc=$?" \
   > $L/build2.rc) &  # the tree (two launches), while the tests run
build2=$!
nvidia-smi --query-gpu=name --format=csv,noheader
B=/tmp/sgbuild
K=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 100 $K > $L/kernel_tests.log 2>&1
echo "kernel tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/kernel_tests.log | head -5
timeout 100 $P > $L/packed_tests.log 2>&1
echo "packed-step tests rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED" $L/packed_tests.log | head -5
save
wait $build2
echo "built the two-launch sg-bench ($(cat $L/build2.rc)) at $(el)"
grep -E "error" $L/build2.log | head -10
SB1=$B/bench/sg-bench
SB2=/tmp/sgbuild2/bench/sg-bench
bench() {  # name binary args...
  name=$1; sb=$2; shift 2
  timeout 90 $sb "$@" > $L/$name.log 2>&1
  echo "$name rc=$? :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
}
check() {  # name args...
  name=$1; shift
  timeout 60 $SB1 --check-cpu 100 --dropout 0 --layers 2 --seeds 2 "$@" > $L/$name.log 2>&1
  echo "$name rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/$name.log | tail -2 | tr '\n' ' ')"
}
echo "== one launch (1) against two (2), at $(el)"
DY="--task dyck --layers 6 --seeds 10 --ragged 128 --ragged-granules 8,4"
bench dyck_1a $SB1 $DY --steps 300 --warmup 200
bench dyck_2a $SB2 $DY --steps 300 --warmup 200
bench qf6_1 $SB1 --layers 6 --seeds 10 --steps 300 --warmup 100
bench qf6_2 $SB2 --layers 6 --seeds 10 --steps 300 --warmup 100
bench qf6_1t $SB1 --layers 6 --seeds 10 --steps 300 --warmup 100 --lt-transposed-weight-grads
bench dyck_1t $SB1 $DY --steps 300 --warmup 200 --lt-transposed-weight-grads
save
check check_dyck_tf32 --task dyck --ragged 128 --ragged-granules 8,4
check check_qf_tf32
save
timeout 60 /tmp/sgbuild2/bench/sg-gemm-bench --seeds 10 > $L/gemm_s10.log 2>&1
echo "gemm bench rc=$? :: $(tail -1 $L/gemm_s10.log | cut -c1-220)"
save
bench dyck_1b $SB1 $DY --steps 300 --warmup 200
bench dyck_2b $SB2 $DY --steps 300 --warmup 200
bench dyck_1h $SB1 $DY --steps 300 --warmup 200 --high-priority-chain
save
for v in 1 2; do
  sb=$SB1; [ $v = 2 ] && sb=$SB2
  timeout 90 $sb $DY --steps 100 --warmup 200 --profile > $L/dyck_profile_$v.log 2>&1
  echo "dyck profile $v rc=$?"
  grep -E "KeyGrad|QueryGrad|Tf32Backward|Delta" $L/dyck_profile_$v.log | cut -c1-110 | head -4
done
save
echo "== issue 22's table with the patch, and the PyTorch ensemble, at $(el)"
bench qf2 $SB1 --layers 2 --seeds 10 --steps 300 --warmup 100
bench qf10 $SB1 --layers 10 --seeds 10 --steps 300 --warmup 100
bench qf6_s16 $SB1 --layers 6 --seeds 16 --steps 300 --warmup 100
bench qf6_1c $SB1 --layers 6 --seeds 10 --steps 300 --warmup 100
cp .gpu/anchors.py /tmp/anchors.py
timeout 100 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
  > $L/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
echo "total $(el)"
rm -f $L/build.log $L/build2.log; save
