// What the browser test and the screenshot script share: a real sg-coordinator with a token file,
// its gRPC port and its HTTP port (--http-listen, serving the built dashboard), real sg-worker
// processes training with the real sg-train on CPU, sgctl to submit, and Debian's Chromium driven
// by playwright-core (never a downloaded browser).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Exit status CTest reads as "skipped" (SKIP_RETURN_CODE in tests/CMakeLists.txt).
export const SKIP = 77;

export function skip(reason) {
  console.log(`SKIPPED: ${reason}`);
  process.exit(SKIP);
}

// The binaries and the built dashboard from the environment CTest sets; skips (with the reason)
// when something the test needs is not there.
export function locate() {
  const bin = process.env.SG_BINARY_DIR;
  if (!bin) skip('SG_BINARY_DIR is not set (run through ctest, or set it to the build folder)');
  const paths = {
    bin,
    coordinator: join(bin, 'coordinator/sg-coordinator'),
    worker: join(bin, 'worker/sg-worker'),
    train: join(bin, 'trainer/sg-train'),
    sgctl: join(bin, 'sgctl/sgctl'),
    dashboard: process.env.SG_DASHBOARD_DIR || join(bin, 'coordinator/dashboard'),
    chromium: process.env.SG_CHROMIUM || '/usr/bin/chromium',
  };
  for (const key of ['coordinator', 'worker', 'train', 'sgctl']) {
    if (!existsSync(paths[key])) skip(`${paths[key]} is not built`);
  }
  if (!existsSync(join(paths.dashboard, 'index.html'))) {
    skip(`no built dashboard in ${paths.dashboard} (the build makes it when npm is installed: ` +
         'deploy/install-deps.sh installs nodejs and npm)');
  }
  if (!existsSync(paths.chromium)) {
    skip(`no Chromium at ${paths.chromium} (Debian: apt-get install chromium; deploy/install-deps.sh ` +
         'installs it; SG_CHROMIUM names another)');
  }
  return paths;
}

export async function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitForFile(path, proc, what, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  while (!existsSync(path) || readFileSync(path, 'utf8').trim() === '') {
    if (proc.exitCode !== null) throw new Error(`${what} exited early (status ${proc.exitCode})`);
    if (Date.now() > deadline) throw new Error(`${what}: no ${path} after ${seconds} s`);
    await sleep(50);
  }
  return Number(readFileSync(path, 'utf8').trim());
}

export class Cluster {
  constructor(paths, { keep = false } = {}) {
    this.paths = paths;
    this.dir = mkdtempSync(join(tmpdir(), 'sg-dashboard-'));
    this.procs = [];
    this.tokens = {};
    this.keep = keep;
  }

