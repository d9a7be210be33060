#!/usr/bin/env bash
# Session 28, call E (80 s, an H100 left warm by call B's last check): QF 6 layers, 10 seeds,
# profiled with the weight gradients on the side stream (the default) and on one stream, to see
# what the second stream buys and what the branches cost each other. `run` with
# `carry: [".gpu"]`. Logs: call_e_one_stream_logs.tgz.
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF \
  > /tmp/b.log 2>&1 || { grep error /tmp/b.log | head; exit 1; }
source /tmp/sgdeps/env.sh
SB=/tmp/sgbuild/bench/sg-bench
for o in "--side-stream-weight-grads" "--one-stream-weight-grads"; do
  timeout 40 $SB --layers 6 --seeds 10 --steps 200 --warmup 100 --profile $o > $OUT/p$o.log 2>&1
  echo "rc=$? $o"
  sed -n '/^profile/p;/^streams/,$p' $OUT/p$o.log
done
