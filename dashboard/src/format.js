// Formatting of the API's values. int64 fields arrive as JSON strings; num() turns them (and
// doubles, which may be "NaN" or "Infinity" in the JSON mapping) into numbers.

export function num(v) {
  if (v === undefined || v === null || v === '') return 0;
  return typeof v === 'number' ? v : Number(v);
}

// An optional proto field: undefined when absent.
export function opt(v) {
  return v === undefined || v === null ? undefined : num(v);
}

export const STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

// "RUN_STATE_RUNNING" -> "running" (the JSON mapping prints enum names).
export function stateName(v) {
  if (typeof v === 'number') return STATES[v - 1] || 'unspecified';
  return String(v || 'RUN_STATE_UNSPECIFIED').replace('RUN_STATE_', '').toLowerCase();
}

export function int(v) {
  const n = num(v);
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n);
}

export function fixed(v, digits = 3) {
  if (v === undefined) return '—';
  const n = num(v);
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}

export function pct(fraction) {
  return `${(100 * fraction).toFixed(fraction > 0 && fraction < 0.1 ? 1 : 0)}%`;
}

// Seconds as "3h 12m", "4m 05s", "12s".
export function duration(seconds) {
  if (seconds === undefined || !Number.isFinite(seconds)) return '—';
  const t = Math.max(0, Math.round(seconds));
  const hours = Math.floor(t / 3600);
  const minutes = Math.floor((t % 3600) / 60);
  const secs = t % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m ${String(secs).padStart(2, '0')}s`;
  return `${secs}s`;
}

// A Unix-ms time as local "2026-12-03 21:40:05"; 0 is "—".
export function time(ms) {
  const n = num(ms);
  if (!n) return '—';
  const d = new Date(n);
  const p = (x) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
         `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

// An attempt's outcome (GetRun's RunAttempt.outcome) in words for the Attempts table.
const OUTCOMES = {
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  released: 'released (worker stopped)',
  lease_expired: 'lease expired',
  cancelled: 'cancelled',
  extended: 'horizon raised, queued again',
};
export function outcomeLabel(outcome) {
  return OUTCOMES[outcome] || outcome || '—';
}

// How long ago a Unix-ms time was, e.g. "12s ago".
export function ago(ms, now = Date.now()) {
  const n = num(ms);
  if (!n) return 'never';
  return `${duration((now - n) / 1000)} ago`;
}

export function bytes(v) {
  const n = num(v);
  if (!n) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i += 1;
  }
  return `${x.toFixed(x < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}

// "depth=6,seed=1"-style label of a run's grid axes.
export function axesLabel(config) {
  return (config || []).map((a) => `${a.axis}=${num(a.value)}`).join(',');
}
