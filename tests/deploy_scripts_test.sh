#!/usr/bin/env bash
# Runs the README's first command (deploy/quickstart.sh, without its install and build steps) and
# the GPU node's sweep script (deploy/gpu-run.sh, on the CPU) end to end on a tiny sweep, with the
# built binaries: a real coordinator, worker and sg-train each. Neither script ran in CI before,
# and a GPU session's one grid call depends on gpu-run.sh. Then a sweep whose runs fail: both
# scripts must exit 1 and say so, not print a table as if it had trained. And gpu-run.sh stopped
# mid-sweep by a time limit must say how far it got and stop everything it started.
#   tests/deploy_scripts_test.sh BUILD_DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:?usage: deploy_scripts_test.sh BUILD_DIR}" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }

# 2 runs of a model small enough to train 200 steps in seconds on one core.
write_spec() {  # FILE NAME [extra train lines]
  cat >"$1" <<EOF
name: $2
task: question_formation
grid:
  depth: [1]
seeds: 2
train:
  steps: 200
  eval_every: 100
  warmup_steps: 10
  d_model: 16
  heads: 2
  ff: 32
  tree_sentences: 20
$3
data:
  train_size: 200
  val_size: 40
  test_size: 40
EOF
}
write_spec "$tmp/tiny.yaml" tiny ""

# --- quickstart.sh: exit 0, the runs succeeded, the result table printed.
if SG_SKIP_INSTALL=1 SG_SKIP_BUILD=1 SG_BUILD_DIR="$build" SG_RUN_DIR="$tmp/quick" \
    SG_POLL_SECONDS=1 bash "$root/deploy/quickstart.sh" "$tmp/tiny.yaml" \
    >"$tmp/quick.log" 2>&1; then
  grep -q "=== result table" "$tmp/quick.log" || fail "quickstart.sh printed no result table"
  n=$(grep -cE "^[0-9]+ +[0-9]+ +depth=1 +[01] +succeeded" "$tmp/quick.log" || true)
  [ "$n" = "2" ] || fail "quickstart.sh: $n of 2 runs listed as succeeded"
  grep -q "quickstart: done in" "$tmp/quick.log" || fail "quickstart.sh did not say it was done"
  [ $status = 0 ] && echo "ok: quickstart.sh trained the tiny sweep and printed its table"
else
  fail "quickstart.sh exited non-zero"
fi
[ $status = 0 ] || tail -n 40 "$tmp/quick.log"

# --- gpu-run.sh on the CPU: exit 0, both runs' curves collected.
if SG_BUILD_DIR="$build" bash "$root/deploy/gpu-run.sh" "$tmp/tiny.yaml" "$tmp/grid" cpu \
    >"$tmp/grid.log" 2>&1; then
  grep -q "gpu-run: sweep ended after" "$tmp/grid.log" || fail "gpu-run.sh did not end the sweep"
  grep -q "gpu-run: gen_acc: [1-9][0-9]* points from 2 runs" "$tmp/grid.log" ||
    fail "gpu-run.sh: no gen_acc points from both runs"
  times='^gpu-run: pack 1\.1 depth=1 on cpu: started [0-9]+s, ended [0-9]+s \([0-9]+s\), '
  times+='exit code 0$'
  grep -qE "$times" "$tmp/grid.log" || fail "gpu-run.sh: no start and end times of its pack"
  [ $status = 0 ] && echo "ok: gpu-run.sh trained the tiny sweep on the CPU and counted its curves"
else
  fail "gpu-run.sh exited non-zero"
fi
[ $status = 0 ] || tail -n 40 "$tmp/grid.log"

