#!/usr/bin/env bash
# Session 28, call D (60 s, an H100 left warm by call B's check): sg-bench's new update line
# (update_share.h) on a device, with sg's optimizer kernels and with LibTorch's. `run` with
# `carry: [".gpu"]`. Logs: call_d_update_line_logs.tgz.
rm -f /tmp/sgdeps/.unpacked
SG_TARGETS="sg-bench" bash .gpu/build_targets.sh -DSG_BUILD_TESTS=OFF -DSG_BUILD_DASHBOARD=OFF \
  > /tmp/b.log 2>&1 || { grep error /tmp/b.log | head; exit 1; }
source /tmp/sgdeps/env.sh
SB=/tmp/sgbuild/bench/sg-bench
for o in "" "--libtorch-optimizer"; do
  timeout 40 $SB --layers 6 --seeds 10 --steps 100 --warmup 100 --profile $o > $OUT/p$o.log 2>&1
  echo "rc=$? $o"
  grep -E "AdamW|multi_tensor|lpnorm|GradSquared|ClipScale" $OUT/p$o.log | cut -c1-150
  sed -n '/^streams/,$p' $OUT/p$o.log
done
