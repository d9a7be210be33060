// Charts drawn as plain SVG: curves with bands (median and interquartile range across seeds, on
// a log-step axis), a scatter with a y = x diagonal, and horizontal bars. No charting library:
// these three are all the dashboard needs, and SVG keeps every mark inspectable by the browser
// tests (non-empty <path> elements).
import { s } from './dom.js';

const W = 560;
const H = 300;
const M = { left: 56, right: 16, top: 14, bottom: 42 };

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf',
  '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];

// "Nice" tick values covering [lo, hi].
function linearTicks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((x) => x >= raw) || 10 * mag;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(+t.toPrecision(12));
  return ticks;
}

// Powers of ten, with 2x and 5x between them when the axis spans few decades.
function logTicks(lo, hi) {
  const decades = Math.log10(hi) - Math.log10(lo);
  const mantissas = decades > 3 ? [1] : [1, 2, 5];
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e += 1) {
    for (const m of mantissas) {
      const t = m * 10 ** e;
      if (t >= lo * 0.999 && t <= hi * 1.001) ticks.push(t);
    }
  }
  return ticks.length >= 2 ? ticks : linearTicks(lo, hi);
}

function tickLabel(t) {
  const a = Math.abs(t);
  if (a >= 1e6) return `${+(t / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(t / 1e3).toPrecision(3)}k`;
  return String(+t.toPrecision(3));
}

function scale(lo, hi, a, b, log) {
  const f = log ? Math.log10 : (x) => x;
  const flo = f(lo);
  const span = f(hi) - flo || 1;
  return (x) => a + ((f(x) - flo) / span) * (b - a);
}

function frame(xs, ys, xTicks, yTicks, xLabel, yLabel) {
  const g = s('g', { class: 'axes' });
  const x0 = M.left;
  const x1 = W - M.right;
  const y0 = H - M.bottom;
  const y1 = M.top;
  for (const t of yTicks) {
    const y = ys(t);
    g.append(s('line', { x1: x0, x2: x1, y1: y, y2: y, class: 'grid' }),
      s('text', { x: x0 - 6, y: y + 4, 'text-anchor': 'end' }, tickLabel(t)));
  }
  for (const t of xTicks) {
    const x = xs(t);
    g.append(s('line', { x1: x, x2: x, y1: y0, y2: y1, class: 'grid' }),
      s('text', { x, y: y0 + 16, 'text-anchor': 'middle' }, tickLabel(t)));
  }
  g.append(s('rect', { x: x0, y: y1, width: x1 - x0, height: y0 - y1, class: 'border' }),
    s('text', { x: (x0 + x1) / 2, y: H - 6, 'text-anchor': 'middle', class: 'label' }, xLabel),
    s('text', { x: 12, y: (y0 + y1) / 2, 'text-anchor': 'middle', class: 'label',
      transform: `rotate(-90 12 ${(y0 + y1) / 2})` }, yLabel));
  return g;
}

function svgRoot(cls) {
  return s('svg', { viewBox: `0 0 ${W} ${H}`, class: `chart ${cls}`, role: 'img' });
}

function emptyChart(cls, message) {
  const svg = svgRoot(cls);
  svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, message));
  return svg;
}

