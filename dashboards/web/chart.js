// uPlot wrapper for a zone panel: one line per sensor, min/max envelope when bucketed, the
// profile's acceptable band shaded green, limits as dashed lines, alarm periods shaded red
// (warnings amber, defrost blue-grey). Drag across a plot to zoom; cursors are synced across panels.
// uPlot is loaded as a classic script (window.uPlot) from /vendor/uplot.

import { fmtAxisTime, fmtNum } from './format.js';
import { t } from './i18n.js';

const uPlot = globalThis.uPlot;

/** Series colours avoid green/red/amber: those mean ok/alarm/warning on this screen. */
export const SERIES_COLORS = ['#5794f2', '#c387e8', '#4fd1c5', '#f2cc0c', '#ff8fd0', '#a0d8ff'];

export const THEME = {
  axis: '#aab4c3',
  grid: 'rgba(255,255,255,0.07)',
  okBand: 'rgba(64, 190, 100, 0.11)',
  limit: 'rgba(255, 160, 90, 0.9)',
  // info = a defrost (or another record-only period): expected, so blue-grey, not alarm red
  alarmFill: { critical: 'rgba(242, 73, 92, 0.20)', warning: 'rgba(245, 166, 35, 0.16)', info: 'rgba(140, 170, 230, 0.14)' },
  alarmEdge: { critical: 'rgba(242, 73, 92, 0.95)', warning: 'rgba(245, 166, 35, 0.95)', info: 'rgba(140, 170, 230, 0.9)' },
  font: '13px system-ui, sans-serif',
  limitFont: '600 12px system-ui, sans-serif',
};

function withAlpha(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

/**
 * One uPlot table [xs(sec), avg, min, max] for a sensor, with a null inserted where
 * readings stop (sensor drop-out) so the line breaks instead of drawing a straight bridge.
 */
export function toTable(points, bucketSec) {
  const xs = [], avg = [], min = [], max = [];
  if (!points.length) return [xs, avg, min, max];
  const diffs = [];
  for (let i = 1; i < points.length; i++) diffs.push(points[i].ts - points[i - 1].ts);
  diffs.sort((a, b) => a - b);
  const typical = diffs.length ? diffs[Math.floor(diffs.length / 2)] : 0;
  const gapMs = Math.max(3 * typical, 3 * (bucketSec ?? 0) * 1000, 90_000);
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (i > 0 && p.ts - points[i - 1].ts > gapMs) {
      xs.push((points[i - 1].ts + 1) / 1000);
      avg.push(null), min.push(null), max.push(null);
    }
    xs.push(p.ts / 1000);
    avg.push(p.avg);
    min.push(p.min ?? p.avg);
    max.push(p.max ?? p.avg);
  }
  return [xs, avg, min, max];
}

/**
 * Align per-sensor tables on one x axis. Layout: [x, avg_1..avg_n, min_1, max_1, ..., min_n, max_n]
 * (envelope series only when `envelope`).
 */
export function alignSeries(tables, envelope) {
  if (!tables.length) return [[]];
  const parts = tables.map((t) => (envelope ? [t[0], t[1], t[2], t[3]] : [t[0], t[1]]));
  const joined = parts.length === 1 ? parts[0] : uPlot.join(parts);
  const n = tables.length;
  const xs = joined[0];
  const per = envelope ? 3 : 1;
  const avgs = [], env = [];
  for (let i = 0; i < n; i++) {
    avgs.push(joined[1 + i * per]);
    if (envelope) env.push(joined[2 + i * per], joined[3 + i * per]);
  }
  return [xs, ...avgs, ...env];
}

/**
 * @param {HTMLElement} el container
 * @param {{sensors:{id:string,label:string}[], envelope:boolean, getView:()=>View, onCursor?:(u)=>void,
 *   onZoom?:(fromMs:number,toMs:number)=>void, onAxis?:(fromMs:number,toMs:number)=>void, syncKey?:string, unit?:string, width:number, height:number}} cfg
 * View = {from:number(ms), to:number(ms), profile:{low?,high?}, alarms:[[startMs,endMs,severity]], unit:string}
 */
