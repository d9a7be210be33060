#!/usr/bin/env bash
# Session 46's call for any Hopper card: the products probe (run_s46a.sh, about 60 s, log in
# $OUT/probe.log), then on an H200 only session 43's table (run_s43a.sh with SG_NO_SEARCH=1 by
# default, about 150 s; SG_NO_SEARCH=0 adds the pin search, about 300 s more). `run` with carry
# [".gpu"], timeout 600.
set -uo pipefail
D=docs/measurements/2026-12-07-session46
bash $D/run_s46a.sh > $OUT/probe.log 2>&1
echo "probe rc=$?"; grep -vE "^(input grad|forward) .*PASS$" $OUT/probe.log | tail -60
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
case "$card" in
  *H200*)
    SG_NO_SEARCH=${SG_NO_SEARCH:-1} bash docs/measurements/2026-12-07-session43/run_s43a.sh ;;
  *) echo "not an H200 ($card): no table" ;;
esac
