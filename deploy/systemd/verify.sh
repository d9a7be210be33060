#!/usr/bin/env bash
# Checks the systemd units (a CTest test): `systemd-analyze verify` must accept them without a
# single message, and `systemd-analyze security --offline` must rate their hardening at most
# the thresholds below (exposure x 10: 0 best, 100 worst). The units name /usr/local/bin; the check points them
# at the freshly built binaries instead, since verify insists that ExecStart exists.
#   deploy/systemd/verify.sh BUILD_DIR
# Exit 77 (CTest: skipped) with the reason when systemd-analyze is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:?usage: verify.sh BUILD_DIR}" && pwd)"
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIPPED: systemd-analyze not found (Debian package: systemd); deploy/install-deps.sh installs it"
  exit 77
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
sed "s|/usr/local/bin/sg-coordinator|$build/coordinator/sg-coordinator|" \
  "$here/sg-coordinator.service" > "$tmp/sg-coordinator.service"
sed "s|/usr/local/bin/sg-worker|$build/worker/sg-worker|" \
  "$here/sg-worker@.service" > "$tmp/sg-worker@.service"
for bin in "$build/coordinator/sg-coordinator" "$build/worker/sg-worker"; do
  [ -x "$bin" ] || { echo "FAIL: $bin not built"; exit 1; }
done
cd "$tmp"
status=0
# An instance of the template is verified through its template file in the same folder.
for unit in sg-coordinator.service sg-worker@gpus.service; do
  out="$(systemd-analyze verify --man=no "./$unit" 2>&1)" || status=1
  if [ -n "$out" ]; then
    echo "FAIL: systemd-analyze verify $unit:"
    echo "$out"
    status=1
  else
    echo "ok: systemd-analyze verify $unit"
  fi
done
check_security() {  # unit threshold
  if ! systemd-analyze security --offline=true --threshold="$2" "./$1" > "$tmp/security.txt" 2>&1; then
    echo "FAIL: $1 hardening exposure above $2:"
    grep -E "✗|Overall" "$tmp/security.txt" || cat "$tmp/security.txt"
    status=1
  else
    echo "ok: $(grep Overall "$tmp/security.txt")"
  fi
}
check_security sg-coordinator.service 20
# The worker needs the GPU device files and writable-executable memory (CUDA).
check_security sg-worker@gpus.service 30
exit "$status"
