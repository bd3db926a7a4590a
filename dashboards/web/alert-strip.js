// The pinned strip of active alerts at the top of every page (dashboard, stock, lot passport,
// planning): critical first, then warning, newest first (sortAlerts from alert-list.js); `info`
// records (a defrost in progress) are left out by the API's ?state=active. Each row has its own
// Acknowledge button, so acknowledging is one tap from any page. The strip is sticky: it stays
// on screen however far the page scrolls.
//
// Four states that never look like data: loading, sign-in needed (no or bad token: a field to
// paste one), server unreachable (retrying), and all clear. `/?alert=ID` (the link notifications
// send, cloud/notify/escalation.ts) pins that alert in the strip and highlights it, whatever its
// state (active, acknowledged, cleared), until closed.
//
// Loaded as a module by each page: <script type="module" src="alert-strip.js">; it mounts itself.

import * as api from './api.js';
import { RULE_LABEL, sortAlerts } from './alert-list.js';
import { esc, fmtDuration, fmtTime } from './format.js';
import { getToken, setToken } from './token.js';

const POLL_MS = 5_000;
/** rows shown before "show all": the strip must not push the page off a phone screen */
const COLLAPSED_ROWS = 3;
const OPERATOR_KEY = 'stockpulse.operator';

const STATUS_TEXT = {
  loading: 'Loading alerts…',
  signin: 'Sign in to see alerts: paste an API token.',
  unreachable: 'Cannot reach the server, retrying…',
  empty: 'No active alerts — all clear',
};

