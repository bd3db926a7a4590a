// Stock-moving devices on the dashboard:
//  - Dock door: the latest portal passes with their direction, how many cases, and what became
//    of each — booked against a document (po:17 / so:12), or the alert it raised (goods out with
//    no shipment, goods in with nothing expected) and whether someone resolved it
//    (GET /api/dock-activity);
//  - Weighed bins: per bin under a scale, what the scale weighed next to what the ledger holds,
//    and the count-drift alert when they disagree beyond the tolerance (GET /api/bin-weighings).
// Both build their own markup inside an empty <section>, like the notifications panel.

import { authHeader } from './token.js';
import { esc, fmtNum, fmtTime } from './format.js';
import { humanError } from './error-text.js';
import { onLangChange, t } from './i18n.js';

const STYLE = `
.dock-panel .dock-rows, .bins-panel .bin-rows { list-style: none; margin: 0; padding: 0 10px 8px; max-height: 260px; overflow: auto; font-size: 13px; }
.dock-panel .dock-rows li, .bins-panel .bin-rows li { display: grid; grid-template-columns: auto 1fr auto; gap: 0 8px; padding: 4px 0; border-bottom: 1px solid var(--line, #2a3140); align-items: baseline; }
.dock-panel .dir { font-weight: 700; font-size: 11px; padding: 0 5px; border-radius: 3px; }
.dock-panel .dir-in { background: #1f6f43; color: #fff; } .dock-panel .dir-out { background: #6e4b1f; color: #fff; } .dock-panel .dir-unknown { background: #444; color: #fff; }
.dock-panel .outcome-booked { color: #3fb950; } .dock-panel .outcome-alert { color: #f85149; font-weight: 600; } .dock-panel .outcome-refused { color: #d29922; }
.dock-panel .note, .bins-panel .note { grid-column: 1 / -1; color: var(--muted, #8a93a6); font-size: 12px; }
.bins-panel .qty { font-variant-numeric: tabular-nums; }
.bins-panel .drift { color: #f85149; font-weight: 600; } .bins-panel .agree { color: #3fb950; }`;

class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
  get unreachable() { return this.status === 0 || this.status >= 502; }
}

async function get(path) {
  let res;
  try {
    res = await fetch(path, { headers: { ...authHeader(), accept: 'application/json' }, cache: 'no-store' });
  } catch (err) {
    throw new HttpError(0, humanError(0, null));
  }
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new HttpError(res.status, humanError(res.status, json));
  return json;
}

function installStyle() {
  if (document.getElementById('stock-devices-panels-style')) return;
  const s = document.createElement('style');
  s.id = 'stock-devices-panels-style';
  s.textContent = STYLE;
  document.head.appendChild(s);
}

const OUTCOME = {
  booked: (r) => `<span class="outcome-booked">${esc(r.document ? t('panels.dock.booked', { document: r.document }) : t('panels.dock.bookedDevice'))}</span>`,
  refused: (r) => `<span class="outcome-refused" title="${esc(r.reason ?? '')}">${esc(r.document ? t('panels.dock.notBookedDoc', { document: r.document }) : t('panels.dock.notBooked'))}</span>`,
  unauthorised_removal: () => `<span class="outcome-alert">${esc(t('panels.dock.removal'))}</span>`,
  unexpected_receipt: () => `<span class="outcome-alert">${esc(t('panels.dock.unexpected'))}</span>`,
};

/** the panel's header, in the current language; redrawn (with the last rows) when the language changes */
function mount(panel, heading, list) {
  const draw = () => {
    panel.root.innerHTML = `<header class="box-head-row"><h2>${esc(t(heading))}</h2><span class="count" data-role="summary"></span></header>${list}`;
    if (panel.last) panel.render(...panel.last);
  };
  draw();
  onLangChange(draw);
}

export class DockActivityPanel {
  /** @param {HTMLElement|null} root an empty <section> */
  constructor(root) {
    this.root = root;
    if (!root) return;
    installStyle();
    mount(this, 'panels.dock.heading', '<ol class="dock-rows" data-testid="dock-rows"></ol>');
  }

  async refresh(now = Date.now()) {
    if (!this.root) return;
    try {
      this.render(await get('/api/dock-activity?limit=20'), now);
    } catch (err) {
      if (err.unreachable) throw err;
      this.root.querySelector('.dock-rows').innerHTML = `<li class="empty">${esc(t('panels.dock.unavailable', { reason: err.message }))}</li>`;
    }
  }

