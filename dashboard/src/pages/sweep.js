// "/sweeps/ID": one sweep live: its grid x seed matrix, grouped curves (median and interquartile
// band across seeds on a log-step axis, one panel per chosen metric), the report table, seeds
// above the grokking threshold per group, and gen_acc at the early-stopping point against final.
// The URL's query keeps the chosen panels and grouping (?metrics=val_acc,gen_acc&group_by=depth).
import { get } from '../api.js';
import { bandChart, barChart, PALETTE, scatterChart } from '../chart.js';
import { fill, h } from '../dom.js';
import { axesLabel, duration, fixed, int, num, opt, stateName } from '../format.js';
import { setQuery } from '../nav.js';
import { horizon, runEta, sweepProgress } from '../progress.js';
import { progressBar, stateBar, stateCounts } from './sweeps.js';

const DEFAULT_METRICS = ['val_acc', 'gen_acc', 'train_loss'];
const EVERY_AXIS = '';  // group_by left empty: one group per grid cell

// The runs' grid axes in the spec's order (each run's config lists them in that order).
function gridAxes(runs) {
  const axes = [];
  for (const r of runs) {
    for (const a of r.config || []) if (!axes.includes(a.axis)) axes.push(a.axis);
  }
  return axes;
}

function compareConfigs(a, b) {
  const ca = a.config || [];
  const cb = b.config || [];
  for (let i = 0; i < Math.min(ca.length, cb.length); i += 1) {
    const d = num(ca[i].value) - num(cb[i].value);
    if (d !== 0) return d;
  }
  return 0;
}

// The label a grouping gives a run's config ("depth=6"; every axis when groupBy is empty), the
// same text the server's AggregateCurve.label and ReportRow.label carry.
function groupLabel(config, groupBy) {
  const cfg = config || [];
  return axesLabel(groupBy === EVERY_AXIS ? cfg : cfg.filter((a) => a.axis === groupBy));
}

function matrix(runs) {
  const seeds = [...new Set(runs.map((r) => num(r.seed)))].sort((a, b) => a - b);
  const cells = new Map();  // cell_key -> {config, bySeed}
  for (const r of runs.slice().sort(compareConfigs)) {
    if (!cells.has(r.cell_key)) cells.set(r.cell_key, { config: r.config, bySeed: new Map() });
    cells.get(r.cell_key).bySeed.set(num(r.seed), r);
  }
  const head = h('tr', {}, h('th', {}, 'cell \\ seed'), seeds.map((sd) => h('th', {}, `seed ${sd}`)));
  const rows = [...cells.entries()].map(([key, cell]) => h('tr', { 'data-cell': key },
    h('th', {}, key || '(no axes)'),
    seeds.map((sd) => {
      const r = cell.bySeed.get(sd);
      if (!r) return h('td', { class: 'cell absent' });
      const state = stateName(r.state);
      const total = horizon(r);
      const eta = runEta(r);
      const speed = num(r.steps_per_second);
      return h('td', { class: `cell st-${state}`, 'data-state': state, 'data-run-id': String(r.run_id) },
        h('a', { href: `/runs/${r.run_id}`, title: r.last_error || `run ${r.run_id}: ${state}` },
          h('strong', {}, state),
          h('span', {}, `${int(r.step)}${total ? ` / ${int(total)}` : ''}`),
          state === 'running' ? h('span', {}, `${speed > 0 ? speed.toFixed(1) : '—'} steps/s`) : null,
          state === 'running' ? h('span', {}, `ETA ${duration(eta)}`) : null));
    })));
  return h('table', { class: 'matrix' }, h('thead', {}, head), h('tbody', {}, rows));
}

