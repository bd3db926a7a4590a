// The floating tooltip of a zone chart: the bucket's time, then every series' average with its
// unit and the bucket's min/max (the envelope), following the cursor and kept inside the
// viewport (a phone is 390 px wide). Only the plot under the pointer shows one; the others get
// the synced crosshair only.

import { SERIES_COLORS } from './chart.js';
import { esc, fmtDateTime, fmtNum } from './format.js';
import { t } from './i18n.js';

const GAP = 14;

/** A bucket width as people say it: 30 s, 5 min, 3 h, 1 d (always whole: NICE_BUCKETS_SEC). */
export function bucketLabel(sec) {
  if (sec % 86400 === 0) return t('dash.bucket.d', { n: sec / 86400 });
  if (sec % 3600 === 0) return t('dash.bucket.h', { n: sec / 3600 });
  if (sec % 60 === 0) return t('dash.bucket.min', { n: sec / 60 });
  return t('dash.bucket.s', { n: sec });
}

/**
 * @param {HTMLElement} host the chart's wrapper (for the mouseenter/leave of this plot only)
 * @param {() => {sensors:{id:string,label:string}[], unit:string, bucketSec:number}} getMeta
 */
export function createTooltip(host, getMeta) {
  const tip = document.createElement('div');
  tip.className = 'chart-tip';
  tip.dataset.testid = 'chart-tooltip';
  tip.hidden = true;
  tip.setAttribute('role', 'status');
  document.body.append(tip);
  let hovering = false;
  let last = null;
  host.addEventListener('mouseenter', () => (hovering = true));
  host.addEventListener('mouseleave', () => ((hovering = false), (tip.hidden = true)));
  host.addEventListener('mousemove', (e) => (last = { x: e.clientX, y: e.clientY }));

  /** After new data (a live update every few seconds) uPlot drops its cursor: put it back. */
  function reapply(u) {
    if (!hovering || !last) return;
    const r = u.over.getBoundingClientRect();
    const left = last.x - r.left, top = last.y - r.top;
    if (left >= 0 && top >= 0 && left <= r.width && top <= r.height) u.setCursor({ left, top });
  }

  /** uPlot setCursor hook: fill and place the tooltip, or hide it. */
  function update(u) {
    const idx = u.cursor.idx;
    const ts = idx === null || idx === undefined ? undefined : u.data[0][idx];
    if (!hovering || ts === undefined || u.cursor.left < 0) return void (tip.hidden = true);
    const { sensors, unit, bucketSec } = getMeta();
    const n = sensors.length;
    const rows = sensors.map((s, i) => {
      const avg = u.data[1 + i]?.[idx];
      const min = u.data[1 + n + 2 * i]?.[idx];
      const max = u.data[2 + n + 2 * i]?.[idx];
      const u1 = unit ? ` ${esc(unit)}` : '';
      const has = (v) => v !== null && v !== undefined;
      return `<div class="tip-row" data-sensor="${esc(s.id)}" data-avg="${has(avg) ? avg : ''}" data-min="${has(min) ? min : ''}" data-max="${has(max) ? max : ''}">
        <i class="swatch" style="background:${SERIES_COLORS[i % SERIES_COLORS.length]}"></i>
        <span class="tip-name">${esc(s.label)}</span>
        <b class="tip-avg">${fmtNum(avg)}${u1}</b>
        <span class="tip-range">${esc(t('dash.legend.min'))} <b data-role="min">${fmtNum(min)}</b> · ${esc(t('dash.legend.max'))} <b data-role="max">${fmtNum(max)}</b></span>
      </div>`;
    });
    const span = bucketSec ? t('dash.tip.bucket', { bucket: bucketLabel(bucketSec) }) : t('dash.panel.raw');
    tip.innerHTML = `<div class="tip-time" data-ts="${Math.round(ts * 1000)}">${esc(fmtDateTime(ts * 1000, bucketSec < 60))} <span class="tip-bucket">${esc(span)}</span></div>${rows.join('')}`;
    tip.hidden = false;
    place(u);
  }

  // Right of and below the pointer; flipped left/up at the viewport's edge, then clamped.
  function place(u) {
    const r = u.over.getBoundingClientRect();
    const x = r.left + u.cursor.left;
    const y = r.top + u.cursor.top;
    const w = tip.offsetWidth;
    const h = tip.offsetHeight;
    const vw = document.documentElement.clientWidth;
    const vh = window.innerHeight;
    let left = x + GAP + w > vw ? x - GAP - w : x + GAP;
    let top = y + GAP + h > vh ? y - GAP - h : y + GAP;
    left = Math.max(4, Math.min(left, vw - w - 4));
    top = Math.max(4, Math.min(top, vh - h - 4));
    tip.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
  }

  return { update, reapply, destroy: () => tip.remove() };
}
