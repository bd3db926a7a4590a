// The time bar above the zone panels: relative ranges, shift ◀ ▶, zoom out, reset, an absolute
// from/to (datetime-local, in the browser's time zone), the zone filter and auto refresh. It only
// renders the state and reports what the operator asked for; app.js owns the state and the URL.

import { esc, fmtClock, fmtDateTime } from './format.js';
import { RANGES, REFRESHES } from './time-range.js';
import { applyI18n, t } from './i18n.js';

// From/to are text fields in ISO order with a 24 h clock (2026-12-06 20:33), not datetime-local:
// Chromium renders datetime-local in the browser's locale, i.e. "12/06/2026, 08:33 PM" in en-US,
// which is both 12 h and readable two ways.
const LOCAL_RE = /^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?\s*$/;

/** ms → "2026-12-06 20:33" (seconds only when not zero), local wall time. */
function localInput(ms) {
  const iso = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString();
  return iso.slice(17, 19) === '00' ? iso.slice(0, 16).replace('T', ' ') : iso.slice(0, 19).replace('T', ' ');
}

/** "2026-12-06 20:33[:05]" in local time → ms, or NaN when it is not a real time. */
function parseLocal(text) {
  const m = LOCAL_RE.exec(text);
  if (!m) return Number.NaN;
  const [y, mo, d, h, mi, se] = m.slice(1).map((v) => Number(v ?? 0));
  const t = new Date(y, mo - 1, d, h, mi, se);
  // 2026-02-31 rolls over to March: refuse it instead of guessing
  return t.getDate() === d && t.getMonth() === mo - 1 && h < 24 ? t.getTime() : Number.NaN;
}

/** "Dec 6, 2026, 00:33:47 – 00:34:17": the date once when both ends share it; seconds below an hour. */
function windowText(from, to) {
  const secs = to - from < 3600_000;
  const sameDay = new Date(from).toDateString() === new Date(to).toDateString();
  return `${fmtDateTime(from, secs)} – ${sameDay ? fmtClock(to, secs) : fmtDateTime(to, secs)}`;
}

/**
 * @param {HTMLElement} root
 * @param {{onRange:(key)=>void, onAbsolute:(from,to)=>void, onShift:(dir)=>void, onZoomOut:()=>void,
 *   onReset:()=>void, onZones:(ids:string[])=>void, onRefresh:(key)=>void, onRefreshNow:()=>void}} on
 */
/** a relative range in words: the known ones by key, a span from the URL (?range=90m) as "Last 90m" */
export function rangeLabel(r) {
  const preset = RANGES.some((p) => p.key === r.key && p.label === r.label);
  return preset ? t(`dash.range.${r.key}`) : t('dash.range.last', { span: r.key });
}

