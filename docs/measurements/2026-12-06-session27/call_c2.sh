#!/usr/bin/env bash
# Session 27, call C2: on the machine run_s27c.sh left warm (its build in /tmp/sgbuild, the
# one-build toggles applied): sg-bench's CPU checks with both patches on (the defaults), and a
# QF 6-layer profile as the tree (both switches back) and with both patches.
source /tmp/sgdeps/env.sh; SB=/tmp/sgbuild/bench/sg-bench; mkdir -p /tmp/l2
for p in tf32 fp32; do
  timeout 40 $SB --check-cpu 100 --dropout 0 --layers 2 --seeds 2 --precision $p > /tmp/l2/check_$p.log 2>&1
  echo "check $p rc=$? :: $(grep -iE 'max|PASS|FAIL' /tmp/l2/check_$p.log | tail -2 | tr '\n' ' ')"
done
timeout 40 $SB --task dyck --check-cpu 50 --dropout 0 --layers 2 --seeds 2 > /tmp/l2/check_dyck.log 2>&1
echo "check dyck rc=$? :: $(grep -iE 'max|PASS|FAIL' /tmp/l2/check_dyck.log | tail -2 | tr '\n' ' ')"
for v in tree both; do
  e="SG_NOTHING=1"; [ $v = tree ] && e="SG_ATTENTION_BACKWARD=two SG_LAYER_NORM_SCALAR=1"
  env $e timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile > /tmp/l2/prof_$v.log 2>&1
  echo "profile $v rc=$?"
done
cd /tmp/l2 && tar czf $OUT/logs2.tgz *.log
