#!/usr/bin/env bash
# Runs a sweep on this node with a local coordinator and one sg-worker per DEVICES argument, and
# records what the GPUs did: nvidia-smi every 2 s (gpu.csv), and each device's training speed in
# model-steps/s (speed.csv: the steps/s of the runs the worker placed on that device, summed).
# Ends with the runs, a speed and utilisation summary per device, and the result table.
#   deploy/gpu-run.sh SPEC OUT_DIR DEVICES [DEVICES...]
#     one GPU:                       deploy/gpu-run.sh examples/gpu-node-check.yaml out cuda:0
#     one worker driving two GPUs:   deploy/gpu-run.sh examples/gpu-node-check.yaml out cuda:0,cuda:1
#     two workers sharing one GPU:   deploy/gpu-run.sh examples/gpu-node-check.yaml out cuda:0 cuda:0
# Each worker chooses how many packs its GPUs train at once from the throughput it measures
# (sg-worker --packs-per-device auto, docs/worker.md), so one worker per GPU is enough; the
# workers' decisions are listed at the end.
# Environment: SG_BUILD_DIR (default build), SG_TRAIN_ARGS (extra sg-train arguments),
# SG_PACKS_PER_DEVICE (default auto; a number N fixes N packs per device), SG_MPS=1 (start
# NVIDIA's Multi-Process Service for the run, so the kernels of packs sharing a GPU run side by
# side instead of taking turns; it is stopped at the end; docs/gpu.md, "Several packs on one
# GPU"). Exits 1 when a run of the sweep failed. Interrupted (Ctrl-C, SIGTERM, or a time limit
# such as `timeout -s INT`), it prints how many runs succeeded, run, wait and failed and each
# pack's times so far, stops the workers (they checkpoint) and exits 130.
# tests/deploy_scripts_test.sh runs it on the CPU (DEVICES cpu).
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: deploy/gpu-run.sh SPEC OUT_DIR DEVICES [DEVICES...]" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
spec="$1"; out="$2"; shift 2
build="$(cd "${SG_BUILD_DIR:-build}" && pwd)"  # absolute: workers start sg-train in pack folders
sweep="$(sed -n 's/^name:[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$spec" | head -n 1)"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
source deploy/local-processes.sh
mps_dir=""
stop_all() {
  stop_local_processes
  if [ -n "$mps_dir" ]; then
    echo quit | CUDA_MPS_PIPE_DIRECTORY="$mps_dir/pipe" nvidia-cuda-mps-control || true
  fi
}
trap stop_all EXIT
if [ "${SG_MPS:-0}" = "1" ]; then
  if ! command -v nvidia-cuda-mps-control >/dev/null 2>&1; then
    echo "gpu-run: SG_MPS=1 but nvidia-cuda-mps-control is not on PATH (it ships with the" \
      "NVIDIA driver); run without SG_MPS or add the driver's bin folder to PATH" >&2
    exit 1
  fi
  mps_dir="$out/mps"
  mkdir -p "$mps_dir/pipe" "$mps_dir/log"
  # The daemon and every process started below (workers, their sg-train children) find each
  # other through these two folders.
  export CUDA_MPS_PIPE_DIRECTORY="$mps_dir/pipe" CUDA_MPS_LOG_DIRECTORY="$mps_dir/log"
  nvidia-cuda-mps-control -d
  echo "gpu-run: MPS started (pipe $mps_dir/pipe)"
fi
start_local_coordinator "$out" || exit 1
sgctl="$build/sgctl/sgctl"

n=0
for devices in "$@"; do
  n=$((n + 1))
  start_detached "$build/worker/sg-worker" --coordinator "$SG_COORDINATOR" --devices "$devices" \
    --work-dir "$out/worker-$n" --checkpoint-dir "$out/checkpoints-$n" \
    --sg-train "$build/trainer/sg-train" --train-args "${SG_TRAIN_ARGS:-}" \
    --packs-per-device "${SG_PACKS_PER_DEVICE:-auto}" \
    >"$out/worker-$n.log" 2>&1
  echo "gpu-run: worker $n on $devices"
done

if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=timestamp,index,utilization.gpu,memory.used,power.draw \
    --format=csv,noheader -l 2 >"$out/gpu.csv" 2>/dev/null &
  pids+=($!)
fi

"$sgctl" submit "$spec"
echo "time_s,device,model_steps_per_s,runs" >"$out/speed.csv"
start=$(date +%s)
# Each pack's device, start and end in seconds after the submit, from the workers' logs: a
# line "gpu-run: pack W.N CELL on DEVICE: started Ss, ended Es (Ds), exit code 0" per pack
# ("still running" for one that has not ended).
pack_times() {
  python3 - "$out" "$start" <<'PY'
import glob, re, sys, time
out, start = sys.argv[1], int(sys.argv[2])
stamp = r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) sg-worker: pack (\d+)"
def at(text):
    return int(time.mktime(time.strptime(text, "%Y-%m-%d %H:%M:%S"))) - start
