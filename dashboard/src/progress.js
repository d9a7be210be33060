// Progress and ETAs from a sweep's runs (ListRuns). A run's horizon is train.steps of its resolved
// config (Run.resolved_config_json, fixed at submit and changed by extend); its speed is the
// steps/s its worker last reported.
import { num, stateName } from './format.js';

// train.steps of the run's resolved config; 0 when the config is absent or unreadable.
export function horizon(run) {
  if (!run.resolved_config_json) return 0;
  try {
    return num(JSON.parse(run.resolved_config_json)?.train?.steps);
  } catch {
    return 0;
  }
}

// Seconds until a running run reaches its horizon at its current speed; undefined otherwise.
export function runEta(run) {
  const total = horizon(run);
  const speed = num(run.steps_per_second);
  if (stateName(run.state) !== 'running' || !total || !(speed > 0)) return undefined;
  return Math.max(0, total - num(run.step)) / speed;
}

// The sweep's progress (0..1, by steps when horizons are known, else by finished runs) and ETA:
// the steps still to train over the combined speed of the runs training now. undefined ETA when
// nothing is running (no speed to extrapolate from) or everything has ended.
export function sweepProgress(runs) {
  let done = 0;
  let total = 0;
  let remaining = 0;
  let speed = 0;
  let ended = 0;
  let knownHorizons = true;
  for (const r of runs) {
    const state = stateName(r.state);
    const h = horizon(r);
    if (!h) knownHorizons = false;
    const finished = state === 'succeeded' || state === 'failed' || state === 'cancelled';
    if (finished) ended += 1;
    total += h;
    done += finished ? h : Math.min(num(r.step), h);
    if (!finished) remaining += Math.max(0, h - num(r.step));
    if (state === 'running') speed += num(r.steps_per_second);
  }
  const fraction = runs.length === 0 ? 0
    : knownHorizons && total > 0 ? done / total : ended / runs.length;
  const eta = ended === runs.length ? 0 : speed > 0 && knownHorizons ? remaining / speed : undefined;
  return { fraction, eta, ended, total: runs.length };
}
