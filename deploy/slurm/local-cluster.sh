#!/usr/bin/env bash
# A single-node SLURM cluster on this machine from Debian's packages (munge, slurmctld, slurmd,
# slurm-client), for trying the sbatch script and for the SLURM test. Everything it writes lives
# in STATE_DIR (its own munge key and socket, slurm.conf, spool and logs); nothing in /etc is
# touched. Needs root (slurmd starts jobs as their users).
#   deploy/slurm/local-cluster.sh start STATE_DIR   prints "export SLURM_CONF=..." on success
#   deploy/slurm/local-cluster.sh stop STATE_DIR
# Ports: SG_SLURMCTLD_PORT (default 16817) and SG_SLURMD_PORT (default 16818).
# Exit 77 with the reason when SLURM cannot start here (not root, packages missing).
set -euo pipefail
action="${1:?usage: local-cluster.sh start|stop STATE_DIR}"
state="${2:?usage: local-cluster.sh start|stop STATE_DIR}"
mkdir -p "$state"
state="$(cd "$state" && pwd)"
conf="$state/slurm.conf"

stop_pidfile() {  # pidfile: ends the daemon it names (a daemon this script started)
  if [ -f "$1" ]; then
    local pid
    pid="$(cat "$1")"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$1"
  fi
}

if [ "$action" = stop ]; then
  stop_pidfile "$state/slurmd.pid"
  stop_pidfile "$state/slurmctld.pid"
  stop_pidfile "$state/munged.pid"
  exit 0
fi
[ "$action" = start ] || { echo "local-cluster.sh: unknown action '$action' (start or stop)" >&2; exit 2; }

skip() { echo "SKIPPED: SLURM cannot start here: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "slurmd must run as root (this is uid $(id -u))"
for bin in munged mungekey slurmctld slurmd sbatch sinfo scontrol; do
  command -v "$bin" >/dev/null || [ -x "/usr/sbin/$bin" ] \
    || skip "$bin is missing (Debian packages: munge slurmctld slurmd slurm-client; deploy/install-deps.sh installs them)"
done
export PATH="/usr/sbin:$PATH"

host="$(hostname -s)"
cpus="$(nproc)"
ctld_port="${SG_SLURMCTLD_PORT:-16817}"
slurmd_port="${SG_SLURMD_PORT:-16818}"
mkdir -p "$state/ctld" "$state/spool" "$state/munge"
chmod 700 "$state/munge"

# munge: a private key and socket, so a system munged (if any) is left alone.
[ -f "$state/munge/munge.key" ] || mungekey --create --keyfile="$state/munge/munge.key" >/dev/null
chmod 600 "$state/munge/munge.key"
stop_pidfile "$state/munged.pid"
munged --force --key-file="$state/munge/munge.key" --socket="$state/munge/munge.socket" \
  --pid-file="$state/munged.pid" --log-file="$state/munge/munged.log" \
  --seed-file="$state/munge/munge.seed" \
  || skip "munged did not start: $(tail -3 "$state/munge/munged.log" 2>/dev/null)"

cat > "$conf" <<CONF
# Written by deploy/slurm/local-cluster.sh: one node, no accounting, no cgroups.
ClusterName=sglocal
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$state/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
JobRequeue=1
# scancel and the time limit send SIGTERM, then SIGKILL after KillWait: time to checkpoint.
KillWait=60
MinJobAge=600
SlurmdTimeout=60
InactiveLimit=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
export SLURM_CONF="$conf"
stop_pidfile "$state/slurmd.pid"
stop_pidfile "$state/slurmctld.pid"
slurmctld -f "$conf" || skip "slurmctld did not start: $(tail -5 "$state/slurmctld.log" 2>/dev/null)"
slurmd -f "$conf" || skip "slurmd did not start: $(tail -5 "$state/slurmd.log" 2>/dev/null)"
for _ in $(seq 60); do
  if sinfo -h -N -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then
    echo "export SLURM_CONF=$conf"
    exit 0
  fi
  scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
  sleep 1
done
skip "the node never became idle: $(sinfo -N 2>&1 | tail -2); $(tail -3 "$state/slurmd.log" 2>/dev/null)"
