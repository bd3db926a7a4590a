// The time bar above the zone panels: relative ranges, shift ◀ ▶, zoom out, reset, an absolute
// from/to (datetime-local, in the browser's time zone), the zone filter and auto refresh. It only
// renders the state and reports what the operator asked for; app.js owns the state and the URL.

import { esc, fmtClock, fmtDateTime } from './format.js';
import { RANGES, REFRESHES } from './time-range.js';

const pad = (n) => String(n).padStart(2, '0');
/** ms → the value a datetime-local input takes (local time, minutes). */
function localInput(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
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
export function createTimeBar(root, on) {
  root.innerHTML = `
    <div class="range-group" role="group" aria-label="time range" data-role="ranges"></div>
    <div class="tb-group" role="group" aria-label="move the window">
      <button type="button" class="tb-btn" data-act="left" data-testid="shift-left" title="Earlier (half a window)" aria-label="Shift earlier">◀</button>
      <button type="button" class="tb-btn" data-act="out" data-testid="zoom-out" title="Zoom out ×2" aria-label="Zoom out">−</button>
      <button type="button" class="tb-btn" data-act="right" data-testid="shift-right" title="Later (half a window)" aria-label="Shift later">▶</button>
      <button type="button" class="tb-btn" data-act="reset" data-testid="zoom-reset" title="Back to the range before zooming" aria-label="Reset zoom">Reset</button>
    </div>
    <details class="tb-pop" data-role="abs">
      <summary class="tb-btn" data-testid="abs-toggle">From – to</summary>
      <form class="tb-form" data-testid="abs-form">
        <label>From <input type="datetime-local" name="from" step="60" required data-testid="abs-from"></label>
        <label>To <input type="datetime-local" name="to" step="60" required data-testid="abs-to"></label>
        <button type="submit" class="tb-btn" data-testid="abs-apply">Apply</button>
        <span class="tb-err" data-role="abs-err" role="alert"></span>
      </form>
    </details>
    <details class="tb-pop" data-role="zones">
      <summary class="tb-btn" data-testid="zone-filter-toggle">Zones: <span data-role="zone-summary">all</span></summary>
      <div class="tb-form tb-zones" data-role="zone-list" data-testid="zone-filter"></div>
    </details>
    <span class="tb-window" data-testid="time-window"></span>
    <label class="refresh-label">Auto refresh <select data-testid="refresh-select" data-role="refresh"></select></label>
    <button type="button" class="icon-btn" data-act="now" title="Refresh now" aria-label="Refresh now">⟳</button>`;
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
    const from = new Date(String(f.get('from'))).getTime();
    const to = new Date(String(f.get('to'))).getTime();
    const err = q('[data-role=abs-err]');
    if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) return void (err.textContent = 'From must be before To');
    err.textContent = '';
    q('[data-role=abs]').open = false;
    on.onAbsolute(from, to);
  });
  q('[data-role=zone-list]').addEventListener('change', () => {
    const ids = [...root.querySelectorAll('[data-role=zone-list] input:checked')].map((i) => i.value);
    on.onZones(ids);
  });

  /** @param {{state, win:{from,to,live}, zones:{id,name}[], bucket:number|0}} s */
  function render({ state, win, zones, zoomed }) {
    q('[data-role=ranges]').innerHTML = RANGES.map(
      (r) => `<button type="button" data-range="${r.key}" data-testid="range-${r.key}" title="${r.label}" aria-pressed="${r.key === state.range?.key}">${r.key}</button>`,
    ).join('');
    q('[data-role=refresh]').innerHTML = REFRESHES.map((r) => `<option value="${r.key}" ${r.key === state.refresh.key ? 'selected' : ''}>${r.label}</option>`).join('');
    q('[data-act=reset]').disabled = !zoomed;
    q('[data-act=right]').disabled = win.live;
    const abs = q('[data-role=abs]');
    if (!abs.open) {
      q('[name=from]').value = localInput(win.from);
      q('[name=to]').value = localInput(win.to);
    }
    const w = q('[data-testid=time-window]');
    w.textContent = win.live ? `${state.range.label}` : windowText(win.from, win.to);
    w.dataset.from = String(Math.round(win.from));
    w.dataset.to = String(Math.round(win.to));
    w.dataset.live = String(win.live);
    const chosen = new Set(state.zones);
    // not while open: a rebuild under the operator's finger would drop the tap
    if (!q('[data-role=zones]').open) q('[data-role=zone-list]').innerHTML = zones.map((z) => `<label class="tb-zone"><input type="checkbox" value="${esc(z.id)}" ${chosen.has(z.id) ? 'checked' : ''}> ${esc(z.name)}</label>`).join('') || '<span>no zones yet</span>';
    q('[data-role=zone-summary]').textContent = state.zones.length ? zones.filter((z) => chosen.has(z.id)).map((z) => z.name).join(', ') || state.zones.join(', ') : 'all';
  }

  return { render };
}
