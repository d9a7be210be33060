#!/usr/bin/env bash
# One node's sg-worker inside a SLURM job (started by sg-worker.sbatch, directly or through
# srun). Trains on the GPUs SLURM allocated to this node: CUDA_VISIBLE_DEVICES lists them, and
# inside the job they are numbered from 0, so the worker gets cuda:0..cuda:N-1 (N visible
# GPUs); with no GPU allocated it trains on the CPU. SG_DEVICES overrides.
set -euo pipefail
devices="${SG_DEVICES:-}"
if [ -z "$devices" ]; then
  if [ -n "${CUDA_VISIBLE_DEVICES:-}" ] && [ "${CUDA_VISIBLE_DEVICES}" != "NoDevFiles" ]; then
    IFS=, read -r -a visible <<< "$CUDA_VISIBLE_DEVICES"
    devices=""
    for i in "${!visible[@]}"; do devices="${devices:+$devices,}cuda:$i"; done
  else
    devices=cpu
  fi
fi
host="$(hostname -s)"
work="${SG_WORK_DIR:-${TMPDIR:-/tmp}}/sg-worker-${SLURM_JOB_ID:-nojob}-$host"
mkdir -p "$work" "$SG_CHECKPOINT_DIR"
bin="${SG_BIN_DIR:+$SG_BIN_DIR/}"
args=(--coordinator "$SG_COORDINATOR" --devices "$devices" --work-dir "$work"
      --checkpoint-dir "$SG_CHECKPOINT_DIR" --exit-when-idle "${SG_EXIT_WHEN_IDLE:-300}")
if [ -n "${SG_BIN_DIR:-}" ] && [ -x "$SG_BIN_DIR/sg-train" ]; then args+=(--sg-train "$SG_BIN_DIR/sg-train"); fi
if [ -n "${SG_METRICS_LISTEN:-}" ]; then
  args+=(--metrics-listen "$SG_METRICS_LISTEN" --metrics-port-file "$work/metrics_port")
fi
if [ -n "${SG_TLS_CA:-}" ]; then args+=(--tls-ca "$SG_TLS_CA"); fi
# The token reaches sg-worker through SG_TOKEN_FILE / SG_TOKEN in the environment.
# shellcheck disable=SC2206
extra=(${SG_WORKER_ARGS:-})
echo "sg-worker-node.sh: job ${SLURM_JOB_ID:-?} on $host: devices $devices (CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-unset}), work $work"
exec "${bin}sg-worker" "${args[@]}" "${extra[@]}"