  // `sg-coordinator token create`: the token in DIR/token-NAME, its line in DIR/tokens.
  createToken(name, role) {
    const r = spawnSync(this.paths.coordinator, ['token', 'create', '--name', name, '--role', role],
      { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`token create ${name}: ${r.stderr}`);
    const token = r.stdout.match(/token: (\S+)/)?.[1];
    const line = r.stdout.match(/line: +([^\n]+)/)?.[1];
    if (!token || !line) throw new Error(`token create ${name}: unexpected output`);
    this.tokens[name] = token;
    const file = join(this.dir, `token-${name}`);
    writeFileSync(file, `${token}\n`);
    chmodSync(file, 0o600);
    writeFileSync(join(this.dir, 'tokens'), `${line}\n`, { flag: 'a' });
    return token;
  }

  start(argv, log) {
    const out = join(this.dir, log);
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const chunks = [];
    child.stdout.on('data', (d) => chunks.push(d));
    child.stderr.on('data', (d) => chunks.push(d));
    child.on('exit', () => writeFileSync(out, Buffer.concat(chunks)));
    child.logChunks = chunks;
    child.logName = log;
    this.procs.push(child);
    return child;
  }

  // The coordinator with tokens on, gRPC and HTTP on free loopback ports. Sets this.grpc and
  // this.url ("http://127.0.0.1:PORT").
  async startCoordinator() {
    const d = this.dir;
    const proc = this.start([this.paths.coordinator, '--listen', '127.0.0.1:0', '--db',
      join(d, 'coordinator.db'), '--port-file', join(d, 'port'), '--auth-tokens', join(d, 'tokens'),
      '--http-listen', '127.0.0.1:0', '--http-port-file', join(d, 'http-port'),
      '--dashboard-dir', this.paths.dashboard], 'coordinator.log');
    this.grpc = `127.0.0.1:${await waitForFile(join(d, 'port'), proc, 'sg-coordinator')}`;
    this.url = `http://127.0.0.1:${await waitForFile(join(d, 'http-port'), proc, 'sg-coordinator')}`;
  }

  // One CPU worker training packs of `packSize` seeds with the real sg-train.
  startWorker(name, packSize = 2) {
    const wd = join(this.dir, name);
    mkdirSync(wd, { recursive: true });
    return this.start([this.paths.worker, '--coordinator', this.grpc, '--devices', 'cpu',
      '--pack-size', String(packSize), '--work-dir', wd, '--checkpoint-dir', join(wd, 'checkpoints'),
      '--sg-train', this.paths.train, '--train-args=--threads 1 --attn-sentences 0 --quiet',
      '--claim-interval-ms', '300', '--token-file', join(this.dir, `token-${name}`)], `${name}.log`);
  }

  sgctl(who, args) {
    const r = spawnSync(this.paths.sgctl, ['--coordinator', this.grpc, '--token-file',
      join(this.dir, `token-${who}`), '--output', 'json', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`sgctl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  // Submits a spec (YAML text) as `who`; returns the new sweep's id.
  submit(who, name, yaml) {
    const file = join(this.dir, `${name}.yaml`);
    writeFileSync(file, yaml);
    this.sgctl(who, ['submit', file]);
    const sweeps = JSON.parse(this.sgctl(who, ['sweeps']));
    const sweep = sweeps.find((s) => s.name === name);
    if (!sweep) throw new Error(`sweep ${name} not listed after submit: ${JSON.stringify(sweeps)}`);
    return String(sweep.sweep_id);
  }

  // Deletes the cluster's folder (database, tokens, logs, checkpoints); kept when a test fails.
  remove() {
    rmSync(this.dir, { recursive: true, force: true });
  }

  logs() {
    return this.procs.map((p) => `----- ${p.logName}\n${Buffer.concat(p.logChunks).toString()}`).join('\n');
  }

  async stop() {
    for (const p of this.procs) {
      if (p.exitCode === null && p.signalCode === null) {
        try {
          process.kill(-p.pid, 'SIGTERM');
        } catch { /* already gone */ }
      }
    }
    const deadline = Date.now() + 15000;
    for (const p of this.procs) {
      while (p.exitCode === null && p.signalCode === null && Date.now() < deadline) await sleep(50);
      if (p.exitCode === null && p.signalCode === null) {
        try {
          process.kill(-p.pid, 'SIGKILL');
        } catch { /* already gone */ }
      }
    }
  }
}

// A tiny Dyck sweep on CPU: `depths` x `seeds` runs of `steps` steps.
export function tinySpec(name, { depths = [1, 2], seeds = 2, steps = 120, evalEvery = 10 } = {}) {
  return `name: ${name}\ntask: dyck\ntags: [dashboard, cpu]\nnotes: a tiny CPU sweep for the dashboard\n` +
    `grid:\n  depth: [${depths.join(', ')}]\nseeds: ${seeds}\n` +
    `train:\n  steps: ${steps}\n  eval_every: ${evalEvery}\n  checkpoint_every: ${evalEvery * 3}\n` +
    '  warmup_steps: 5\n  batch_size: 4\n  d_model: 16\n  heads: 2\n  ff: 32\n  tree_sentences: 0\n' +
    'data:\n  train_size: 200\n  val_size: 20\n  test_size: 20\n';
}

export async function launchBrowser(paths) {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    skip('playwright-core is not installed (npm ci in dashboard/ installs it)');
  }
  return chromium.launch({ executablePath: paths.chromium, args: ['--no-sandbox'] });
}

// Stops the cluster's processes (each in its own process group) when this script is interrupted
// or killed by CTest's timeout, so that no coordinator or worker outlives it.
export function stopOnSignal(cluster) {
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, async () => {
      console.error(`${sig}: stopping the coordinator and workers`);
      await cluster.stop();
      process.exit(1);
    });
  }
}
