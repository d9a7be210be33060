#!/usr/bin/env bash
# Session 16 prepared, call B (untested), right after untested-run_s16a.sh on the same machine
# (its build in /tmp/sgbuild): the checks against the CPU (ragged included), the anchor, QF at
# 6 layers again after it, Tense with and without one row in 16s, QF ragged in chunks of 32,
# QF at 2 and 10 layers, a profile of the ragged Dyck step. `run` with `carry: [".gpu"]`.
set -uo pipefail
t0=$(date +%s)
source /tmp/sgdeps/env.sh
B=/tmp/sgbuild
SB=$B/bench/sg-bench
run() { name=$1; shift; timeout 120 $SB "$@" > $OUT/$name.log 2>&1; echo "$name rc=$? :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"; }
D6="--task dyck --layers 6 --seeds 10 --steps 300 --warmup 200"
Q6="--layers 6 --seeds 10 --steps 300 --warmup 100"
run check_dyck_ragged_fp32 --task dyck --layers 2 --seeds 2 --check-cpu 100 --dropout 0 --precision fp32 --ragged 64
run check_qf_ragged_tf32 --layers 2 --seeds 2 --check-cpu 200 --dropout 0 --ragged 64 --ragged-granules 1,1
run check_row16_fp32 --layers 2 --seeds 2 --check-cpu 200 --dropout 0 --precision fp32 --one-row-from 1 --one-row-granule 16
run check_tf32 --layers 2 --seeds 2 --check-cpu 200 --dropout 0
grep -H "relative difference" $OUT/check_*.log
cp .gpu/anchors.py /tmp/anchors.py
timeout 120 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 > $OUT/anchor.log 2>&1; echo "anchor rc=$? :: $(tail -1 $OUT/anchor.log | cut -c1-60)"
run qf6_after_anchor $Q6
run tense6 --task tense_inflection $Q6
run tense6_row16 --task tense_inflection $Q6 --one-row-from 1 --one-row-granule 16
run qf6_ragged32 $Q6 --ragged 32 --ragged-granules 2,2
for L in 2 10; do run qf${L} --layers $L --seeds 10 --steps 300 --warmup 100; done
run dyck6_ragged64_profile $D6 --ragged 64 --steps 100 --profile
grep -h "Kernel<\|us/step" $OUT/dyck6_ragged64_profile.log | head -40 | cut -c1-120
echo "total $(( $(date +%s) - t0 )) s"
cd $OUT && tar czf logs.tgz *.log
