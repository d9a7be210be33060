// The dashboard's entry: a client-side router over shareable URLs (/, /sweeps/ID, /runs/ID,
// /workers, /login; the coordinator answers each with index.html) and the polling loop that keeps
// the shown page live.
import './style.css';
import { ApiError, post } from './api.js';
import { fill, h } from './dom.js';
import { time } from './format.js';
import { navigate, setRenderer } from './nav.js';
import { loginPage } from './pages/login.js';
import { runPage } from './pages/run.js';
import { sweepPage } from './pages/sweep.js';
import { sweepsPage } from './pages/sweeps.js';
import { workersPage } from './pages/workers.js';

// How often a page asks the coordinator again (the issue asks for at most 5 s).
const POLL_MS = 3000;

const routes = [
  [/^\/$/, sweepsPage],
  [/^\/sweeps\/(\d+)$/, sweepPage],
  [/^\/runs\/(\d+)$/, runPage],
  [/^\/workers$/, workersPage],
  [/^\/login$/, loginPage],
];

let current = null;  // {page, timer, stopped}

function toLogin() {
  if (location.pathname === '/login') return;
  const next = location.pathname + location.search;
  navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true });
}

// Shows an API error above the page (the last good data stays visible below it).
function showError(err) {
  const box = document.getElementById('error');
  if (!box) return;
  if (!err) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  fill(box, err instanceof ApiError && err.code ? `${err.code}: ${err.message}` : String(err.message || err));
}

function stop() {
  if (!current) return;
  current.stopped = true;
  clearTimeout(current.timer);
  current.page.dispose?.();
  current = null;
}

async function poll(state) {
  if (state.stopped) return;
  try {
    await state.page.refresh();
    if (state.stopped) return;
    showError(null);
    document.getElementById('live').textContent =
      state.page.live === false ? '' : `updated ${time(Date.now()).slice(11)}`;
  } catch (err) {
    if (state.stopped) return;
    if (err instanceof ApiError && err.status === 401) {
      toLogin();
      return;
    }
    showError(err);
  }
  if (!state.stopped && state.page.live !== false) {
    state.timer = setTimeout(() => poll(state), POLL_MS);
  }
}

function render() {
  stop();
  const app = document.getElementById('app');
  const path = location.pathname.replace(/\/+$/, '') || '/';
  for (const [re, make] of routes) {
    const m = path.match(re);
    if (!m) continue;
    const errorBox = h('div', { id: 'error', class: 'error', role: 'alert', hidden: true });
    const body = h('div', { class: 'page' });
    fill(app, errorBox, body);
    const page = make(body, m.slice(1), new URLSearchParams(location.search));
    document.title = `${page.title} · sg`;
    current = { page, timer: 0, stopped: false };
    poll(current);
    return;
  }
  document.title = 'not found · sg';
  fill(app, h('h1', {}, 'Not found'), h('p', {}, 'No page at ', h('code', {}, location.pathname),
    '. ', h('a', { href: '/' }, 'All sweeps')));
}

document.addEventListener('click', (e) => {
  const a = e.target.closest?.('a[href]');
  if (!a || a.target || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
setRenderer(render);
window.addEventListener('popstate', render);
document.getElementById('logout').addEventListener('click', async () => {
  try {
    await post('logout', {});
  } catch (err) {
    showError(err);
    return;
  }
  navigate('/login');
});

render();
