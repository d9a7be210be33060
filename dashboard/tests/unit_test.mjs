// The dashboard's pure functions under node's test runner (no browser): reading the API's JSON
// values (int64 strings, enum names, absent optionals) and the progress and ETA arithmetic.
//   node --test dashboard/tests/unit_test.mjs   (CTest: dashboard_unit_test)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { axesLabel, duration, fixed, num, opt, outcomeLabel, stateName } from '../src/format.js';
import { horizon, runEta, sweepProgress } from '../src/progress.js';

const run = (state, step, steps, speed = 0) => ({
  state, step: String(step), steps_per_second: speed,
  resolved_config_json: steps ? JSON.stringify({ task: 'dyck', train: { steps } }) : '',
});

test('int64 strings, NaN and absent values read as numbers', () => {
  assert.equal(num('9007199254740'), 9007199254740);
  assert.equal(num(undefined), 0);
  assert.ok(Number.isNaN(num('NaN')));
  assert.equal(num('Infinity'), Infinity);
  assert.equal(opt(undefined), undefined);
  assert.equal(opt('0'), 0);
  assert.equal(fixed(undefined), '—');
  assert.equal(fixed('NaN'), 'NaN');
});

test('attempt outcomes in words', () => {
  assert.equal(outcomeLabel('lease_expired'), 'lease expired');
  assert.equal(outcomeLabel('completed'), 'completed');
  assert.equal(outcomeLabel('something_new'), 'something_new');
  assert.equal(outcomeLabel(undefined), '—');
});

test('run states by enum name or number', () => {
  assert.equal(stateName('RUN_STATE_RUNNING'), 'running');
  assert.equal(stateName(3), 'succeeded');
  assert.equal(stateName(undefined), 'unspecified');
});

test('durations and axis labels', () => {
  assert.equal(duration(12), '12s');
  assert.equal(duration(245), '4m 05s');
  assert.equal(duration(3 * 3600 + 12 * 60), '3h 12m');
  assert.equal(duration(undefined), '—');
  assert.equal(axesLabel([{ axis: 'depth', value: 6 }, { axis: 'lr', value: 0.001 }]), 'depth=6,lr=0.001');
});

test('a run\'s horizon and ETA come from its resolved config and speed', () => {
  assert.equal(horizon(run('RUN_STATE_QUEUED', 0, 300)), 300);
  assert.equal(horizon(run('RUN_STATE_QUEUED', 0, 0)), 0);
  assert.equal(horizon({ resolved_config_json: '{not json' }), 0);
  assert.equal(runEta(run('RUN_STATE_RUNNING', 100, 300, 4)), 50);
  assert.equal(runEta(run('RUN_STATE_RUNNING', 100, 300, 0)), undefined, 'no speed yet');
  assert.equal(runEta(run('RUN_STATE_SUCCEEDED', 300, 300, 4)), undefined);
});

test('a sweep\'s progress is by steps and its ETA over the combined speed', () => {
  const p = sweepProgress([
    run('RUN_STATE_SUCCEEDED', 300, 300),
    run('RUN_STATE_RUNNING', 100, 300, 2),
    run('RUN_STATE_RUNNING', 100, 300, 2),
    run('RUN_STATE_QUEUED', 0, 300),
  ]);
  assert.equal(p.fraction, 500 / 1200);
  assert.equal(p.eta, 700 / 4);
  assert.equal(p.ended, 1);
  // A failed run counts as ended at its horizon; nothing running: no ETA to extrapolate.
  const stalled = sweepProgress([run('RUN_STATE_FAILED', 10, 300), run('RUN_STATE_QUEUED', 0, 300)]);
  assert.equal(stalled.fraction, 0.5);
  assert.equal(stalled.eta, undefined);
  // Without horizons: by runs ended.
  const unknown = sweepProgress([run('RUN_STATE_SUCCEEDED', 5, 0), run('RUN_STATE_QUEUED', 0, 0)]);
  assert.equal(unknown.fraction, 0.5);
  assert.equal(sweepProgress([run('RUN_STATE_SUCCEEDED', 300, 300)]).eta, 0);
});
