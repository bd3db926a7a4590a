// Devices panel: every device with its health as its gateway reports it (GET /api/devices).
// Worst first (failed, offline, not yet reported, online) so a dead probe is at the top of the
// list, not hidden below the healthy ones. Green online, grey-red offline, red failed.

// Words from i18n/ops-panels.*.js (panels.devices.*); redrawn from the last list on a language switch.

import { getDevices } from './api.js';
import { esc, fmtNum } from './format.js';
import { span } from './dash-words.js';
import { onLangChange, t } from './i18n.js';

const ORDER = { failed: 0, offline: 1, unknown: 2, online: 3 };
const STATES = new Set(Object.keys(ORDER));
/** below this the battery wants changing this week: amber */
const LOW_BATTERY = 20;

function ageText(d, now, fetchedAt) {
  if (d.ageSec === null || d.ageSec === undefined) return t('panels.devices.neverSeen');
  const ms = d.ageSec * 1000 + Math.max(0, now - fetchedAt);
  return ms < 5_000 ? t('dash.age.justNow') : t('dash.age.ago', { span: span(ms) });
}

/** "p1 · mqtt-json via gw-1 · every 60 s", then the last error on its own line */
function tooltip(d) {
  const every = d.heartbeatSec ? ` · ${t('panels.devices.every', { n: d.heartbeatSec })}` : '';
  const error = d.lastError ? `\n${t('panels.devices.lastError', { message: d.lastError.message })}` : '';
  return `${d.id} · ${t('dash.sensor.via', { protocol: d.protocol, gateway: d.gateway })}${every}${error}`;
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
    this.failure = null;
    onLangChange(() => (this.failure ? this.showFailure() : this.fetchedAt && this.render()));
  }

  /** Fetches and renders; rethrows "cloud unreachable" so the app shows its banner, keeps the last list otherwise. */
  async refresh(now = Date.now()) {
    try {
      this.devices = await getDevices();
      this.fetchedAt = Date.now();
      this.failure = null;
      this.render(now);
    } catch (err) {
      if (err.unreachable) throw err;
      this.failure = err.message;
      this.showFailure();
    }
  }

  showFailure() {
    this.summary.textContent = '';
    this.list.innerHTML = `<li class="empty">${esc(t('panels.devices.unavailable', { reason: this.failure }))}</li>`;
  }

  render(now = Date.now()) {
    const rows = [...this.devices].sort((a, b) =>
      (ORDER[a.state] ?? 9) - (ORDER[b.state] ?? 9) || String(a.zone).localeCompare(String(b.zone)) || a.id.localeCompare(b.id));
    const bad = rows.filter((d) => d.state === 'offline' || d.state === 'failed').length;
    this.summary.textContent = rows.length ? (bad ? t('panels.devices.down', { bad, total: rows.length }) : t('panels.devices.online', { count: rows.length })) : '';
    this.summary.classList.toggle('hot', bad > 0);
    if (!rows.length) {
      this.list.innerHTML = `<li class="empty">${esc(t('panels.devices.empty'))}</li>`;
      return;
    }
    this.list.innerHTML = rows.map((d) => {
      const state = STATES.has(d.state) ? d.state : 'unknown';
      const low = typeof d.battery === 'number' && d.battery < LOW_BATTERY;
      // "SP_ERR_DEVICE: devices.x: 10.0.0.5:502 unit 1: no answer" → "10.0.0.5:502 unit 1: no answer" (the code stays in the tooltip)
      const why = state === 'failed' && d.lastError ? d.lastError.message.replace(/^SP_ERR_[A-Z_]+: /, '').replace(/^devices\.[^:]+: /, '') : '';
      return `<li class="device-row dev-${state}" data-testid="device-row" data-device="${esc(d.id)}" data-state="${state}"
          title="${esc(tooltip(d))}">
        <span class="dev-dot" aria-hidden="true"></span>
        <span class="dev-name">${esc(d.name ?? d.id)}<small>${esc(d.zone ? this.zoneName(d.zone) : '—')}${why ? ` · <span class="dev-error">${esc(why)}</span>` : ''}</small></span>
        <span class="dev-state">${esc(t(`panels.devices.state.${state}`))}</span>
        <span class="dev-meta">
          <span class="dev-age" data-role="age">${esc(ageText(d, now, this.fetchedAt))}</span>
          <span class="dev-battery${low ? ' low' : ''}" title="${esc(t('dash.kind.battery'))}">${typeof d.battery === 'number' ? `${fmtNum(d.battery, 0)} %` : ''}</span>
          <span class="dev-signal" title="${esc(t('dash.kind.signal'))}">${typeof d.signal === 'number' ? (d.signal < 0 ? `${fmtNum(d.signal, 0)} dBm` : esc(t('panels.devices.linkQuality', { n: fmtNum(d.signal, 0) }))) : ''}</span>
        </span>
      </li>`;
    }).join('');
  }
}
