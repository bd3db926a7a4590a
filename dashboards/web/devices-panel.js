// Devices panel: every device with its health as its gateway reports it (GET /api/devices).
// Worst first (failed, offline, not yet reported, online) so a dead probe is at the top of the
// list, not hidden below the healthy ones. Green online, grey-red offline, red failed.

import { getDevices } from './api.js';
import { esc, fmtDuration, fmtNum } from './format.js';

const ORDER = { failed: 0, offline: 1, unknown: 2, online: 3 };
const LABEL = { online: 'online', offline: 'OFFLINE', failed: 'FAILED', unknown: 'no report' };
/** below this the battery wants changing this week: amber */
const LOW_BATTERY = 20;

function ageText(d, now, fetchedAt) {
  if (d.ageSec === null || d.ageSec === undefined) return 'never seen';
  const ms = d.ageSec * 1000 + Math.max(0, now - fetchedAt);
  return ms < 5_000 ? 'just now' : `${fmtDuration(ms)} ago`;
}

export class DevicesPanel {
  /** @param {HTMLElement} root the <section> holding a .device-rows list and a [data-role=summary] */
  constructor(root, { zoneName = (id) => id } = {}) {
    this.root = root;
    this.list = root.querySelector('.device-rows');
    this.summary = root.querySelector('[data-role=summary]');
    this.zoneName = zoneName;
    this.devices = [];
    this.fetchedAt = 0;
  }

  /** Fetches and renders; rethrows "cloud unreachable" so the app shows its banner, keeps the last list otherwise. */
  async refresh(now = Date.now()) {
    try {
      this.devices = await getDevices();
      this.fetchedAt = Date.now();
      this.render(now);
    } catch (err) {
      if (err.unreachable) throw err;
      this.summary.textContent = '';
      this.list.innerHTML = `<li class="empty">devices unavailable: ${esc(err.message)}</li>`;
    }
  }

  render(now = Date.now()) {
    const rows = [...this.devices].sort((a, b) =>
      (ORDER[a.state] ?? 9) - (ORDER[b.state] ?? 9) || String(a.zone).localeCompare(String(b.zone)) || a.id.localeCompare(b.id));
    const bad = rows.filter((d) => d.state === 'offline' || d.state === 'failed').length;
    this.summary.textContent = rows.length ? (bad ? `${bad} / ${rows.length} down` : `${rows.length} online`) : '';
    this.summary.classList.toggle('hot', bad > 0);
    if (!rows.length) {
      this.list.innerHTML = '<li class="empty">no devices reported yet</li>';
      return;
    }
    this.list.innerHTML = rows.map((d) => {
      const state = LABEL[d.state] ? d.state : 'unknown';
      const low = typeof d.battery === 'number' && d.battery < LOW_BATTERY;
      // "SP_ERR_DEVICE: devices.x: 10.0.0.5:502 unit 1: no answer" → "10.0.0.5:502 unit 1: no answer" (the code stays in the tooltip)
      const why = state === 'failed' && d.lastError ? d.lastError.message.replace(/^SP_ERR_[A-Z_]+: /, '').replace(/^devices\.[^:]+: /, '') : '';
      return `<li class="device-row dev-${state}" data-testid="device-row" data-device="${esc(d.id)}" data-state="${state}"
          title="${esc(`${d.id} · ${d.protocol} via ${d.gateway}${d.heartbeatSec ? ` · every ${d.heartbeatSec} s` : ''}${d.lastError ? `\nlast error: ${d.lastError.message}` : ''}`)}">
        <span class="dev-dot" aria-hidden="true"></span>
        <span class="dev-name">${esc(d.name ?? d.id)}<small>${esc(d.zone ? this.zoneName(d.zone) : '—')}${why ? ` · <span class="dev-error">${esc(why)}</span>` : ''}</small></span>
        <span class="dev-state">${LABEL[state]}</span>
        <span class="dev-meta">
          <span class="dev-age" data-role="age">${esc(ageText(d, now, this.fetchedAt))}</span>
          <span class="dev-battery${low ? ' low' : ''}" title="battery">${typeof d.battery === 'number' ? `${fmtNum(d.battery, 0)} %` : ''}</span>
          <span class="dev-signal" title="signal">${typeof d.signal === 'number' ? (d.signal < 0 ? `${fmtNum(d.signal, 0)} dBm` : `LQ ${fmtNum(d.signal, 0)}`) : ''}</span>
        </span>
      </li>`;
    }).join('');
  }
}
