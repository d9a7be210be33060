#!/usr/bin/env bash
# Session 27, call C3: on the same warm machine, QF 2 / 10 / 6 layers as the tree and with the
# LayerNorm loads alone (the tree's attention backward), then the PyTorch ensemble.
source /tmp/sgdeps/env.sh; SB=/tmp/sgbuild/bench/sg-bench; mkdir -p /tmp/l3
T="SG_ATTENTION_BACKWARD=two SG_LAYER_NORM_SCALAR=1"
for a in "qf2_tree|$T|--layers 2" "qf2_ln|SG_ATTENTION_BACKWARD=two|--layers 2" \
         "qf10_tree|$T|--layers 10" "qf10_ln|SG_ATTENTION_BACKWARD=two|--layers 10" \
         "qf6_ln|SG_ATTENTION_BACKWARD=two|--layers 6" "qf6_tree|$T|--layers 6"; do
  IFS='|' read n e l <<< "$a"
  env $e timeout 30 $SB $l --seeds 10 --steps 300 --warmup 100 > /tmp/l3/$n.log 2>&1
  echo "$n rc=$? :: $(grep -A1 'model-steps/s' /tmp/l3/$n.log | tail -1 | cut -c1-60)"
done
cp .gpu/anchors.py /tmp/anchors.py
timeout 60 python3 /tmp/anchors.py ensemble --graph --layers 6 --seeds 10 --steps 200 > /tmp/l3/anchor.log 2>&1
echo "anchor rc=$? :: $(tail -1 /tmp/l3/anchor.log | cut -c1-100)"
cd /tmp/l3 && tar czf $OUT/logs3.tgz *.log
