#!/usr/bin/env bash
# Session 23's fourth GPU call: where a grid pack's time goes besides its steps (sg-train as
# the worker runs it, QF 2 layers, 10 seeds, 6,000 steps: start-up, evaluations, staged
# checkpoints, the end), each stderr line stamped; then issue 22's table on this tree beside
# the PyTorch ensemble. `run` with `carry: [".gpu"]`, timeout_s 600.
set -uo pipefail
t0=$(date +%s)
el() { echo "$(( $(date +%s) - t0 )) s"; }
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench sg-train" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF \
  > $OUT/build.log 2>&1 || { grep -E "error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
echo "built at $(el)"
source /tmp/sgdeps/env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
B=/tmp/sgbuild
stamp() { while IFS= read -r l; do printf '%s %s\n' "$(date +%s.%N | cut -c1-14)" "$l"; done; }
for L in 2 6; do
  rm -rf /tmp/st$L; echo "start $(date +%s.%N | cut -c1-14)" > $OUT/sgtrain$L.start
  timeout 120 $B/trainer/sg-train --spec examples/question_formation.yaml --cell depth=$L \
    --seeds 0,1,2,3,4,5,6,7,8,9 --device cuda --steps 6000 --out /tmp/st$L 2>&1 | stdbuf -o0 tr '\r' '\n' \
    | grep --line-buffered -v "^\s*$" | stamp > $OUT/sgtrain$L.log
  echo "sg-train L$L done at $(el)"
  grep -vE "step +[0-9]+/" $OUT/sgtrain$L.log | cut -c1-220 | head -30
done
SB=$B/bench/sg-bench
bench() {
  name=$1; shift; s=$(date +%s)
  timeout 60 $SB "$@" > $OUT/$name.log 2>&1
  echo "$name rc=$? ($(( $(date +%s) - s )) s) :: $(grep -A1 'model-steps/s' $OUT/$name.log | tail -1)"
}
bench qf6 --layers 6 --seeds 10 --steps 300 --warmup 100
bench qf2 --layers 2 --seeds 10 --steps 300 --warmup 100
bench qf10 --layers 10 --seeds 10 --steps 300 --warmup 100
bench qf6_s16 --layers 6 --seeds 16 --steps 300 --warmup 100
bench dyck6 --task dyck --layers 6 --seeds 10 --steps 300 --warmup 200 --ragged 128 --ragged-granules 8,4
echo "at $(el)"
cp .gpu/anchors.py /tmp/anchors.py
timeout 100 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 > $OUT/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 $OUT/anchor.log | cut -c1-100)"
echo "total $(el)"
cd $OUT && rm -f build.log && tar czf logs.tgz *.log *.start && rm -f *.log *.start