for log in sorted(glob.glob(out + "/worker-*.log")):
    w = re.search(r"worker-(\d+)\.log$", log).group(1)
    packs = {}
    for line in open(log, errors="replace"):
        m = re.match(stamp + r": sweep \d+ cell (\S+) runs .* on (\S+) \(pid", line)
        if m:
            packs[m.group(2)] = {"cell": m.group(3), "device": m.group(4), "start": at(m.group(1))}
            continue
        m = re.match(stamp + r" \(\S+\) ended: (.*)$", line)
        if m and m.group(2) in packs:
            packs[m.group(2)].update(end=at(m.group(1)), exit=m.group(3).strip())
    for n, p in sorted(packs.items(), key=lambda kv: kv[1]["start"]):
        head = f"gpu-run: pack {w}.{n} {p['cell']} on {p['device']}: started {p['start']}s"
        if "end" in p:
            print(f"{head}, ended {p['end']}s ({p['end'] - p['start']}s), {p['exit']}")
        else:
            print(f"{head}, still running")
PY
}
# Interrupted (Ctrl-C, or a caller's time limit: `timeout -s INT`): say how far the sweep got
# and what each worker decided while the coordinator still answers, then stop the workers
# (they checkpoint their packs, which takes a while for big ones) and the coordinator.
interrupted() {
  trap - INT TERM
  local state
  echo "gpu-run: interrupted after $(( $(date +%s) - start ))s:" \
    "$(for state in succeeded running queued failed; do
         printf '%s %s, ' "$(count_runs "$sweep" "$state")" "$state"
       done | sed 's/, $//')"
  # Each pack's start and end, and each change of the packs a device runs at once.
  pack_times || true
  grep -h "packs on " "$out"/worker-*.log 2>/dev/null | tail -n 30 || true
  exit 130
}
trap interrupted INT TERM
while true; do
  sleep 5
  now=$(( $(date +%s) - start ))
  "$sgctl" --output json runs "$sweep" --state running >"$out/running.json" || true
  # Run id -> device from the workers' "pack N: ... runs 12(seed 0),13(seed 1) on cuda:1" lines.
  python3 - "$out" "$now" <<'PY'
import json, re, sys, glob, collections
out, now = sys.argv[1], sys.argv[2]
where = {}
for log in glob.glob(out + "/worker-*.log"):
    for line in open(log, errors="replace"):
        m = re.search(r"runs (.+?) on (\S+) \(pid", line)
        if m:
            for rid in re.findall(r"(\d+)\(seed", m.group(1)):
                where[int(rid)] = m.group(2)
try:
    runs = json.load(open(out + "/running.json"))
except Exception:
    runs = []
if isinstance(runs, dict):
    runs = runs.get("runs", [])
speed, count = collections.defaultdict(float), collections.defaultdict(int)
for r in runs:
    dev = where.get(int(r.get("run_id", -1)), "?")
    speed[dev] += float(r.get("steps_per_second", 0) or 0)
    count[dev] += 1
with open(out + "/speed.csv", "a") as f:
    for dev in sorted(speed):
        f.write(f"{now},{dev},{speed[dev]:.1f},{count[dev]}\n")
        print(f"gpu-run: {now}s {dev}: {count[dev]} runs, {speed[dev]:.0f} model-steps/s")
PY
  queued=$(count_runs "$sweep" queued)
  running=$(count_runs "$sweep" running)
  [ "$queued" = "0" ] && [ "$running" = "0" ] && break
done
echo "gpu-run: sweep ended after $(( $(date +%s) - start ))s"
# Each pack's times, and how many packs each GPU ran at once, and why (the workers' "packs on
# cuda:N" lines).
pack_times || true
grep -h "packs on " "$out"/worker-*.log || true
"$sgctl" status "$sweep"
"$sgctl" runs "$sweep"
python3 - "$out" <<'PY'
import csv, sys, collections
out = sys.argv[1]
peak = collections.defaultdict(float)
for row in csv.reader(open(out + "/speed.csv")):
    if row[0] == "time_s":
        continue
    peak[row[1]] = max(peak[row[1]], float(row[2]))
for dev, v in sorted(peak.items()):
    print(f"gpu-run: {dev}: peak {v:.0f} model-steps/s (sum over its running runs)")
util = collections.defaultdict(list)
try:
    for row in csv.reader(open(out + "/gpu.csv")):
        util[row[1].strip()].append(float(row[2].strip().split()[0]))
except FileNotFoundError:
    pass
for gpu, u in sorted(util.items()):
    busy = sum(1 for x in u if x >= 50)
    print(f"gpu-run: GPU {gpu}: utilization max {max(u):.0f}%, >=50% in {busy}/{len(u)} samples")
PY
"$sgctl" report "$sweep" || true
# Every run must have its curves: count the runs with train_loss and gen_acc points.
for metric in train_loss gen_acc; do
  "$sgctl" --output csv curves --sweep "$sweep" --metric "$metric" >"$out/$metric.csv" || true
  python3 - "$out/$metric.csv" "$metric" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
key = "run_id" if rows and "run_id" in rows[0] else (list(rows[0].keys())[0] if rows else "")
runs = {r[key] for r in rows}
print(f"gpu-run: {sys.argv[2]}: {len(rows)} points from {len(runs)} runs")
PY
done
# A failed run fails the script, so a measurement call cannot report a grid that did not train.
failed=$(count_runs "$sweep" failed)
if [ "$failed" != "0" ]; then
  echo "gpu-run: $failed run(s) failed: their error column above, and $out/worker-*.log" >&2
  exit 1
fi
