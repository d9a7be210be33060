#!/usr/bin/env bash
# Session 42's first call on whichever card comes: on an H200 session 41's search of the pin
# table in the step (run_s41a.sh, about 510 s), on another card this session's dQ kernel
# against the tree's (run_s42a.sh, about 330 s). `run` with carry [".gpu"], timeout 600.
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
case "$card" in
  *H200*) exec bash docs/measurements/2026-12-07-session41/run_s41a.sh ;;
  *) exec bash docs/measurements/2026-12-07-session42/run_s42a.sh ;;
esac