# --- gpu-run.sh stopped by a caller's time limit (as a GPU call's script stops a grid that
# does not end in time): it says how far the sweep got and which packs ran, exits 130, and
# leaves no worker or sg-train behind. Interrupted once its worker has started the pack, not
# after a fixed time: on a loaded machine (ctest -j beside the end-to-end tests) 20 s were
# sometimes too few to start the coordinator, the worker and sg-train.
write_spec "$tmp/long.yaml" long ""
sed -i 's/^  steps: 200$/  steps: 1000000/' "$tmp/long.yaml"
set +e
set -m  # its own process group that takes SIGINT, as `timeout -s INT` gave it
SG_BUILD_DIR="$build" bash "$root/deploy/gpu-run.sh" "$tmp/long.yaml" "$tmp/grid-long" cpu \
  >"$tmp/grid-long.log" 2>&1 &
long_pid=$!
set +m
for _ in $(seq 240); do  # at most 120 s
  grep -qs "sg-worker: pack [0-9]*: sweep .* on cpu (pid" "$tmp"/grid-long/worker-*.log && break
  sleep 0.5
done
kill -INT -- -"$long_pid"
wait "$long_pid"
long_status=$?
set -e
if [ $long_status != 130 ]; then
  fail "gpu-run.sh exited $long_status when interrupted, not 130"
elif ! grep -qE "^gpu-run: interrupted after [0-9]+s: 0 succeeded, 2 running, 0 queued, 0 failed$" \
    "$tmp/grid-long.log"; then
  fail "gpu-run.sh did not say how far the interrupted sweep got"
elif ! grep -qE "^gpu-run: pack 1\.1 depth=1 on cpu: started [0-9]+s, still running$" \
    "$tmp/grid-long.log"; then
  fail "gpu-run.sh did not list the pack the worker started"
elif left=$(grep -las "$tmp/grid-lon[g]" /proc/[0-9]*/cmdline); then
  # (Every process it started names its folder in its arguments; the bracket keeps this
  # grep's own arguments from matching. /proc, not pgrep: procps may be missing.)
  fail "a process of the interrupted gpu-run.sh is still running: $left"
  for f in $left; do pid=${f#/proc/}; kill -9 "${pid%/cmdline}" 2>/dev/null || true; done
else
  echo "ok: gpu-run.sh interrupted says how far the sweep got, exits 130, stops its processes"
fi
[ $status = 0 ] || tail -n 30 "$tmp/grid-long.log"

# --- Runs that fail: sg-train refuses a data folder that does not exist, every attempt.
write_spec "$tmp/broken.yaml" broken ""
printf '  dir: %s\n' "$tmp/no-such-data" >>"$tmp/broken.yaml"
if SG_SKIP_INSTALL=1 SG_SKIP_BUILD=1 SG_BUILD_DIR="$build" SG_RUN_DIR="$tmp/quick-broken" \
    SG_POLL_SECONDS=1 bash "$root/deploy/quickstart.sh" "$tmp/broken.yaml" \
    >"$tmp/quick-broken.log" 2>&1; then
  fail "quickstart.sh exited 0 on a sweep whose runs failed"
  tail -n 20 "$tmp/quick-broken.log"
elif grep -q "quickstart.sh: 2 run(s) failed" "$tmp/quick-broken.log" &&
    grep -q "data.dir: cannot open" "$tmp/quick-broken.log"; then
  echo "ok: quickstart.sh exits 1, says 2 runs failed and shows sg-train's reason"
else
  fail "quickstart.sh failed without saying that the runs failed"
  tail -n 20 "$tmp/quick-broken.log"
fi
if SG_BUILD_DIR="$build" bash "$root/deploy/gpu-run.sh" "$tmp/broken.yaml" "$tmp/grid-broken" cpu \
    >"$tmp/grid-broken.log" 2>&1; then
  fail "gpu-run.sh exited 0 on a sweep whose runs failed"
  tail -n 20 "$tmp/grid-broken.log"
elif grep -q "gpu-run: 2 run(s) failed" "$tmp/grid-broken.log"; then
  echo "ok: gpu-run.sh exits 1 and says 2 runs failed"
else
  fail "gpu-run.sh failed without saying that the runs failed"
  tail -n 20 "$tmp/grid-broken.log"
fi
exit $status