export class AlertStrip {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    this.alerts = [];
    this.zones = new Map();
    this.focusId = new URLSearchParams(location.search).get('alert');
    this.focus = null; // the ?alert= alert as last fetched
    this.focusMissing = false;
    this.scrolled = false;
    this.expanded = false;
    this.pending = new Set();
    this.errors = new Map();
    root.className = 'alert-strip';
    root.dataset.testid = 'alert-strip';
    root.setAttribute('aria-label', 'active alerts');
    root.setAttribute('aria-live', 'polite');
    root.innerHTML = `
      <div class="as-head">
        <span class="as-status" data-testid="alert-strip-status"></span>
        <button type="button" class="as-more" data-testid="alert-strip-more" hidden></button>
      </div>
      <form class="as-signin" data-testid="sign-in" hidden>
        <label>API token <input name="token" type="password" autocomplete="off" spellcheck="false" placeholder="sp_…" required data-testid="sign-in-token"></label>
        <button type="submit" data-testid="sign-in-button">Sign in</button>
        <small>An administrator creates one with <code>stockpulse token create --role viewer --name NAME</code>.</small>
      </form>
      <ol class="as-rows" data-testid="alert-strip-rows"></ol>`;
    this.rowsEl = root.querySelector('.as-rows');
    root.querySelector('.as-signin').addEventListener('submit', (e) => {
      e.preventDefault();
      setToken(String(new FormData(e.target).get('token') ?? ''));
    });
    root.querySelector('.as-more').addEventListener('click', () => ((this.expanded = !this.expanded), this.render()));
    root.addEventListener('click', (e) => {
      const ack = e.target.closest('[data-testid=strip-ack]');
      if (ack) this.ack(ack.closest('[data-alert-id]').dataset.alertId);
      if (e.target.closest('[data-testid=strip-focus-close]')) this.closeFocus();
    });
    this.setState('loading');
  }

  setState(state) {
    this.state = state;
    this.root.dataset.state = state;
    this.root.querySelector('.as-signin').hidden = state !== 'signin';
  }

  zoneName(id) { return this.zones.get(id)?.name ?? id; }

  async refresh() {
    clearTimeout(this.timer);
    try {
      if (!getToken()) throw new api.ApiError(401, 'SP_ERR_UNAUTHENTICATED', '');
      const active = await api.getAlerts({ state: 'active', limit: 200 });
      if (active.some((a) => !this.zones.has(a.zone)) || (this.focusId && !this.zones.size)) {
        try { this.zones = new Map((await api.getZones()).map((z) => [z.id, z])); } catch { /* ids stand in for names */ }
      }
      if (this.focusId) await this.loadFocus(active);
      this.alerts = active.filter((a) => a.severity !== 'info');
      this.setState(this.alerts.length ? 'active' : 'empty');
    } catch (err) {
      if (err?.status === 401) this.setState('signin');
      else if (err?.unreachable || err?.status === 0 || err?.status >= 500) this.setState('unreachable');
      else throw err;
    } finally {
      this.render();
      this.timer = setTimeout(() => this.refresh().catch(() => {}), POLL_MS);
    }
  }

  async loadFocus(active) {
    const hit = active.find((a) => a.id === this.focusId);
    if (hit) return void ((this.focus = hit), (this.focusMissing = false));
    // acknowledged or cleared: look it up among recent alerts (there is no GET by id)
    const all = await api.getAlerts({ state: 'all', limit: 1000 });
    this.focus = all.find((a) => a.id === this.focusId) ?? null;
    this.focusMissing = !this.focus;
  }

  closeFocus() {
    this.focusId = null;
    this.focus = null;
    const p = new URLSearchParams(location.search);
    p.delete('alert');
    history.replaceState(null, '', `${location.pathname}${p.size ? `?${p}` : ''}${location.hash}`);
    this.render();
  }

  render(now = Date.now()) {
    const { active } = sortAlerts(this.alerts);
    const status = this.root.querySelector('.as-status');
    if (this.state === 'active') {
      const crit = active.filter((a) => a.severity === 'critical').length;
      status.innerHTML = `<b>${active.length} active alert${active.length === 1 ? '' : 's'}</b>${crit ? ` · <span class="as-crit">${crit} critical</span>` : ''}`;
    } else status.textContent = STATUS_TEXT[this.state];

    const shown = this.expanded ? active : active.slice(0, COLLAPSED_ROWS);
    const more = this.root.querySelector('.as-more');
    more.hidden = active.length <= COLLAPSED_ROWS || this.state !== 'active';
    more.textContent = this.expanded ? 'Show fewer' : `Show all ${active.length}`;

    const rows = [];
    if (this.focusId && (this.focus || this.focusMissing)) rows.push(this.focusRow(now));
    for (const a of shown) if (a.id !== this.focus?.id) rows.push(this.row(a, now));
    this.rowsEl.innerHTML = rows.join('');
    this.rowsEl.hidden = rows.length === 0;

    const focused = this.rowsEl.querySelector('.as-focused');
    if (focused && !this.scrolled) {
      this.scrolled = true;
      focused.scrollIntoView({ block: 'nearest' });
      focused.querySelector('button')?.focus({ preventScroll: true });
    }
  }

  row(a, now, extraClass = '') {
    const state = a.state !== 'active' ? `cleared ${fmtTime(a.clearedAt, now)}` : '';
    const acked = a.ackedAt || a.ackedBy;
    const pending = this.pending.has(a.id);
    const err = this.errors.get(a.id);
    const action = acked
      ? `<span class="as-acked" data-testid="strip-acked">✓ acknowledged by ${esc(a.ackedBy ?? '?')}${a.ackedAt ? ` · ${esc(fmtTime(a.ackedAt, now))}` : ''}</span>`
      : a.state === 'active'
        ? `<button type="button" class="ack-btn" data-testid="strip-ack" ${pending ? 'disabled' : ''}>${pending ? 'Acknowledging…' : 'Acknowledge'}</button>`
        : '';
    const dur = fmtDuration((a.clearedAt ?? now) - (a.raisedAt ?? a.since));
    return `<li class="as-row sev-${esc(a.severity)} state-${esc(a.state)}${acked ? ' acked' : ''}${extraClass}" data-testid="strip-alert" data-alert-id="${esc(a.id)}" data-state="${esc(a.state)}">
      <span class="sev sev-${esc(a.severity)}">${esc(a.severity.toUpperCase())}</span>
      <span class="as-what"><b>${esc(this.zoneName(a.zone))}</b> · ${esc(RULE_LABEL[a.rule] ?? a.rule)}${a.sensor ? ` <span class="as-sensor">${esc(a.sensor)}</span>` : ''}
        <span class="as-when">${a.state === 'active' ? `for ${esc(dur)}` : `${esc(state)} · lasted ${esc(dur)}`}</span></span>
      <span class="as-action">${action}${err ? `<span class="ack-error">${esc(err)}</span>` : ''}</span>
    </li>`;
  }

  focusRow(now) {
    const close = '<button type="button" class="as-close" data-testid="strip-focus-close" aria-label="close this alert" title="close">✕</button>';
    if (!this.focus) {
      return `<li class="as-row as-focused" data-testid="strip-focus" data-alert-id="${esc(this.focusId)}"><span class="as-what">The alert in this link (${esc(this.focusId)}) is not among recent alerts.</span>${close}</li>`;
    }
    const a = this.focus;
    const label = a.state !== 'active' ? '<span class="as-state" data-testid="strip-focus-state">CLEARED</span>' : a.ackedAt ? '<span class="as-state" data-testid="strip-focus-state">ACKNOWLEDGED</span>' : '<span class="as-state" data-testid="strip-focus-state">ACTIVE</span>';
    return this.row(a, now, ' as-focused').replace('data-testid="strip-alert"', 'data-testid="strip-focus"').replace('<span class="as-action">', `${label}<span class="as-action">`).replace(/<\/li>\s*$/, `${close}</li>`);
  }

  async ack(id) {
    if (this.pending.has(id)) return;
    this.pending.add(id);
    this.errors.delete(id);
    this.render();
    try {
      const by = (localStorage.getItem(OPERATOR_KEY) || '').trim() || 'operator';
      const updated = await api.ackAlert(id, by);
      this.alerts = this.alerts.map((a) => (a.id === id ? { ...a, ...updated } : a));
      if (this.focus?.id === id) this.focus = { ...this.focus, ...updated };
      // the dashboard's alert list shows it at once too (app.js listens)
      document.dispatchEvent(new CustomEvent('sp:alert-acked', { detail: updated }));
    } catch (err) {
      this.errors.set(id, err?.message ?? 'not acknowledged');
    } finally {
      this.pending.delete(id);
      this.render();
    }
  }
}

function mount() {
  const root = document.createElement('section');
  document.body.prepend(root);
  const strip = new AlertStrip(root);
  strip.refresh().catch(() => {});
  return strip;
}

export const alertStrip = typeof document !== 'undefined' ? mount() : null;
