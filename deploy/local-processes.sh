# Sourced by deploy/quickstart.sh and deploy/gpu-run.sh: starting a local coordinator and
# stopping every process the script started, newest first (workers before the coordinator, so
# they checkpoint and release their runs while it still answers). Needs $build set.
#
# The long-lived processes start in a session of their own (start_detached): a Ctrl-C, or a
# caller's `timeout -s INT` (which signals its whole process group), then reaches only the
# script, whose EXIT trap stops them in that order. In the script's group the coordinator
# would stop at once beside the workers, which could then not release their runs.

pids=()
# start_detached CMD...: runs CMD in the background in a new session (its pid in pids, and
# in $! as usual); redirect its output where it is called.
start_detached() {
  setsid "$@" &
  pids+=($!)
}
stop_local_processes() {
  for ((i=${#pids[@]}-1; i>=0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
}

# count_runs SWEEP STATE: how many runs of SWEEP (a name) the coordinator at $SG_COORDINATOR
# lists in STATE (queued, running, succeeded, failed, ...); 0, with sgctl's error on stderr,
# when it does not answer.
count_runs() {
  "$build/sgctl/sgctl" --output json runs "$1" --state "$2" | grep -c '"run_id"' || true
}

# start_local_coordinator DIR: a coordinator on an ephemeral port of 127.0.0.1 with its database
# and log in DIR; exports SG_COORDINATOR. Returns 1 (log printed) if it did not start.
start_local_coordinator() {
  local dir="$1"
  rm -f "$dir/port"  # a port file left by an earlier run in DIR would name a dead coordinator
  start_detached "$build/coordinator/sg-coordinator" --listen 127.0.0.1:0 \
    --db "$dir/coordinator.db" --port_file "$dir/port" >"$dir/coordinator.log" 2>&1
  for _ in $(seq 1 100); do
    [ -s "$dir/port" ] && break
    sleep 0.1
  done
  if [ ! -s "$dir/port" ]; then
    echo "the coordinator did not start; see $dir/coordinator.log" >&2
    cat "$dir/coordinator.log" >&2
    return 1
  fi
  export SG_COORDINATOR="127.0.0.1:$(cat "$dir/port")"
}
