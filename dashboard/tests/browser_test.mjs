// The dashboard in a real browser (issue 21): Debian's Chromium, driven by playwright-core,
// against a real sg-coordinator (--http-listen, tokens on) with a real CPU sg-worker training a
// tiny sweep. Checks, failing the test on any miss:
//   - a wrong token is refused at /login (message shown, no cookie: the API still answers 401),
//     and a page opened without a login goes to /login;
//   - a reader token logs in and lands on the page ?next= names;
//   - the sweep page's grid x seed matrix changes state as the sweep runs, without a reload
//     (every cell seen queued, then succeeded; at least one seen running);
//   - the curve panels, the seeds-above-threshold bars and the sweep list draw SVG paths;
//   - every page (/, /sweeps/ID, /runs/ID, /workers), opened by its URL, loads without a console
//     error or an uncaught exception.
// Skips (exit 77, saying why) when Chromium, playwright-core, the built dashboard or a binary is
// missing. Run by CTest as dashboard_browser_test (label browser).
import assert from 'node:assert/strict';
import { Cluster, launchBrowser, locate, sleep, stopOnSignal, tinySpec } from './harness.mjs';

const paths = locate();
const cluster = new Cluster(paths);
stopOnSignal(cluster);
let browser;
let failed = false;

function step(what) {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${what}`);
}

// Console errors and uncaught exceptions of one page, checked after each visit.
function watchConsole(page) {
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  return errors;
}

async function expectNoErrors(errors, where) {
  assert.deepEqual(errors, [], `console errors on ${where}`);
}

// Polls fn (a browser-side check) until it returns a truthy value or `seconds` pass.
async function waitFor(page, fn, arg, seconds, what) {
  try {
    return await page.waitForFunction(fn, arg, { timeout: seconds * 1000, polling: 200 });
  } catch (err) {
    throw new Error(`${what}: not within ${seconds} s (${err.message.split('\n')[0]})`);
  }
}

try {
  cluster.createToken('viewer', 'reader');
  cluster.createToken('alice', 'researcher');
  cluster.createToken('node1', 'worker');
  step('starting sg-coordinator');
  await cluster.startCoordinator();
  // A long enough run that the page (polling every 3 s) sees each pack training.
  const sweepId = cluster.submit('alice', 'browser', tinySpec('browser', { steps: 150, evalEvery: 15 }));
  step(`sweep ${sweepId} submitted; dashboard at ${cluster.url}`);
  browser = await launchBrowser(paths);

  // --- A wrong token is refused; without a login a page goes to /login.
  {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const uncaught = [];
    page.on('pageerror', (err) => uncaught.push(err.message));
    await page.goto(`${cluster.url}/sweeps/${sweepId}`);
    await page.waitForURL(/\/login\?next=%2Fsweeps%2F/, { timeout: 15000 });
    await page.fill('#token', 'not-a-token');
    await page.click('button[type=submit]');
    await waitFor(page, () => document.querySelector('#login-message')?.textContent.startsWith('Refused'),
      null, 15, 'the refusal message');
    assert.match(page.url(), /\/login/, 'a refused login must stay on /login');
    const cookies = await ctx.cookies();
    assert.equal(cookies.find((c) => c.name === 'sg_token'), undefined, 'no cookie for a wrong token');
    const status = await page.evaluate(async () => (await fetch('/api/v1/sweeps')).status);
    assert.equal(status, 401, 'the API must still refuse this browser');
    assert.deepEqual(uncaught, [], 'uncaught exceptions on /login');
    await ctx.close();
    step('a wrong token was refused');
  }

  // --- A reader logs in and lands on the sweep it asked for; the matrix is all queued.
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await ctx.newPage();
  const errors = watchConsole(page);
  await page.goto(`${cluster.url}/login?next=${encodeURIComponent(`/sweeps/${sweepId}`)}`);
  await page.fill('#token', cluster.tokens.viewer);
  await page.click('button[type=submit]');
  await page.waitForURL(new RegExp(`/sweeps/${sweepId}$`), { timeout: 15000 });
  await waitFor(page, () => document.querySelectorAll('td.cell[data-state]').length === 4, null, 30,
    'four matrix cells');
  const initial = await page.$$eval('td.cell[data-state]', (cells) => cells.map((c) => c.dataset.state));
  assert.deepEqual(initial, ['queued', 'queued', 'queued', 'queued'], 'no worker yet: all queued');
  step('logged in as a reader; the matrix shows four queued cells');

  // --- The worker trains the sweep; the open page follows each cell's state.
  await page.evaluate(() => {
    window.sgStates = {};
    const record = () => {
      for (const c of document.querySelectorAll('td.cell[data-run-id]')) {
        const seen = (window.sgStates[c.dataset.runId] ||= []);
        if (seen[seen.length - 1] !== c.dataset.state) seen.push(c.dataset.state);
      }
    };
    record();
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true,
      attributes: true });
  });
  cluster.startWorker('node1', 2);
  step('sg-worker started; waiting for every cell to succeed on the open page');
  await waitFor(page, () => {
    const cells = [...document.querySelectorAll('td.cell[data-state]')];
    return cells.length === 4 && cells.every((c) => c.dataset.state === 'succeeded');
  }, null, 600, 'every cell succeeded on the sweep page');
  const seen = await page.evaluate(() => window.sgStates);
  step(`states each cell showed: ${JSON.stringify(seen)}`);
  for (const [run, states] of Object.entries(seen)) {
    assert.equal(states[0], 'queued', `run ${run} first shown queued`);
    assert.equal(states[states.length - 1], 'succeeded', `run ${run} last shown succeeded`);
  }
  assert.ok(Object.values(seen).some((states) => states.includes('running')),
    `no cell was ever shown running: ${JSON.stringify(seen)}`);

  // --- Charts: the curve panels draw median lines and bands; the report draws its bars.
  await waitFor(page, () => {
    const medians = [...document.querySelectorAll('.panel svg.band path.median')];
    return medians.length > 0 && medians.every((p) => (p.getAttribute('d') || '').length > 10);
  }, null, 30, 'curve panels with median lines');
  const panelInfo = await page.$$eval('.panel', (panels) => panels.map((p) => ({
    metric: p.dataset.metric,
    medians: p.querySelectorAll('path.median').length,
    bands: p.querySelectorAll('path.band').length,
  })));
  step(`curve panels: ${JSON.stringify(panelInfo)}`);
  assert.ok(panelInfo.length >= 2, 'at least two curve panels by default');
  for (const p of panelInfo) {
    assert.ok(p.medians >= 2 && p.bands >= 2, `panel ${p.metric}: a line and band per depth`);
  }
  await waitFor(page, () => document.querySelectorAll('svg.bars path.bar').length === 2, null, 30,
    'seeds-above-threshold bars (one per depth)');
  await waitFor(page, () => document.querySelectorAll('table.report tbody tr').length === 2, null, 30,
    'report rows (one per depth)');
  // Another metric in a panel, chosen with its picker, is drawn and kept in the URL.
  const options = await page.$$eval('.panel select.metric-picker option', (o) => o.map((x) => x.value));
  const other = options.find((m) => m === 'val_loss') || options[options.length - 1];
  await page.selectOption('.panel:first-child select.metric-picker', other);
  await waitFor(page, (m) => document.querySelector(`.panel[data-metric="${m}"] path.median`), other, 30,
    `a panel of ${other}`);
  assert.match(page.url(), new RegExp(`metrics=${other}`), 'the chosen metric is in the URL');
  await expectNoErrors(errors, `/sweeps/${sweepId}`);
  step('sweep page: matrix, curves, report and bars drawn, no console errors');

  // --- Every page opened by its URL (as a shared link would be), each without console errors.
  const runs = JSON.parse(cluster.sgctl('viewer', ['runs', 'browser']));
  const runId = String(runs[0].run_id);
  const pages = [
    ['/', async () => {
      await waitFor(page, (id) => document.querySelector(`tr[data-sweep-id="${id}"]`)?.textContent.includes('4 succeeded'),
        sweepId, 30, 'the sweep row with 4 succeeded');
      assert.ok(await page.$('tr[data-sweep-id] .statebar span.st-succeeded'), 'a state bar');
    }],
    [`/sweeps/${sweepId}?metrics=gen_acc,val_acc&group_by=depth`, async () => {
      await waitFor(page, () => document.querySelectorAll('.panel path.median').length >= 4, null, 30,
        'two shared panels with lines');
      const metrics = await page.$$eval('.panel', (ps) => ps.map((p) => p.dataset.metric));
      assert.deepEqual(metrics, ['gen_acc', 'val_acc'], 'the panels the URL names');
    }],
    [`/runs/${runId}`, async () => {
      await waitFor(page, () => document.querySelector('.badge[data-state="succeeded"]'), null, 30,
        'the run state badge');
      await waitFor(page, () => document.querySelectorAll('.panel path.median').length >= 3, null, 30,
        'the run metric panels');
      const text = await page.textContent('main');
      assert.match(text, /worker/i);
      assert.match(text, /checkpoint/i);
      // The Attempts table has a row per claim: this succeeded run's last one completed.
      const attempts = await page.$$eval('table.attempts tbody tr', (rows) => rows.map((r) => r.dataset.outcome));
      assert.ok(attempts.length >= 1, 'the attempts table has at least one row');
      assert.equal(attempts[attempts.length - 1], 'completed', `the last attempt completed: ${attempts}`);
    }],
    ['/workers', async () => {
      await waitFor(page, () => document.querySelector('tr[data-worker-id] .badge.online'), null, 30,
        'an online worker');
      assert.match(await page.textContent('tr[data-worker-id]'), /cpu/);
    }],
  ];
  for (const [url, check] of pages) {
    errors.length = 0;
    await page.goto(`${cluster.url}${url}`);
    await check();
    await sleep(3500);  // one more refresh of the page, which must not fail either
    await expectNoErrors(errors, url);
    step(`${url}: loaded, drawn, no console errors`);
  }

  // An unknown run is an error shown on the page, not a crash.
  errors.length = 0;
  await page.goto(`${cluster.url}/runs/999999`);
  await waitFor(page, () => !document.querySelector('#error')?.hidden, null, 15, 'the error box');
  assert.match(await page.textContent('#error'), /NOT_FOUND/);
  assert.ok(errors.every((e) => e.includes('404')), `only the 404 itself: ${errors}`);
  step('an unknown run shows NOT_FOUND');
  await ctx.close();
  console.log('PASSED');
} catch (err) {
  failed = true;
  console.error(`FAILED: ${err.stack || err}`);
} finally {
  if (browser) await browser.close();
  await cluster.stop();
  if (failed) console.error(`${cluster.logs().slice(-20000)}\nlogs and database kept in ${cluster.dir}`);
  else cluster.remove();
}
process.exit(failed ? 1 : 0);
