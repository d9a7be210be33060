#!/usr/bin/env bash
# Session 33, the call after a refused start: on an H200 the table (run_s33d_h200_table.sh),
# on any other card call E's experiment (run_s33e.sh). `run` with carry [".gpu"].
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
case "$card" in
  *H200*) exec bash docs/measurements/2026-12-06-session33/run_s33d_h200_table.sh ;;
  *) exec bash docs/measurements/2026-12-06-session33/run_s33e.sh ;;
esac
