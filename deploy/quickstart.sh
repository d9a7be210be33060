#!/usr/bin/env bash
# The quick start: installs what is missing, builds, starts a coordinator and a local worker
# (the GPUs when nvidia-smi sees any, else the CPU), submits a sweep, shows its progress until
# it ends, prints the runs and the result table, and stops both processes.
#   deploy/quickstart.sh                      examples/quick.yaml (about 5 minutes on 2 cores)
#   deploy/quickstart.sh examples/question_formation.yaml   the paper's sweep (days on GPUs)
# Environment: SG_SKIP_INSTALL=1 skips deploy/install-deps.sh (no sudo needed);
#   SG_SKIP_BUILD=1 uses the binaries already built; SG_BUILD_DIR (default build, relative to
#   the repository or absolute); SG_RUN_DIR (default runs/quickstart-<time>); SG_POLL_SECONDS
#   (default 10). Exits 1 when a run of the sweep failed (tests/deploy_scripts_test.sh runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
spec="${1:-examples/quick.yaml}"
if [ ! -f "$spec" ]; then
  echo "quickstart.sh: spec file '$spec' not found (default: examples/quick.yaml)" >&2
  exit 2
fi
spec="$(cd "$(dirname "$spec")" && pwd)/$(basename "$spec")"
sweep="$(sed -n 's/^name:[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$spec" | head -n 1)"
if [ -z "$sweep" ]; then
  echo "quickstart.sh: $spec has no 'name:' line" >&2
  exit 2
fi

if [ "${SG_SKIP_INSTALL:-0}" != "1" ]; then
  bash deploy/install-deps.sh
fi
if [ "${SG_SKIP_BUILD:-0}" != "1" ]; then
  bash deploy/build.sh
fi
case "${SG_BUILD_DIR:-build}" in
  /*) build="$SG_BUILD_DIR" ;;
  *) build="$root/${SG_BUILD_DIR:-build}" ;;
esac
for bin in coordinator/sg-coordinator worker/sg-worker sgctl/sgctl trainer/sg-train; do
  if [ ! -x "$build/$bin" ]; then
    echo "quickstart.sh: $build/$bin was not built (is LibTorch installed? see deploy/install-deps.sh)" >&2
    exit 1
  fi
done

run_dir="${SG_RUN_DIR:-$root/runs/quickstart-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$run_dir"
echo "quickstart: run folder $run_dir (logs, database, checkpoints)"

source deploy/local-processes.sh
trap stop_local_processes EXIT
trap 'exit 130' INT TERM
start_local_coordinator "$run_dir" || exit 1
address="$SG_COORDINATOR"

devices=cpu
if command -v nvidia-smi >/dev/null 2>&1; then
  gpus="$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | sed 's/^/cuda:/' | paste -sd, - || true)"
  [ -n "$gpus" ] && devices="$gpus"
fi
start_detached "$build/worker/sg-worker" --coordinator "$address" --devices "$devices" \
  --work-dir "$run_dir/worker" --checkpoint-dir "$run_dir/checkpoints" \
  --sg-train "$build/trainer/sg-train" >"$run_dir/worker.log" 2>&1
echo "quickstart: coordinator on $address, worker on $devices"

"$build/sgctl/sgctl" submit "$spec"

start=$(date +%s)
while true; do
  sleep "${SG_POLL_SECONDS:-10}"
  if ! kill -0 "${pids[1]}" 2>/dev/null; then
    echo "quickstart.sh: the worker stopped; see $run_dir/worker.log" >&2
    tail -n 20 "$run_dir/worker.log" >&2
    exit 1
  fi
  echo "--- $(( $(date +%s) - start ))s"
  "$build/sgctl/sgctl" status "$sweep" || true
  if [ "$(count_runs "$sweep" queued)" = "0" ] && [ "$(count_runs "$sweep" running)" = "0" ]; then
    break
  fi
done

echo "=== runs"
"$build/sgctl/sgctl" runs "$sweep"
if "$build/sgctl/sgctl" --help 2>&1 | grep -qE '^[[:space:]]+report'; then
  echo "=== result table"
  "$build/sgctl/sgctl" report "$sweep"
fi
failed="$(count_runs "$sweep" failed)"
if [ "$failed" != "0" ]; then
  echo "quickstart.sh: $failed run(s) failed: their error column above, and" \
    "$run_dir/worker.log" >&2
  exit 1
fi
echo "quickstart: done in $(( $(date +%s) - start ))s; logs and checkpoints in $run_dir"
