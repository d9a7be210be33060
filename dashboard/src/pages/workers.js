// "/workers": every registered worker: online or not, its devices, the packs it trains now and
// its heartbeats.
import { get } from '../api.js';
import { fill, h } from '../dom.js';
import { ago, bytes, num, time } from '../format.js';

// A worker is online while its last heartbeat is younger than a lease (sg-coordinator
// --lease-seconds, 60 by default): past that its runs are given to others. The same rule as the
// coordinator's sg_coordinator_workers_online gauge.
const ONLINE_MS = 60_000;

export function workersPage(el) {
  const table = h('tbody');
  fill(el, h('h1', {}, 'Workers'),
    h('table', { class: 'list workers' },
      h('thead', {}, h('tr', {}, ['worker', 'status', 'host', 'devices', 'packs training now',
        'last heartbeat', 'registered'].map((c) => h('th', {}, c)))),
      table),
    h('p', { class: 'muted' }, `Online: a heartbeat in the last ${ONLINE_MS / 1000} s.`));

  return {
    title: 'Workers',
    async refresh() {
      const [{ workers = [] }, { sweeps = [] }] = await Promise.all([get('workers'), get('sweeps')]);
      // The runs training now, from the sweeps that have any: a pack is one sweep's grid cell.
      const packs = new Map();  // worker id -> Map(sweep/cell -> {sweep, cell, runs})
      await Promise.all(sweeps.filter((sw) => num(sw.running) > 0).map(async (sw) => {
        const { runs = [] } = await get(`sweeps/${sw.sweep_id}/runs`, { state: 'RUN_STATE_RUNNING' });
        for (const r of runs) {
          if (!packs.has(r.worker_id)) packs.set(r.worker_id, new Map());
          const key = `${sw.sweep_id}/${r.cell_key}`;
          const byKey = packs.get(r.worker_id);
          if (!byKey.has(key)) byKey.set(key, { sweep: sw, cell: r.cell_key, runs: [] });
          byKey.get(key).runs.push(r);
        }
      }));
      if (workers.length === 0) {
        fill(table, h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No worker has registered.')));
        return;
      }
      const now = Date.now();
      fill(table, workers.map((w) => {
        const online = now - num(w.last_heartbeat_ms) <= ONLINE_MS;
        const mine = [...(packs.get(w.worker_id)?.values() || [])];
        return h('tr', { 'data-worker-id': w.worker_id },
          h('td', {}, h('code', {}, w.worker_id)),
          h('td', {}, h('span', { class: `badge ${online ? 'online' : 'offline'}` }, online ? 'online' : 'offline')),
          h('td', {}, w.hostname),
          h('td', {}, (w.devices || []).map((d) => h('div', {},
            `${d.name}: ${bytes(d.memory_bytes)}, ${d.slots} slot${d.slots === 1 ? '' : 's'}`))),
          h('td', {}, mine.length === 0 ? h('span', { class: 'muted' }, `${w.running_runs ?? 0} runs`)
            : mine.map((p) => h('div', {}, h('a', { href: `/sweeps/${p.sweep.sweep_id}` }, p.sweep.name),
              ` ${p.cell}: `, p.runs.map((r, i) => [i ? ', ' : '',
                h('a', { href: `/runs/${r.run_id}` }, `seed ${num(r.seed)}`)])))),
          h('td', { title: time(w.last_heartbeat_ms) }, ago(w.last_heartbeat_ms, now)),
          h('td', { class: 'muted' }, time(w.registered_ms)));
      }));
    },
  };
}