// Every page of a curve query, each aggregate's points appended (GetCurves pages long answers).
async function aggregates(sweepId, metric, groupBy) {
  const params = { metric, aggregate: true, max_points: 400, log_steps: true };
  if (groupBy !== EVERY_AXIS) params.group_by = groupBy;
  const byLabel = new Map();
  for (let page = 0; page < 50; page += 1) {
    const reply = await get(`sweeps/${sweepId}/curves`, params);
    for (const a of reply.aggregates || []) {
      if (!byLabel.has(a.label)) byLabel.set(a.label, { ...a, points: [] });
      byLabel.get(a.label).points.push(...(a.points || []));
    }
    if (!num(reply.next_start_step)) break;
    params.start_step = reply.next_start_step;
  }
  return [...byLabel.values()];
}

function reportTable(report) {
  const rows = report.rows || [];
  const ci = (lo, hi) => (lo === undefined ? '' : ` [${fixed(lo, 2)}, ${fixed(hi, 2)}]`);
  const cols = ['group', 'seeds', 'finished', 'counted', 'grokked', 'mean final gen_acc',
    'median final', `mean gen_acc at early stop`, 'final − early stop', 'median grok step',
    'median first cross', 't_score'];
  return h('table', { class: 'list report' },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', {}, c)))),
    h('tbody', {}, rows.length === 0
      ? h('tr', {}, h('td', { colspan: cols.length, class: 'muted' }, 'no rows yet'))
      : rows.map((r) => h('tr', {},
        h('th', {}, r.label || '(all)'),
        h('td', { class: 'num' }, int(r.seeds_total)),
        h('td', { class: 'num' }, int(r.seeds_finished)),
        h('td', { class: 'num' }, int(r.seeds_counted)),
        h('td', { class: 'num' }, int(r.seeds_grokked)),
        h('td', { class: 'num' }, fixed(opt(r.mean_final_gen_acc)),
          h('small', {}, ci(opt(r.mean_final_gen_acc_ci_low), opt(r.mean_final_gen_acc_ci_high)))),
        h('td', { class: 'num' }, fixed(opt(r.median_final_gen_acc))),
        h('td', { class: 'num' }, fixed(opt(r.mean_gen_acc_at_early_stop)),
          h('small', {}, ci(opt(r.mean_gen_acc_at_early_stop_ci_low),
            opt(r.mean_gen_acc_at_early_stop_ci_high)))),
        h('td', { class: 'num' }, fixed(opt(r.mean_final_minus_early_stop_gen_acc)),
          h('small', {}, ci(opt(r.mean_final_minus_early_stop_gen_acc_ci_low),
            opt(r.mean_final_minus_early_stop_gen_acc_ci_high)))),
        h('td', { class: 'num' }, opt(r.median_grok_step) === undefined ? '—' : int(r.median_grok_step)),
        h('td', { class: 'num' }, opt(r.median_first_cross_step) === undefined ? '—'
          : `${r.median_first_cross_step_censored ? '≥ ' : ''}${int(r.median_first_cross_step)}`),
        h('td', { class: 'num' }, opt(r.t_score_mean) === undefined ? '—'
          : `${fixed(r.t_score_mean, 2)} ± ${fixed(opt(r.t_score_sd), 2)}`)))));
}