export function createChart(el, { sensors, envelope, getView, onCursor, onZoom, onAxis, syncKey, unit, width, height }) {
  const series = [{}];
  sensors.forEach((s, i) => {
    const color = SERIES_COLORS[i % SERIES_COLORS.length];
    series.push({ label: s.label, stroke: color, width: 2.5, points: { show: false }, spanGaps: false });
  });
  const bands = [];
  if (envelope) {
    sensors.forEach((s, i) => {
      const color = SERIES_COLORS[i % SERIES_COLORS.length];
      const minIdx = series.length;
      series.push({ label: t('dash.chart.seriesMin', { name: s.label }), stroke: withAlpha(color, 0.35), width: 1, points: { show: false } });
      series.push({ label: t('dash.chart.seriesMax', { name: s.label }), stroke: withAlpha(color, 0.35), width: 1, points: { show: false } });
      bands.push({ series: [minIdx + 1, minIdx], fill: withAlpha(color, 0.16) });
    });
  }

  const axis = {
    stroke: THEME.axis,
    font: THEME.font,
    grid: { stroke: THEME.grid, width: 1 },
    ticks: { stroke: THEME.grid, width: 1, size: 4 },
  };

  const opts = {
    width,
    height,
    padding: [10, 12, 0, 0],
    legend: { show: false },
    // x-only drag selects a window; setScale false: the page owns the range (URL, every panel),
    // so the selection is handed to onZoom instead of zooming this one plot.
    cursor: {
      drag: { x: true, y: false, setScale: false },
      points: { size: 7 },
      ...(syncKey ? { sync: { key: syncKey, setSeries: false } } : {}),
    },
    scales: {
      x: { time: true, auto: true, range: () => { const v = getView(); return [v.from / 1000, v.to / 1000]; } },
      y: { auto: true, range: (u, dMin, dMax) => yRange(dMin, dMax, getView().profile) },
    },
    axes: [
      { ...axis, space: 80, size: 34, values: timeTicks },
      {
        ...axis, size: 46, values: (u, splits) => splits.map((v) => fmtNum(v, splits.some((s) => Math.abs(s % 1) > 1e-9) ? 1 : 0)),
        // the unit on the axis itself: a screenshot of one panel still says what it measures
        ...(unit ? { label: unit, labelSize: 16, labelGap: 0, labelFont: THEME.limitFont } : {}),
      },
    ],
    series,
    bands,
    hooks: {
      drawClear: [(u) => drawBackdrop(u, getView())],
      draw: [(u) => drawLimits(u, getView())],
      setCursor: [(u) => onCursor?.(u)],
      // uPlot commits scales after setData returns (batched): the drawn axis is known only here
      setScale: [(u, key) => key === 'x' && onAxis?.(u.scales.x.min * 1000, u.scales.x.max * 1000)],
      setSelect: [(u) => {
        const { left, width: w } = u.select;
        if (w < 3) return;
        const a = u.posToVal(left, 'x') * 1000;
        const b = u.posToVal(left + w, 'x') * 1000;
        u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        // cursor-synced panels replay the drag's mouseup with no event of their own: only the
        // panel the user dragged on zooms, or one drag would push one history entry per panel
        // (and Back would need as many presses to undo it)
        if (u.cursor.event == null) return;
        onZoom?.(a, b);
      }],
    },
  };
  return new uPlot(opts, [[], ...series.slice(1).map(() => [])], el);
}

/** 24 h clock ticks (uPlot's default is 12 h), ISO-ordered dates: format.js fmtAxisTime. */
function timeTicks(u, splits, axisIdx, space, incr) {
  return splits.map((v) => fmtAxisTime(v * 1000, incr));
}

/** Keep the limits in view so the green band and the dashed lines are always visible. */
function yRange(dMin, dMax, profile) {
  const vals = [dMin, dMax, profile?.low, profile?.high].filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (!vals.length) return [0, 10];
  let lo = Math.min(...vals);
  let hi = Math.max(...vals);
  const span = Math.max(hi - lo, 2);
  const pad = span * 0.12;
  return [Math.floor((lo - pad) * 2) / 2, Math.ceil((hi + pad) * 2) / 2];
}

function drawBackdrop(u, view) {
  const { ctx, bbox } = u;
  const { low, high } = view.profile ?? {};
  const hasLow = typeof low === 'number';
  const hasHigh = typeof high === 'number';
  ctx.save();
  if (hasLow || hasHigh) {
    // Freezer (only high): shade everything below high; heated zone (only low): above low.
    const top = hasHigh ? Math.max(bbox.top, u.valToPos(high, 'y', true)) : bbox.top;
    const bottom = hasLow ? Math.min(bbox.top + bbox.height, u.valToPos(low, 'y', true)) : bbox.top + bbox.height;
    if (bottom > top) {
      ctx.fillStyle = THEME.okBand;
      ctx.fillRect(bbox.left, top, bbox.width, bottom - top);
    }
  }
  for (const [start, end, severity] of view.alarms ?? []) {
    const x0 = Math.max(bbox.left, u.valToPos(start / 1000, 'x', true));
    const x1 = Math.min(bbox.left + bbox.width, u.valToPos(end / 1000, 'x', true));
    if (x1 <= x0) continue;
    ctx.fillStyle = THEME.alarmFill[severity] ?? THEME.alarmFill.critical;
    ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
    // A solid strip on top: alarm periods stay visible even when narrow.
    ctx.fillStyle = THEME.alarmEdge[severity] ?? THEME.alarmEdge.critical;
    ctx.fillRect(x0, bbox.top, Math.max(x1 - x0, 2 * devicePixelRatio), 4 * devicePixelRatio);
  }
  ctx.restore();
}

function drawLimits(u, view) {
  const { ctx, bbox } = u;
  const pr = devicePixelRatio;
  ctx.save();
  ctx.strokeStyle = THEME.limit;
  ctx.fillStyle = THEME.limit;
  ctx.lineWidth = 1.5 * pr;
  ctx.setLineDash([6 * pr, 4 * pr]);
  ctx.font = THEME.limitFont.replace(/(\d+)px/, (_, n) => `${n * pr}px`);
  // Labels on the left: the newest data (right edge) is what the operator reads.
  ctx.textAlign = 'left';
  for (const [name, v] of [['high', view.profile?.high], ['low', view.profile?.low]]) {
    if (typeof v !== 'number') continue;
    const y = Math.round(u.valToPos(v, 'y', true));
    if (y < bbox.top || y > bbox.top + bbox.height) continue;
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
    ctx.textBaseline = name === 'high' ? 'bottom' : 'top';
    ctx.fillText(`${t(`dash.chart.${name}`)} ${fmtNum(v, v % 1 ? 1 : 0)}`, bbox.left + 6 * pr, y + (name === 'high' ? -2 : 2) * pr);
  }
  ctx.restore();
}