  render(rows, now) {
    this.last = [rows, now];
    const open = rows.filter((r) => r.alert && r.exception === 'open').length;
    const summary = this.root.querySelector('[data-role=summary]');
    summary.textContent = open ? t('panels.dock.toResolve', { count: open }) : rows.length ? t('panels.dock.passes', { count: rows.length }) : '';
    summary.classList.toggle('hot', open > 0);
    const list = this.root.querySelector('.dock-rows');
    if (!rows.length) return void (list.innerHTML = `<li class="empty">${esc(t('panels.dock.empty'))}</li>`);
    list.innerHTML = rows.map((r) => {
      const dir = ['in', 'out'].includes(r.direction) ? r.direction : 'unknown';
      const outcome = (OUTCOME[r.outcome] ?? (() => esc(r.outcome)))(r);
      const note = r.alert ? `${esc(t(r.exception === 'resolved' ? 'panels.dock.resolved' : 'panels.dock.open'))} · ${esc(r.message ?? '').slice(0, 140)}` : r.reason ? esc(r.reason) : '';
      return `<li data-testid="dock-row" data-direction="${dir}" data-outcome="${esc(r.outcome)}" data-document="${esc(r.document ?? '')}">
        <span class="dir dir-${dir}">${esc(t(`panels.dock.dir.${dir}`))}</span>
        <span>${esc(t('panels.dock.cases', { count: r.cases, n: fmtNum(r.cases, 0) }))}${r.items ? ` · ${esc(r.items)}` : ''} · ${esc(r.portal ?? '')}</span>
        <span>${outcome} <span class="muted">${esc(fmtTime(r.at, now))}</span></span>
        ${note ? `<span class="note">${note}</span>` : ''}
      </li>`;
    }).join('');
  }
}

export class BinWeighingsPanel {
  /** @param {HTMLElement|null} root an empty <section> */
  constructor(root) {
    this.root = root;
    if (!root) return;
    installStyle();
    mount(this, 'panels.bins.heading', '<ul class="bin-rows" data-testid="bin-rows"></ul>');
  }

  async refresh(now = Date.now()) {
    if (!this.root) return;
    try {
      this.render(await get('/api/bin-weighings'), now);
    } catch (err) {
      if (err.unreachable) throw err;
      this.root.querySelector('.bin-rows').innerHTML = `<li class="empty">${esc(t('panels.bins.unavailable', { reason: err.message }))}</li>`;
    }
  }

  render(rows, now) {
    this.last = [rows, now];
    const drifting = rows.filter((r) => r.alert && r.alert.state === 'active').length;
    const summary = this.root.querySelector('[data-role=summary]');
    summary.textContent = drifting ? t('panels.bins.drifting', { count: drifting }) : rows.length ? t('panels.bins.bins', { count: rows.length }) : '';
    summary.classList.toggle('hot', drifting > 0);
    const list = this.root.querySelector('.bin-rows');
    if (!rows.length) return void (list.innerHTML = `<li class="empty">${esc(t('panels.bins.empty'))}</li>`);
    const digits = (unit) => (unit === 'pcs' ? 0 : 1);
    list.innerHTML = rows.map((r) => {
      const active = r.alert && r.alert.state === 'active';
      return `<li data-testid="bin-row" data-bin="${esc(r.location)}" data-drift="${active ? 'yes' : 'no'}" title="${esc(t('panels.bins.tolerance', { device: r.device, tolerance: r.tolerance, unit: r.unit }))}">
        <span><b>${esc(r.location)}</b></span>
        <span>${esc(r.item)}</span>
        <span class="qty">${esc(t('panels.bins.shelf'))} <b data-role="weighed">${fmtNum(r.weighed, digits(r.unit))}</b> · ${esc(t('panels.bins.system'))} <b data-role="ledger">${fmtNum(r.ledger, digits(r.unit))}</b> ${esc(r.unit)}
          <span class="${active ? 'drift' : 'agree'}">${active ? esc(t('panels.bins.drift')) : '✓'}</span></span>
        <span class="note">${esc(t('panels.bins.weighed', { time: fmtTime(r.weighedAt, now) }))}${active ? ` · ${esc(r.alert.message)}` : ''}</span>
      </li>`;
    }).join('');
  }
}