export function createTimeBar(root, on) {
  // words through data-i18n / data-i18n-attr: applyI18n() re-fills them when the language changes
  root.innerHTML = `
    <div class="range-group" role="group" aria-label="time range" data-i18n-attr="aria-label:dash.tb.ranges" data-role="ranges"></div>
    <div class="tb-group" role="group" aria-label="move the window" data-i18n-attr="aria-label:dash.tb.move">
      <button type="button" class="tb-btn" data-act="left" data-testid="shift-left" data-i18n-attr="title:dash.tb.earlierTitle;aria-label:dash.tb.earlier">◀</button>
      <button type="button" class="tb-btn" data-act="out" data-testid="zoom-out" data-i18n-attr="title:dash.tb.zoomOutTitle;aria-label:dash.tb.zoomOut">−</button>
      <button type="button" class="tb-btn" data-act="right" data-testid="shift-right" data-i18n-attr="title:dash.tb.laterTitle;aria-label:dash.tb.later">▶</button>
      <button type="button" class="tb-btn" data-act="reset" data-testid="zoom-reset" data-i18n-attr="title:dash.tb.resetTitle;aria-label:dash.tb.resetLabel" data-i18n="dash.tb.reset"></button>
    </div>
    <details class="tb-pop" data-role="abs">
      <summary class="tb-btn" data-testid="abs-toggle" data-i18n="dash.tb.fromTo"></summary>
      <form class="tb-form" data-testid="abs-form">
        <label><span data-i18n="dash.tb.from"></span> <input name="from" required spellcheck="false" autocomplete="off" placeholder="2026-12-06 20:30" size="17" data-testid="abs-from"></label>
        <label><span data-i18n="dash.tb.to"></span> <input name="to" required spellcheck="false" autocomplete="off" placeholder="2026-12-06 21:30" size="17" data-testid="abs-to"></label>
        <button type="submit" class="tb-btn" data-testid="abs-apply" data-i18n="dash.tb.apply"></button>
        <span class="tb-err" data-role="abs-err" role="alert"></span>
      </form>
    </details>
    <details class="tb-pop" data-role="zones">
      <summary class="tb-btn" data-testid="zone-filter-toggle"><span data-i18n="dash.tb.zones"></span>&nbsp;<span data-role="zone-summary"></span></summary>
      <div class="tb-form tb-zones" data-role="zone-list" data-testid="zone-filter"></div>
    </details>
    <span class="tb-window" data-testid="time-window"></span>
    <label class="refresh-label"><span data-i18n="dash.tb.autoRefresh"></span> <select data-testid="refresh-select" data-role="refresh"></select></label>
    <button type="button" class="icon-btn" data-act="now" data-i18n-attr="title:dash.tb.refreshNow;aria-label:dash.tb.refreshNow">⟳</button>`;
  applyI18n(root);
  const q = (sel) => root.querySelector(sel);

  q('[data-role=ranges]').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-range]');
    if (b) on.onRange(b.dataset.range);
  });
  root.addEventListener('click', (e) => {
    const act = e.target.closest('button[data-act]')?.dataset.act;
    if (act === 'left') on.onShift(-1);
    if (act === 'right') on.onShift(1);
    if (act === 'out') on.onZoomOut();
    if (act === 'reset') on.onReset();
    if (act === 'now') on.onRefreshNow();
  });
  q('[data-role=refresh]').addEventListener('change', (e) => on.onRefresh(e.target.value));
  q('[data-testid=abs-form]').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const from = parseLocal(String(f.get('from')));
    const to = parseLocal(String(f.get('to')));
    const err = q('[data-role=abs-err]');
    if (!Number.isFinite(from)) return void (err.textContent = t('dash.tb.errFrom'));
    if (!Number.isFinite(to)) return void (err.textContent = t('dash.tb.errTo'));
    if (from >= to) return void (err.textContent = t('dash.tb.errOrder'));
    err.textContent = '';
    q('[data-role=abs]').open = false;
    on.onAbsolute(from, to);
  });
  // zone toggles are buttons (aria-pressed), not checkboxes: a 44 px target on a phone
  q('[data-role=zone-list]').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-zone]');
    if (!b) return;
    b.setAttribute('aria-pressed', String(b.getAttribute('aria-pressed') !== 'true'));
    on.onZones([...root.querySelectorAll('[data-role=zone-list] button[aria-pressed=true]')].map((x) => x.dataset.zone));
  });

  /** @param {{state, win:{from,to,live}, zones:{id,name}[], bucket:number|0}} s */
  function render({ state, win, zones, zoomed }) {
    q('[data-role=ranges]').innerHTML = RANGES.map(
      (r) => `<button type="button" data-range="${r.key}" data-testid="range-${r.key}" title="${esc(rangeLabel(r))}" aria-pressed="${r.key === state.range?.key}">${r.key}</button>`,
    ).join('');
    q('[data-role=refresh]').innerHTML = REFRESHES.map((r) => `<option value="${r.key}" ${r.key === state.refresh.key ? 'selected' : ''}>${esc(t(`dash.refresh.${r.key}`))}</option>`).join('');
    q('[data-act=reset]').disabled = !zoomed;
    q('[data-act=right]').disabled = win.live;
    const abs = q('[data-role=abs]');
    if (!abs.open) {
      q('[name=from]').value = localInput(win.from);
      q('[name=to]').value = localInput(win.to);
    }
    const w = q('[data-testid=time-window]');
    w.textContent = win.live ? rangeLabel(state.range) : windowText(win.from, win.to);
    w.dataset.from = String(Math.round(win.from));
    w.dataset.to = String(Math.round(win.to));
    w.dataset.live = String(win.live);
    const chosen = new Set(state.zones);
    // not while open: a rebuild under the operator's finger would drop the tap
    if (!q('[data-role=zones]').open) q('[data-role=zone-list]').innerHTML = zones.map((z) => `<button type="button" class="tb-btn tb-zone" data-zone="${esc(z.id)}" aria-pressed="${chosen.has(z.id)}">${esc(z.name)}</button>`).join('') || `<span>${esc(t('dash.tb.noZones'))}</span>`;
    q('[data-role=zone-summary]').textContent = state.zones.length ? zones.filter((z) => chosen.has(z.id)).map((z) => z.name).join(', ') || state.zones.join(', ') : t('dash.tb.allZones');
  }

  return { render };
}
