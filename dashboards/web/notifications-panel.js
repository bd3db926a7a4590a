// Notifications: who was told about each alert, on which channel, and whether it arrived
// (GET /api/notifications/deliveries). Two views of the same data:
//  - a line under every alert row of the alert list ("alice ✓ wecom email · bob ✗ dingtalk"),
//    added next to the rows alert-list.js renders (it never rebuilds a row, so the line stays);
//  - a panel with the latest deliveries, their stage (first notice, escalation, reminder,
//    all clear), status, attempts and last error.
// Addresses arrive masked from the API; nothing secret reaches the browser.

import { authHeader } from './token.js';
import { esc, fmtTime } from './format.js';
import { humanError } from './error-text.js';

const STATUS_MARK = { sent: '✓', pending: '…', failed: '✗', cancelled: '–' };
const STAGE_LABEL = { raised: 'notice', escalated: 'escalation', reminder: 'reminder', cleared: 'all clear', update: 'update (same incident)' };

const STYLE = `
.ar-notify { font-size: 12px; color: var(--muted, #8a93a6); margin-top: 2px; }
.ar-notify .n-sent { color: #3fb950; } .ar-notify .n-failed { color: #f85149; } .ar-notify .n-pending { color: #d29922; }
.notifications-panel .delivery-rows { list-style: none; margin: 0; padding: 0 10px 8px; max-height: 260px; overflow: auto; font-size: 13px; }
.notifications-panel .delivery-rows li { display: grid; grid-template-columns: 1fr auto; gap: 0 8px; padding: 4px 0; border-bottom: 1px solid var(--line, #2a3140); }
.notifications-panel .d-status { font-weight: 700; text-transform: uppercase; font-size: 11px; }
.notifications-panel .d-sent { color: #3fb950; } .notifications-panel .d-failed { color: #f85149; } .notifications-panel .d-pending { color: #d29922; } .notifications-panel .d-cancelled { color: #8a93a6; }
.notifications-panel .d-error { grid-column: 1 / -1; color: #f85149; font-size: 12px; }`;

class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
  get unreachable() { return this.status === 0 || this.status >= 502; }
}

async function getDeliveries(alertIds, limit) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (alertIds?.length) q.set('alert', alertIds.join(','));
  let res;
  try {
    res = await fetch(`/api/notifications/deliveries?${q}`, { headers: { ...authHeader(), accept: 'application/json' }, cache: 'no-store' });
  } catch (err) {
    throw new HttpError(0, humanError(0, null));
  }
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new HttpError(res.status, humanError(res.status, json));
  return json;
}

/** "alice ✓ wecom email · bob ✗ dingtalk": per contact (in order first notified), channels by status */
export function summarise(deliveries) {
  const people = new Map();
  for (const d of [...deliveries].sort((a, b) => a.id - b.id)) {
    const who = d.contact?.name ?? (d.channel === 'mqtt' ? 'MQTT' : 'webhook');
    const p = people.get(who) ?? { who, channels: new Map() };
    // the latest delivery per channel decides its mark
    p.channels.set(d.channel, d.status);
    people.set(who, p);
  }
  return [...people.values()];
}

export class NotificationsPanel {
  /** @param {HTMLElement|null} root the panel <section> (optional)  @param {HTMLElement} alertsRoot the alert list */
  constructor(root, alertsRoot) {
    this.root = root;
    this.alertsRoot = alertsRoot;
    if (!document.getElementById('notifications-panel-style')) {
      const s = document.createElement('style');
      s.id = 'notifications-panel-style';
      s.textContent = STYLE;
      document.head.appendChild(s);
    }
    if (root) {
      root.innerHTML = `<header class="box-head-row"><h2>Notifications</h2><span class="count" data-role="summary"></span></header>
        <ol class="delivery-rows" data-testid="delivery-rows"></ol>`;
    }
  }

  /** Fetches the deliveries of the alerts on screen; rethrows "cloud unreachable" like the other panels. */
  async refresh(now = Date.now()) {
    const ids = [...this.alertsRoot.querySelectorAll('[data-testid="alert-row"]')].map((el) => el.dataset.alertId).slice(0, 100);
    try {
      const [forAlerts, latest] = await Promise.all([
        ids.length ? getDeliveries(ids, 1000) : { deliveries: [] },
        this.root ? getDeliveries(null, 30) : { deliveries: [] },
      ]);
      this.decorateAlerts(forAlerts.deliveries);
      this.render(latest.deliveries, now);
    } catch (err) {
      if (err.unreachable) throw err;
      if (this.root) this.root.querySelector('.delivery-rows').innerHTML = `<li class="empty">notifications unavailable: ${esc(err.message)}</li>`;
    }
  }

  decorateAlerts(deliveries) {
    const byAlert = new Map();
    for (const d of deliveries) (byAlert.get(d.alertId) ?? byAlert.set(d.alertId, []).get(d.alertId)).push(d);
    for (const row of this.alertsRoot.querySelectorAll('[data-testid="alert-row"]')) {
      let line = row.querySelector('.ar-notify');
      if (!line) {
        line = document.createElement('div');
        line.className = 'ar-notify';
        line.dataset.testid = 'alert-notified';
        row.appendChild(line);
      }
      const list = byAlert.get(row.dataset.alertId) ?? [];
      const html = list.length
        ? `notified: ${summarise(list).map((p) => `${esc(p.who)} ${[...p.channels].map(([ch, st]) =>
          `<span class="n-${esc(st)}" title="${esc(st)}">${STATUS_MARK[st] ?? '?'} ${esc(ch)}</span>`).join(' ')}`).join(' · ')}`
        : '';
      if (line.innerHTML !== html) line.innerHTML = html;
    }
  }

  render(deliveries, now) {
    if (!this.root) return;
    const failed = deliveries.filter((d) => d.status === 'failed').length;
    const summary = this.root.querySelector('[data-role=summary]');
    summary.textContent = failed ? `${failed} failed` : deliveries.length ? `${deliveries.length} recent` : '';
    summary.classList.toggle('hot', failed > 0);
    const list = this.root.querySelector('.delivery-rows');
    if (!deliveries.length) return void (list.innerHTML = '<li class="empty">no notifications sent yet</li>');
    list.innerHTML = deliveries.map((d) => {
      const stage = STAGE_LABEL[d.stage] ?? d.stage;
      const level = d.stage === 'escalated' ? ` L${d.level}` : '';
      const last = d.attemptLog?.at(-1);
      return `<li data-testid="delivery-row" data-status="${esc(d.status)}">
        <span><b>${esc(d.contact?.name ?? d.target)}</b> · ${esc(d.channel)} · ${esc(stage)}${level} · <span class="muted">${esc(d.alertId)}</span></span>
        <span><span class="d-status d-${esc(d.status)}">${esc(d.status)}</span> ${d.attempts > 1 ? `×${d.attempts}` : ''} ${esc(fmtTime(d.sentAt ?? last?.at ?? d.createdAt, now))}</span>
        ${d.lastError && d.status !== 'sent' ? `<span class="d-error">${esc(d.lastError)}</span>` : ''}
      </li>`;
    }).join('');
  }
}
