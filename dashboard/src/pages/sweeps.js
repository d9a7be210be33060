// "/": every sweep with its task, tags, runs by state, progress and ETA.
import { get } from '../api.js';
import { fill, h } from '../dom.js';
import { duration, num, pct, STATES, time } from '../format.js';
import { sweepProgress } from '../progress.js';

// A sweep's run counts by state, in STATES order (Sweep has one field per state).
export function stateCounts(sweep) {
  return {
    queued: num(sweep.queued),
    running: num(sweep.running),
    succeeded: num(sweep.succeeded),
    failed: num(sweep.failed),
    cancelled: num(sweep.cancelled_runs),
  };
}

// A bar split by run state, with the counts written after it.
export function stateBar(counts, total) {
  const bar = h('div', { class: 'statebar' });
  for (const st of STATES) {
    if (counts[st] > 0) {
      bar.append(h('span', { class: `st-${st}`, style: `flex-grow:${counts[st]}`,
        title: `${counts[st]} ${st}` }));
    }
  }
  const words = STATES.filter((st) => counts[st] > 0)
    .map((st) => h('span', { class: `count st-text-${st}` }, `${counts[st]} ${st}`));
  return h('div', { class: 'states' }, total > 0 ? bar : null,
    h('div', { class: 'counts' }, words.length ? words : 'no runs'));
}

export function progressBar(fraction) {
  return h('div', { class: 'progress', title: pct(fraction) },
    h('span', { style: `width:${(100 * fraction).toFixed(1)}%` }), h('em', {}, pct(fraction)));
}

export function sweepsPage(el) {
  const table = h('tbody');
  fill(el, h('h1', {}, 'Sweeps'),
    h('table', { class: 'list sweeps' },
      h('thead', {}, h('tr', {}, ['id', 'name', 'task', 'tags', 'runs by state', 'progress',
        'ETA', 'created'].map((c) => h('th', {}, c)))),
      table));
  const progressBySweep = new Map();  // sweep id -> {fraction, eta} from its runs

  return {
    title: 'Sweeps',
    async refresh() {
      const { sweeps = [] } = await get('sweeps');
      // Runs only of sweeps that still have runs to train; every run of the others has ended.
      await Promise.all(sweeps.map(async (sw) => {
        const c = stateCounts(sw);
        const id = String(sw.sweep_id);
        if (c.queued + c.running === 0) {
          progressBySweep.set(id, { fraction: 1, eta: 0 });
          return;
        }
        const { runs = [] } = await get(`sweeps/${id}/runs`);
        progressBySweep.set(id, sweepProgress(runs));
      }));
      if (sweeps.length === 0) {
        fill(table, h('tr', {}, h('td', { colspan: 8, class: 'muted' },
          'No sweeps yet: submit one with ', h('code', {}, 'sgctl submit SPEC.yaml'), '.')));
        return;
      }
      fill(table, sweeps.slice().reverse().map((sw) => {
        const id = String(sw.sweep_id);
        const counts = stateCounts(sw);
        const p = progressBySweep.get(id) || { fraction: 0 };
        const active = counts.queued + counts.running > 0;
        return h('tr', { 'data-sweep-id': id },
          h('td', { class: 'num' }, id),
          h('td', {}, h('a', { href: `/sweeps/${id}` }, sw.name),
            sw.cancelled ? h('span', { class: 'tag warn' }, 'cancelled') : null),
          h('td', {}, sw.task),
          h('td', {}, (sw.tags || []).map((t) => h('span', { class: 'tag' }, t))),
          h('td', {}, stateBar(counts, num(sw.total_runs))),
          h('td', {}, progressBar(p.fraction)),
          h('td', { class: 'num' }, active ? duration(p.eta) : 'done'),
          h('td', { class: 'muted' }, time(sw.created_ms)));
      }));
    },
  };
}
