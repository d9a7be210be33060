#!/usr/bin/env bash
# (Needs this folder's embedding-kernels-and-linear-waits.patch applied: `git apply` it first.)
# Session 45, call B: the update beside the forward with each linear waiting for its own
# weights' update (PackTrainerOptions::update_waits_per_linear, on in this tree) against each
# layer's forward waiting for its whole layer (--update-waits-per-layer, as before), crossed
# with call A's embedding kernels (--libtorch-embedding: LibTorch's form). One binary; builds
# sg-bench and the two GPU suites, runs the kernel suite (the new same-bits test among them),
# the packed-step CUDA tests and --check-cpu, then the four forms' rows alternating (QF 6
# layers twice, 2 layers twice, 10 layers once) and a profile at 2 and 6 layers of the old
# and the new waits. On an H200 also the PyTorch ensemble and Dyck. `run` with carry
# [".gpu"]; any Hopper card; about 260 s.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 ))"; }
L=/tmp/s45b_logs; rm -rf $L; mkdir -p $L
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
timeout 240 $K > $L/kernel_tests.log 2>&1
echo "kernel suite rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/kernel_tests.log | tr '\n' ' ')"
grep -E "^\[  FAILED|Failure" $L/kernel_tests.log | head -8
timeout 60 $PT --gtest_filter='*OnCuda*' > $L/packed_cuda.log 2>&1
echo "packed-step CUDA rc=$? :: $(grep -E '^\[  (PASSED|FAILED)' $L/packed_cuda.log | tr '\n' ' ')"
for p in tf32 fp32; do
  timeout 40 $SB --check-cpu 100 --dropout 0 --layers 2 --seeds 2 --precision $p \
    > $L/check_$p.log 2>&1
  echo "check $p rc=$? :: $(grep -iE 'max|PASS|FAIL' $L/check_$p.log | tail -1)"
done
save
declare -A FLAGS=([base]="--update-waits-per-layer --libtorch-embedding"
                  [emb]="--update-waits-per-layer" [lin]="" [lin_lt]="--libtorch-embedding")
FORMS="base emb lin lin_lt"
bench() {  # name args...
  local name=$1; shift
  timeout 40 $SB "$@" > $L/$name.log 2>&1
  echo "$name rc=$? at $(el) s :: $(grep -A1 'model-steps/s' $L/$name.log | tail -1)"
  save
}
Q="--seeds 10 --steps 300 --warmup 100"
for i in a b; do
  for f in $FORMS; do bench qf6_${f}_$i --layers 6 $Q ${FLAGS[$f]}; done
  for f in $FORMS; do bench qf2_${f}_$i --layers 2 $Q ${FLAGS[$f]}; done
done
for f in $FORMS; do bench qf10_$f --layers 10 $Q ${FLAGS[$f]}; done
for layers in 2 6; do
  for f in base lin; do
    timeout 40 $SB --layers $layers --seeds 10 --steps 100 --warmup 100 --profile ${FLAGS[$f]} \
      > $L/prof${layers}_$f.log 2>&1
    echo "profile $layers $f rc=$? :: $(grep -E '^profile \(' $L/prof${layers}_$f.log \
      | cut -c1-150)"
    grep -E "^  stream|^update" $L/prof${layers}_$f.log | head -3
  done
done
save
case "$card" in
  *H200*)
    bench dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 \
      --ragged-granules 8,4
    cp .gpu/anchors.py /tmp/anchors.py
    timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 \
      > $L/anchor.log 2>&1
    echo "anchor rc=$? :: $(tail -1 $L/anchor.log | cut -c1-100)"
    bench qf6_lin_c --layers 6 $Q
    save ;;
esac
echo "total $(el) s"
