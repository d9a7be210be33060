// "/runs/ID": one run: its state and progress, every metric it has recorded (one panel each, on a
// log-step axis), its attempts (worker, device, times, outcome, error, step) and last error, the
// checkpoints it reported, its history of changes, its worker.
import { get } from '../api.js';
import { bandChart, PALETTE } from '../chart.js';
import { fill, h } from '../dom.js';
import { ago, axesLabel, bytes, duration, fixed, int, num, outcomeLabel, stateName, time } from '../format.js';
import { horizon, runEta } from '../progress.js';

function kv(rows) {
  return h('dl', { class: 'kv' }, rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function historyTable(history) {
  if (!history || history.length === 0) return h('p', { class: 'muted' }, 'No changes (extend, retry, cancel) yet.');
  return h('table', { class: 'list' },
    h('thead', {}, h('tr', {}, ['time', 'action', 'by', 'at step', 'horizon', 'state', 'detail']
      .map((c) => h('th', {}, c)))),
    h('tbody', {}, history.map((c) => h('tr', {},
      h('td', {}, time(c.at_ms)), h('td', {}, c.action), h('td', {}, c.actor || 'anonymous'),
      h('td', { class: 'num' }, int(c.from_step)),
      h('td', { class: 'num' }, num(c.steps_before) === num(c.steps_after) ? int(c.steps_after)
        : `${int(c.steps_before)} → ${int(c.steps_after)}`),
      h('td', {}, `${stateName(c.state_before)} → ${stateName(c.state_after)}`),
      h('td', {}, c.detail)))));
}

// Every attempt (claim) of the run: who ran it where, when, how it ended and how far it got.
function attemptsTable(attempts) {
  if (!attempts || attempts.length === 0) {
    return h('p', { class: 'muted' }, 'No attempt records (never claimed, or claimed before the coordinator kept them).');
  }
  return h('table', { class: 'list attempts' },
    h('thead', {}, h('tr', {}, ['attempt', 'worker', 'device', 'started', 'ended', 'outcome', 'error', 'step']
      .map((c) => h('th', {}, c)))),
    h('tbody', {}, attempts.map((a) => h('tr', { 'data-attempt': a.attempt, 'data-outcome': a.outcome },
      h('td', { class: 'num' }, String(a.attempt)),
      h('td', {}, a.worker_id, a.hostname ? h('small', { class: 'muted' }, ` (${a.hostname})`) : null),
      h('td', {}, a.device || '—'),
      h('td', {}, time(a.claimed_ms)),
      h('td', {}, time(a.ended_ms)),
      h('td', {}, h('span', { class: `outcome oc-${a.outcome}` }, outcomeLabel(a.outcome))),
      h('td', {}, a.error ? h('pre', { class: 'error-text' }, a.error) : ''),
      h('td', { class: 'num' }, num(a.start_step) ? `${int(a.start_step)} → ${int(a.step)}` : int(a.step))))));
}

// The checkpoints the run reported, newest first, with the attempt that wrote each.
function checkpointsList(checkpoints) {
  if (!checkpoints || checkpoints.length === 0) return h('p', { class: 'muted' }, 'No checkpoints reported.');
  return h('ul', { class: 'checkpoints' }, [...checkpoints].reverse().map((c) =>
    h('li', { 'data-step': num(c.step) }, `step ${int(c.step)}`,
      num(c.attempt) ? h('small', { class: 'muted' }, ` (attempt ${c.attempt})`) : null, ' ',
      h('code', {}, c.path))));
}

export function workerBlock(w) {
  if (!w) return h('p', { class: 'muted' }, 'Never claimed by a worker.');
  return kv([
    ['worker', h('a', { href: '/workers' }, w.worker_id)],
    ['host', w.hostname],
    ['devices', (w.devices || []).map((d) => `${d.name} (${bytes(d.memory_bytes)}, ${d.slots} slots)`).join(', ') || '—'],
    ['last heartbeat', `${ago(w.last_heartbeat_ms)} (${time(w.last_heartbeat_ms)})`],
    ['running runs', String(w.running_runs ?? 0)],
  ]);
}

export function runPage(el, [runId]) {
  const head = h('div');
  const info = h('div', { class: 'two' });
  const attempts = h('section');
  const metricsBox = h('div', { class: 'panels' });
  const lastValues = h('div');
  fill(el, head, info, attempts,
    h('section', {}, h('h2', {}, 'Metrics'), lastValues, metricsBox));
  let ended = false;
  let drawnAfterEnd = false;

  return {
    title: `Run ${runId}`,
    async refresh() {
      const { run, sweep, metrics = [], worker, attempts: tries = [], checkpoints = [] } =
        await get(`runs/${runId}`);
      const state = stateName(run.state);
      const total = horizon(run);
      ended = !(state === 'queued' || state === 'running');
      document.title = `Run ${run.run_id} · sg`;
      fill(head, h('h1', {}, `Run ${run.run_id}`,
        h('small', {}, ' of ', h('a', { href: `/sweeps/${run.sweep_id}` }, sweep?.name || `sweep ${run.sweep_id}`))),
      h('p', {}, h('span', { class: `badge st-${state}`, 'data-state': state }, state), ' ',
        axesLabel(run.config), `, seed ${num(run.seed)}`));
      fill(info,
        h('section', {}, h('h2', {}, 'Progress'), kv([
          ['step', `${int(run.step)}${total ? ` / ${int(total)}` : ''}`],
          ['steps/s', state === 'running' ? fixed(run.steps_per_second, 2) : '—'],
          ['ETA', state === 'running' ? duration(runEta(run)) : '—'],
          ['started', time(run.started_ms)],
          ['finished', time(run.finished_ms)],
          ['checkpoint', num(run.checkpoint_step) ? `step ${int(run.checkpoint_step)}` : 'none yet'],
          ['checkpoint path', run.checkpoint_path || '—'],
          num(run.non_finite_step) ? ['non-finite loss at step', int(run.non_finite_step)] : null,
          ['cell', run.cell_key],
        ])),
        h('section', {}, h('h2', {}, 'Worker'), workerBlock(worker)));
      fill(attempts, h('h2', {}, 'Attempts'),
        kv([['attempts (claims)', String(run.attempts ?? 0)],
          ['last error', run.last_error ? h('pre', { class: 'error-text' }, run.last_error) : 'none'],
          state === 'running' ? ['lease expires', time(run.lease_expires_ms)] : null]),
        attemptsTable(tries),
        h('h2', {}, 'Checkpoints'), checkpointsList(checkpoints),
        h('h3', {}, 'History'), historyTable(run.history));

      if (ended && drawnAfterEnd) return;
      drawnAfterEnd = ended;
      if (metrics.length === 0) {
        fill(metricsBox, h('p', { class: 'muted' }, 'No points recorded yet.'));
        fill(lastValues);
        return;
      }
      const { curves = [] } = await get(`runs/${runId}/curves`,
        { metrics, max_points: 400, log_steps: true });
      const byMetric = new Map(curves.map((c) => [c.metric, (c.points || []).map((p) => ({
        step: num(p.step), value: num(p.value) }))]));
      fill(lastValues, h('table', { class: 'list last' },
        h('thead', {}, h('tr', {}, ['metric', 'last step', 'last value'].map((c) => h('th', {}, c)))),
        h('tbody', {}, metrics.map((m) => {
          const pts = byMetric.get(m) || [];
          const last = pts[pts.length - 1];
          return h('tr', {}, h('td', {}, m), h('td', { class: 'num' }, last ? int(last.step) : '—'),
            h('td', { class: 'num' }, last ? fixed(last.value, 4) : '—'));
        }))));
      fill(metricsBox, metrics.map((m, i) => h('div', { class: 'panel', 'data-metric': m },
        h('div', { class: 'panel-head' }, h('strong', {}, m)),
        bandChart([{ label: m, color: PALETTE[i % PALETTE.length],
          points: (byMetric.get(m) || []).map((p) => ({ step: p.step, median: p.value,
            p25: p.value, p75: p.value })) }], { yLabel: m }))));
    },
  };
}