export function sweepPage(el, [sweepId], query) {
  const state = {
    groupBy: query.has('group_by') ? query.get('group_by') : null,  // null: chosen from the axes
    metrics: (query.get('metrics') || '').split(',').filter(Boolean),
    known: [],      // the sweep's recorded metric names (ListSweepMetrics)
    colors: new Map(),
    ended: false,   // the sweep had nothing queued or running at the last refresh
    drawnAfterEnd: false,
    panelsDirty: false,  // panels drawn since the last curve refresh (they show "loading…")
    polls: 0,
  };
  const header = h('div', { class: 'sweep-head' });
  const matrixBox = h('div', { class: 'matrix-box' });
  const groupSelect = h('select', { id: 'group-by', 'aria-label': 'group curves by' });
  const legend = h('div', { class: 'legend' });
  const panels = h('div', { class: 'panels' });
  const reportBox = h('div', { class: 'report-box' });
  const aboveBox = h('div', { class: 'above-box' });
  const scatterBox = h('div', { class: 'scatter-box' });
  const addButton = h('button', { type: 'button', id: 'add-panel' }, 'Add panel');
  fill(el, header,
    h('section', {}, h('h2', {}, 'Grid × seed'), matrixBox),
    h('section', {}, h('h2', {}, 'Curves'),
      h('div', { class: 'toolbar' }, h('label', {}, 'group by ', groupSelect), addButton,
        h('span', { class: 'muted' }, 'median across seeds, band: 25th–75th percentile')),
      legend, panels),
    h('section', {}, h('h2', {}, 'Report'), reportBox),
    h('div', { class: 'two' },
      h('section', {}, h('h2', {}, 'Seeds above the grokking threshold'), aboveBox),
      h('section', {}, h('h2', {}, 'gen_acc: early stop vs final'), scatterBox)));

  // A refresh started by a picker (outside the page's polling loop) shows its failure itself.
  const showFailure = (err) => fill(legend, h('span', { class: 'error' }, `${err.code || 'error'}: ${err.message}`));
  const saveQuery = () => {
    const q = { metrics: state.metrics.join(',') };
    if (state.groupBy !== null) q.group_by = state.groupBy;
    setQuery(q);
  };
  const colorOf = (label) => {
    if (!state.colors.has(label)) state.colors.set(label, PALETTE[state.colors.size % PALETTE.length]);
    return state.colors.get(label);
  };

  // One panel per chosen metric: a picker, a remove button and the chart.
  const panelEls = new Map();  // index -> {root, chartBox}
  const drawPanels = () => {
    state.panelsDirty = true;
    panelEls.clear();
    fill(panels, state.metrics.map((metric, i) => {
      const select = h('select', { class: 'metric-picker', 'aria-label': `panel ${i + 1} metric`,
        onchange: (e) => {
          state.metrics[i] = e.target.value;
          saveQuery();
          drawPanels();
          refreshCurves().catch(showFailure);
        } },
      [...new Set([...state.known, metric])].map((m) => h('option', { value: m, selected: m === metric }, m)));
      const remove = h('button', { type: 'button', class: 'link', title: 'remove this panel',
        onclick: () => {
          state.metrics.splice(i, 1);
          saveQuery();
          drawPanels();
          refreshCurves().catch(showFailure);
        } }, '×');
      const chartBox = h('div', { class: 'chart-box' }, h('p', { class: 'muted' }, 'loading…'));
      const root = h('div', { class: 'panel', 'data-metric': metric },
        h('div', { class: 'panel-head' }, select, remove), chartBox);
      panelEls.set(i, { root, chartBox, metric });
      return root;
    }));
  };
  addButton.addEventListener('click', () => {
    const unused = state.known.find((m) => !state.metrics.includes(m)) || state.known[0];
    if (!unused) return;
    state.metrics.push(unused);
    saveQuery();
    drawPanels();
    refreshCurves().catch(showFailure);
  });
  groupSelect.addEventListener('change', () => {
    state.groupBy = groupSelect.value;
    state.colors.clear();
    saveQuery();
    refreshCurves().catch(showFailure);
    refreshReport().catch(showFailure);
  });

  async function refreshCurves() {
    state.panelsDirty = false;
    const results = await Promise.all([...panelEls.values()].map(async (p) => {
      if (!state.known.includes(p.metric)) return [p, null];
      return [p, await aggregates(sweepId, p.metric, state.groupBy)];
    }));
    for (const [p, aggs] of results) {
      if (aggs === null) {
        fill(p.chartBox, h('p', { class: 'muted' }, `no ${p.metric} points yet`));
        continue;
      }
      const series = aggs.map((a) => ({
        label: a.label,
        color: colorOf(a.label),
        points: (a.points || []).map((pt) => ({ step: num(pt.step), median: num(pt.median),
          p25: num(pt.p25), p75: num(pt.p75) })),
      }));
      fill(p.chartBox, bandChart(series, { yLabel: p.metric }));
    }
    fill(legend, [...state.colors.entries()].map(([label, color]) =>
      h('span', { class: 'key' }, h('i', { style: `background:${color}` }), label)));
  }

  async function refreshReport() {
    const params = {};
    if (state.groupBy !== EVERY_AXIS) params.group_by = state.groupBy;
    const report = await get(`sweeps/${sweepId}/report`, params);
    fill(reportBox, reportTable(report),
      h('p', { class: 'muted' }, `Early stopping: ${report.early_stop || '—'}; grokked: final gen_acc`
        + ' above the threshold (0.8); statistics over finished seeds; intervals: '
        + `${Math.round(100 * num(report.bootstrap_confidence))}% bootstrap`
        + ` (${int(report.bootstrap_resamples)} resamples).`));
    fill(aboveBox, barChart((report.rows || []).map((r) => ({
      label: r.label || '(all)', value: num(r.seeds_grokked), of: num(r.seeds_counted),
      color: colorOf(r.label) })), { title: 'seeds with final gen_acc above 0.8 / counted seeds' }));
    fill(scatterBox, scatterChart((report.runs || []).map((a) => {
      const label = groupLabel(a.config, state.groupBy);
      return { x: opt(a.gen_acc_at_early_stop), y: opt(a.final_gen_acc), color: colorOf(label),
        label: `run ${a.run_id} (${axesLabel(a.config)}, seed ${num(a.seed)})` };
    }).filter((p) => p.x !== undefined && p.y !== undefined),
    { xLabel: 'gen_acc at the early-stopping point', yLabel: 'final gen_acc' }));
  }

  return {
    title: `Sweep ${sweepId}`,
    async refresh() {
      const [{ sweep }, { runs = [] }] = await Promise.all([
        get(`sweeps/${sweepId}`), get(`sweeps/${sweepId}/runs`)]);
      const counts = stateCounts(sweep);
      const progress = sweepProgress(runs);
      const active = counts.queued + counts.running > 0;
      document.title = `${sweep.name} · sg`;
      fill(header, h('h1', {}, sweep.name, h('small', {}, ` sweep ${sweep.sweep_id} · ${sweep.task}`)),
        h('div', { class: 'tags' }, (sweep.tags || []).map((t) => h('span', { class: 'tag' }, t)),
          sweep.cancelled ? h('span', { class: 'tag warn' }, 'cancelled') : null),
        sweep.notes ? h('p', { class: 'notes' }, sweep.notes) : null,
        h('div', { class: 'summary' }, stateBar(counts, num(sweep.total_runs)),
          progressBar(progress.fraction),
          h('span', {}, active ? `ETA ${duration(progress.eta)}` : 'all runs ended')));
      fill(matrixBox, matrix(runs));

      // The metric list and the picker's axes, then the panels (first time, or as metrics appear).
      if (state.polls % 5 === 0 || state.known.length === 0) {
        const { metrics = [] } = await get(`sweeps/${sweepId}/metrics`);
        const names = metrics.map((m) => m.metric);
        const changed = names.join() !== state.known.join();
        state.known = names;
        if (state.metrics.length === 0 && names.length > 0) {
          state.metrics = DEFAULT_METRICS.filter((m) => names.includes(m));
          if (state.metrics.length === 0) state.metrics = names.slice(0, 2);
          saveQuery();
        }
        if (changed || panelEls.size !== state.metrics.length) drawPanels();
      }
      const axes = gridAxes(runs);
      if (state.groupBy === null) state.groupBy = axes.includes('depth') ? 'depth' : axes[0] ?? EVERY_AXIS;
      if (groupSelect.options.length !== axes.length + 1) {
        fill(groupSelect, axes.map((a) => h('option', { value: a }, a)),
          h('option', { value: EVERY_AXIS }, 'every axis (grid cell)'));
      }
      groupSelect.value = state.groupBy;
      state.polls += 1;

      // Curves and the report change only while runs train; once the sweep has ended they are
      // drawn one last time.
      if (active || !state.drawnAfterEnd) {
        await Promise.all([refreshCurves(), refreshReport()]);
        state.drawnAfterEnd = !active;
      } else if (state.panelsDirty) {
        await refreshCurves();
      }
    },
  };
}
