#!/usr/bin/env bash
# Session 15 prepared, call A. Run on main (one row per seed in 16s for QF and Tense: sg-bench
# --one-row-from 1 --one-row-granule 16, in the tree) with untested-prepared-gpu-changes.patch of
# docs/measurements/2026-12-04-session15-no-gpu/ applied (or the branch s15-kernels): the
# kernels' loads by cp.async and dK's line starts from one window per block, the TF32 forward at
# 3 blocks per SM, the shared helpers; LibTorch's fused attention's backward deterministic.
# Tests first, then the table beside the anchor, checks, profiles with one stream (the attention
# kernels' own time), Nsight Compute on the TF32 attention kernels if it may read the counters,
# and last the kernels of main rebuilt (the kernel patch reversed) for QF 6 and Dyck 6 side by
# side; between them sg-gemm-rows-bench (the linears over each seed's own rows against today's
# padded GEMMs). Needs .gpu/ carried (build_targets.sh, debs, anchors.py).
set -uo pipefail
t0=$(date +%s)
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench trainer_cuda_kernels_test trainer_packed_step_test" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build.log 2>&1 || { tail -40 $OUT/build.log; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
T=$(find $B -name trainer_cuda_kernels_test -type f | head -1)
P=$(find $B -name trainer_packed_step_test -type f | head -1)
timeout 200 $T > $OUT/kernels.log 2>&1; echo "kernel tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED" $OUT/kernels.log | head -10
timeout 100 $P > $OUT/packed.log 2>&1; echo "packed tests rc=$?"; grep -E "^\[  (PASSED|FAILED)|FAILED" $OUT/packed.log | head -5
SB=$B/bench/sg-bench
run() { name=$1; shift; timeout 120 $SB "$@" > $OUT/$name.log 2>&1; echo "$name rc=$? :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"; }
run qf6 --layers 6 --seeds 10 --steps 300 --warmup 100
run dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200
run qf6_row16 --layers 6 --seeds 10 --steps 300 --warmup 100 --one-row-from 1 --one-row-granule 16
run qf6_row8 --layers 6 --seeds 10 --steps 300 --warmup 100 --one-row-from 1 --one-row-granule 8
run tense6 --task tense_inflection --layers 6 --seeds 10 --steps 300 --warmup 100
run tense6_row16 --task tense_inflection --layers 6 --seeds 10 --steps 300 --warmup 100 --one-row-from 1 --one-row-granule 16
run dyck6_row128 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --one-row-granule 128
for L in 2 10; do run qf${L} --layers $L --seeds 10 --steps 300 --warmup 100; done
run qf6_16 --layers 6 --seeds 16 --steps 300 --warmup 100
cp .gpu/anchors.py /tmp/anchors.py
timeout 120 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 > $OUT/anchor.log 2>&1; echo "anchor rc=$? :: $(tail -1 $OUT/anchor.log | cut -c1-60)"
run qf6_after_anchor --layers 6 --seeds 10 --steps 300 --warmup 100
run check_tf32 --layers 2 --seeds 2 --check-cpu 200 --dropout 0
run check_fp32 --layers 2 --seeds 2 --check-cpu 200 --dropout 0 --precision fp32
run check_row16_fp32 --layers 2 --seeds 2 --check-cpu 200 --dropout 0 --precision fp32 --one-row-from 1 --one-row-granule 16
run check_dyck_fp32 --task dyck --layers 2 --seeds 2 --check-cpu 100 --dropout 0 --precision fp32 --one-row-per-seed
grep -H "relative difference" $OUT/check_*.log
run qf6_profile1 --layers 6 --seeds 10 --steps 100 --warmup 100 --profile --one-stream-weight-grads
run dyck6_profile1 --task dyck --layers 6 --seeds 10 --steps 100 --warmup 200 --profile --one-stream-weight-grads
grep -h "Kernel<" $OUT/qf6_profile1.log $OUT/dyck6_profile1.log | cut -c1-120
SG_TARGETS="sg-gemm-rows-bench" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build_gemm.log 2>&1 && for c in "qf --chunk 64" "dyck --chunk 64" "dyck --chunk 128" "qf --chunk 32"; do echo "== $c"; timeout 60 $B/bench/sg-gemm-rows-bench --case $c; done > $OUT/gemm_rows.log 2>&1; echo "gemm rows rc=$?"; cat $OUT/gemm_rows.log | head -60
NCU=$(command -v ncu || ls /usr/local/cuda*/bin/ncu 2>/dev/null | head -1)
if [ -n "$NCU" ]; then
  timeout 60 $NCU --kernel-name regex:Tf32 --launch-skip 60 --launch-count 3 --section SpeedOfLight --section Occupancy --section WarpStateStats --section LaunchStats $SB --layers 6 --seeds 10 --steps 20 --warmup 5 --no-cuda-graphs > $OUT/ncu_qf6.log 2>&1; echo "ncu rc=$? $(grep -c 'Duration' $OUT/ncu_qf6.log) kernels"
fi
echo "new tree done at $(( $(date +%s) - t0 )) s"
# main's kernels, same machine state
patch -R -p1 < docs/measurements/2026-12-04-session15-no-gpu/untested-kernels-only.patch > $OUT/unpatch.log 2>&1 && SG_TARGETS="sg-bench" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=ON -DSG_BUILD_DASHBOARD=OFF > $OUT/build_base.log 2>&1 && {
  run base_qf6 --layers 6 --seeds 10 --steps 300 --warmup 100
  run base_dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200
  run qf6_base_again --layers 6 --seeds 10 --steps 300 --warmup 100
}
echo "total $(( $(date +%s) - t0 )) s"
cd $OUT && rm -f build.log build_base.log build_gemm.log && tar czf logs.tgz *.log
