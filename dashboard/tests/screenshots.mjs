// Takes the screenshots of docs/dashboard.md from a real running sweep: a coordinator with
// --http-listen, two CPU workers with the real sg-train, a 3-depth x 3-seed Dyck sweep; each page
// captured while the sweep trains (the matrix and workers pages) and once it has ended (curves,
// report, a run). Needs the same as the browser test (see harness.mjs).
//   SG_BINARY_DIR=build node dashboard/tests/screenshots.mjs [OUT_DIR]   (default docs/dashboard)
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, launchBrowser, locate, sleep, stopOnSignal, tinySpec } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || join(here, '../../docs/dashboard'));
mkdirSync(out, { recursive: true });
const paths = locate();
const cluster = new Cluster(paths);
stopOnSignal(cluster);
let browser;
let status = 0;

async function shot(page, name, { full = true } = {}) {
  await sleep(500);
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: full });
  console.log(`wrote ${join(out, `${name}.png`)}`);
}

try {
  cluster.createToken('viewer', 'reader');
  cluster.createToken('alice', 'researcher');
  cluster.createToken('node1', 'worker');
  cluster.createToken('node2', 'worker');
  await cluster.startCoordinator();
  const sweepId = cluster.submit('alice', 'dyck-depths',
    tinySpec('dyck-depths', { depths: [1, 2, 3], seeds: 3, steps: 150, evalEvery: 10 }));
  cluster.startWorker('node1', 3);
  cluster.startWorker('node2', 3);
  browser = await launchBrowser(paths);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
  const page = await ctx.newPage();

  await page.goto(`${cluster.url}/login`);
  await page.fill('#token', 'wrong-token');
  await page.click('button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#login-message')?.textContent.startsWith('Refused'));
  await shot(page, 'login', { full: false });
  await page.fill('#token', cluster.tokens.viewer);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/$/);

  // While it trains (the first packs done, the last one training): the list, the matrix, the
  // workers.
  await page.goto(`${cluster.url}/sweeps/${sweepId}`);
  await page.waitForFunction(() => {
    const states = [...document.querySelectorAll('td.cell[data-state]')].map((c) => c.dataset.state);
    return states.filter((st) => st === 'succeeded').length >= 3 && states.includes('running') &&
      [...document.querySelectorAll('td.cell[data-state="running"]')].some((c) => c.textContent.includes('ETA'));
  }, null, { timeout: 800000, polling: 1000 });
  await sleep(7000);
  await shot(page, 'sweep-running');
  await page.goto(`${cluster.url}/`);
  await page.waitForSelector('tr[data-sweep-id]');
  await sleep(1000);
  await shot(page, 'sweeps', { full: false });
  await page.goto(`${cluster.url}/workers`);
  await page.waitForSelector('tr[data-worker-id] .badge.online');
  await sleep(1000);
  await shot(page, 'workers', { full: false });

  // Once it has ended: the full sweep page (curves, report, bars, scatter) and one run.
  await page.goto(`${cluster.url}/sweeps/${sweepId}?metrics=val_acc,gen_acc,train_loss,val_loss&group_by=depth`);
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('td.cell[data-state]')];
    return cells.length === 9 && cells.every((c) => c.dataset.state === 'succeeded');
  }, null, { timeout: 600000, polling: 1000 });
  await sleep(4000);
  await shot(page, 'sweep');
  const runId = await page.$eval('td.cell[data-run-id]', (c) => c.dataset.runId);
  await page.goto(`${cluster.url}/runs/${runId}`);
  await page.waitForSelector('.panel path.median');
  await sleep(1000);
  await shot(page, 'run');
} catch (err) {
  status = 1;
  console.error(`FAILED: ${err.stack || err}`);
  console.error(cluster.logs().slice(-10000));
} finally {
  if (browser) await browser.close();
  await cluster.stop();
  if (status === 0) cluster.remove();
}
process.exit(status);