// series: [{label, color, points: [{step, median, p25, p75}]}]. Points whose median is not finite
// (no seed had a finite value there) break the line. The x axis is log10(step) when logX (step 0
// cannot be placed there and is left out).
export function bandChart(series, { logX = true, yLabel = '', xLabel = 'step' } = {}) {
  const usable = series.map((sr) => ({
    ...sr,
    points: sr.points.filter((p) => (!logX || p.step > 0)),
  }));
  const all = usable.flatMap((sr) => sr.points);
  const finite = all.filter((p) => Number.isFinite(p.median));
  if (finite.length === 0) return emptyChart('band', 'no finite points yet');
  let xlo = Math.min(...all.map((p) => p.step));
  let xhi = Math.max(...all.map((p) => p.step));
  if (xhi <= xlo) xhi = xlo + 1;
  const vals = finite.flatMap((p) => [p.median, p.p25, p.p75].filter(Number.isFinite));
  let ylo = Math.min(...vals);
  let yhi = Math.max(...vals);
  if (yhi - ylo < 1e-12) {
    ylo -= 0.5;
    yhi += 0.5;
  }
  const pad = (yhi - ylo) * 0.04;
  ylo -= pad;
  yhi += pad;
  if (logX) xlo = Math.max(xlo, 1);
  const xs = scale(xlo, xhi, M.left, W - M.right, logX);
  const ys = scale(ylo, yhi, H - M.bottom, M.top, false);
  const svg = svgRoot('band');
  const xTicks = logX ? logTicks(xlo, xhi) : linearTicks(xlo, xhi);
  svg.append(frame(xs, ys, xTicks, linearTicks(ylo, yhi), logX ? 'step (log)' : xLabel, yLabel));
  const plot = s('g', { class: 'series' });
  for (const sr of usable) {
    // One band polygon per run of consecutive finite points.
    const runs = [];
    let cur = [];
    for (const p of sr.points) {
      if (Number.isFinite(p.median) && Number.isFinite(p.p25) && Number.isFinite(p.p75)) cur.push(p);
      else if (cur.length) {
        runs.push(cur);
        cur = [];
      }
    }
    if (cur.length) runs.push(cur);
    for (const seg of runs) {
      const top = seg.map((p) => `${xs(p.step).toFixed(1)},${ys(p.p75).toFixed(1)}`);
      const bottom = seg.slice().reverse().map((p) => `${xs(p.step).toFixed(1)},${ys(p.p25).toFixed(1)}`);
      plot.append(s('path', { d: `M${top.join('L')}L${bottom.join('L')}Z`, fill: sr.color,
        class: 'band' }));
      const line = seg.map((p) => `${xs(p.step).toFixed(1)},${ys(p.median).toFixed(1)}`);
      const d = line.length === 1 ? `M${line[0]}h0.1` : `M${line.join('L')}`;
      plot.append(s('path', { d, stroke: sr.color, class: 'median' },
        s('title', {}, sr.label)));
    }
  }
  svg.append(plot);
  return svg;
}

// points: [{x, y, color, label}] with a y = x diagonal (early-stop vs final gen_acc).
export function scatterChart(points, { xLabel = '', yLabel = '', lo = 0, hi = 1 } = {}) {
  const ok = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (ok.length === 0) return emptyChart('scatter', 'no finished runs with both values yet');
  const xs = scale(lo, hi, M.left, W - M.right, false);
  const ys = scale(lo, hi, H - M.bottom, M.top, false);
  const svg = svgRoot('scatter');
  const ticks = linearTicks(lo, hi);
  svg.append(frame(xs, ys, ticks, ticks, xLabel, yLabel));
  svg.append(s('path', { d: `M${xs(lo)},${ys(lo)}L${xs(hi)},${ys(hi)}`, class: 'diagonal' }));
  const g = s('g', { class: 'series' });
  for (const p of ok) {
    g.append(s('circle', { cx: xs(p.x).toFixed(1), cy: ys(p.y).toFixed(1), r: 4, fill: p.color,
      class: 'dot' }, s('title', {}, p.label)));
  }
  svg.append(g);
  return svg;
}

// bars: [{label, value, of, color}] drawn as value/of fractions with "value/of" written beside.
export function barChart(bars, { title = '' } = {}) {
  if (bars.length === 0) return emptyChart('bars', 'no rows yet');
  const rowH = 26;
  const height = M.top + bars.length * rowH + 30;
  const left = 110;
  const right = W - 70;
  const svg = s('svg', { viewBox: `0 0 ${W} ${height}`, class: 'chart bars', role: 'img' });
  const xs = scale(0, 1, left, right, false);
  bars.forEach((b, i) => {
    const y = M.top + i * rowH;
    const frac = b.of > 0 ? b.value / b.of : 0;
    svg.append(s('text', { x: left - 8, y: y + 16, 'text-anchor': 'end' }, b.label),
      s('rect', { x: left, y: y + 3, width: right - left, height: rowH - 8, class: 'track' }),
      s('path', { d: `M${left},${y + 3}h${(xs(frac) - left).toFixed(1)}v${rowH - 8}h${-(xs(frac) - left).toFixed(1)}Z`,
        fill: b.color, class: 'bar' }),
      s('text', { x: right + 6, y: y + 16 }, `${b.value}/${b.of}`));
  });
  svg.append(s('text', { x: (left + right) / 2, y: height - 8, 'text-anchor': 'middle', class: 'label' }, title));
  return svg;
}
