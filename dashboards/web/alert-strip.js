// The pinned strip of active incidents at the top of every page (dashboard, stock, lot passport,
// planning): one row per incident (cloud/notify/incidents.ts: the alerts of one zone event —
// every probe that saw the chiller fail — grouped by their incidentId, incident-group.js), with
// its severity, zone, how many probes, since when, and one Acknowledge button (≥ 44 px) that
// acknowledges the whole incident in one tap from any page. Critical first, then newest; `info`
// records (a defrost in progress) are left out by the API's ?state=active. The strip is sticky:
// it stays on screen however far the page scrolls.
//
// Four states that never look like data: loading, sign-in needed (no or bad token: a field to
// paste one), server unreachable (retrying), and all clear. `/?alert=ID` (the link notifications
// send, cloud/notify/escalation.ts) and `/?incident=ID` pin the incident holding that alert in the
// strip and highlight it, whatever its state (active, acknowledged, cleared), until closed.
//
// Loaded as a module by each page: <script type="module" src="alert-strip.js">; it mounts itself.

import * as api from './api.js';
import { ruleLabel, sevText } from './alert-list.js';
import { groupIncidents } from './incident-group.js';
import { esc, fmtTime } from './format.js';
import { span } from './dash-words.js';
import { applyI18n, onLangChange, t } from './i18n.js';
import { getToken, setToken } from './token.js';

const POLL_MS = 5_000;
/** rows shown before "show all": the strip must not push the page off a phone screen */
const COLLAPSED_ROWS = 3;
const OPERATOR_KEY = 'stockpulse.operator';

/** the strip's state in words (catalogue keys) */
const STATUS_KEY = {
  loading: 'alerts.strip.loading',
  signin: 'alerts.strip.signin',
  unreachable: 'error.unreachable',
  empty: 'alerts.strip.empty',
};

export class AlertStrip {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    this.alerts = [];
    this.zones = new Map();
    /** zones whose names were asked of /api/zones once already (found or not) */
    this.askedZones = new Set();
    const params = new URLSearchParams(location.search);
    this.focusId = params.get('alert');
    this.focusIncident = this.focusId ? null : params.get('incident');
    this.focus = null; // the incident (a group, incident-group.js) of the ?alert= / ?incident= link as last fetched
    this.focusMissing = false;
    this.scrolled = false;
    this.expanded = false;
    this.pending = new Set();
    this.errors = new Map();
    root.className = 'alert-strip';
    root.dataset.testid = 'alert-strip';
    root.setAttribute('aria-label', t('alerts.strip.label'));
    root.dataset.i18nAttr = 'aria-label:alerts.strip.label';
    root.setAttribute('aria-live', 'polite');
    root.innerHTML = `
      <div class="as-head">
        <span class="as-status" data-testid="alert-strip-status"></span>
        <button type="button" class="as-more" data-testid="alert-strip-more" hidden></button>
      </div>
      <form class="as-signin" data-testid="sign-in" hidden>
        <label><span data-i18n="alerts.strip.token"></span> <input name="token" type="password" autocomplete="off" spellcheck="false" placeholder="sp_…" required data-testid="sign-in-token"></label>
        <button type="submit" data-testid="sign-in-button" data-i18n="alerts.strip.signInButton"></button>
        <small><span data-i18n="alerts.strip.adminCreates"></span> <code>stockpulse token create --role viewer --name NAME</code>.</small>
      </form>
      <ol class="as-rows" data-testid="alert-strip-rows"></ol>`;
    applyI18n(root);
    this.rowsEl = root.querySelector('.as-rows');
    // the strip is on every page: it writes itself again in the new language (applyI18n did its static words)
    onLangChange(() => this.render());
    root.querySelector('.as-signin').addEventListener('submit', (e) => {
      e.preventDefault();
      setToken(String(new FormData(e.target).get('token') ?? ''));
    });
    root.querySelector('.as-more').addEventListener('click', () => ((this.expanded = !this.expanded), this.render()));
    root.addEventListener('click', (e) => {
      const ack = e.target.closest('[data-testid=strip-ack]');
      if (ack) this.ack(ack.closest('[data-group]').dataset.group);
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
      // zone names: asked again only for a zone not asked about before (an alert on a lot, a dock or a
      // gateway's uplink names a zone /api/zones never lists; asking every poll would be polling)
      const unknown = active.map((a) => a.zone).filter((z) => z && !this.zones.has(z) && !this.askedZones.has(z));
      if (unknown.length || ((this.focusId || this.focusIncident) && !this.zones.size && !this.askedZones.size)) {
        for (const z of unknown) this.askedZones.add(z);
        this.askedZones.add('');
        try { this.zones = new Map((await api.getZones()).map((z) => [z.id, z])); } catch { /* ids stand in for names */ }
      }
      if (this.focusId || this.focusIncident) await this.loadFocus(active);
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
    const inGroup = (list) => groupIncidents(list);
    if (this.focusId) {
      const hit = active.find((a) => a.id === this.focusId);
      // active: its incident is among the active alerts (only its active alerts show)
      if (hit && hit.incidentId == null) return void ((this.focus = inGroup([hit])[0]), (this.focusMissing = false));
      try {
        const inc = await api.getAlertIncident(this.focusId);
        this.focus = inGroup(inc.alerts)[0];
      } catch (err) {
        if (err?.status !== 404) throw err;
        // an alert stored without an incident: look it up among recent alerts
        const all = await api.getAlerts({ state: 'all', limit: 1000 });
        const a = all.find((x) => x.id === this.focusId);
        this.focus = a ? inGroup([a])[0] : null;
      }
    } else {
      try {
        this.focus = inGroup((await api.getIncident(this.focusIncident)).alerts)[0] ?? null;
      } catch (err) {
        if (err?.status !== 404 && err?.status !== 400) throw err;
        this.focus = null;
      }
    }
    this.focusMissing = !this.focus;
  }

  closeFocus() {
    this.focusId = null;
    this.focusIncident = null;
    this.focus = null;
    const p = new URLSearchParams(location.search);
    p.delete('alert');
    p.delete('incident');
    history.replaceState(null, '', `${location.pathname}${p.size ? `?${p}` : ''}${location.hash}`);
    this.render();
  }

  render(now = Date.now()) {
    const groups = groupIncidents(this.alerts);
    const status = this.root.querySelector('.as-status');
    if (this.state === 'active') {
      const crit = groups.filter((g) => g.severity === 'critical').length;
      const n = groups.length;
      status.innerHTML = `<b>${esc(t('alerts.strip.incidents', { count: n }))}</b>${crit ? ` · <span class="as-crit">${esc(t('alerts.strip.critical', { count: crit }))}</span>` : ''}`
        + (this.alerts.length > n ? ` <span class="as-count">${esc(t('alerts.strip.alertCount', { count: this.alerts.length }))}</span>` : '');
    } else status.textContent = t(STATUS_KEY[this.state]);

    const shown = this.expanded ? groups : groups.slice(0, COLLAPSED_ROWS);
    const more = this.root.querySelector('.as-more');
    more.hidden = groups.length <= COLLAPSED_ROWS || this.state !== 'active';
    more.textContent = this.expanded ? t('alerts.strip.showFewer') : t('alerts.strip.showAll', { count: groups.length });

    const rows = [];
    const hasFocus = (this.focusId || this.focusIncident) && (this.focus || this.focusMissing);
    if (hasFocus) rows.push(this.focusRow(now));
    for (const g of shown) if (g.key !== this.focus?.key) rows.push(this.row(g, now));
    this.rowsEl.innerHTML = rows.join('');
    this.rowsEl.hidden = rows.length === 0;

    const focused = this.rowsEl.querySelector('.as-focused');
    if (focused && !this.scrolled) {
      this.scrolled = true;
      focused.scrollIntoView({ block: 'nearest' });
      focused.querySelector('button')?.focus({ preventScroll: true });
    }
  }

  /** one incident (a group of alerts, incident-group.js) */
  row(g, now, extraClass = '', alertId = g.lead.id) {
    const pending = this.pending.has(g.key);
    const err = this.errors.get(g.key);
    const action = g.acked
      ? `<span class="as-acked" data-testid="strip-acked">${esc(t('alerts.strip.ackedBy', { who: g.ackedBy ?? '?' }))}${g.ackedAt ? ` · ${esc(fmtTime(g.ackedAt, now))}` : ''}</span>`
      : g.state === 'active'
        ? `<button type="button" class="ack-btn" data-testid="strip-ack" ${pending ? 'disabled' : ''}>${esc(pending ? t('alerts.acking') : t('alerts.ack'))}</button>`
        : '';
    const end = g.state === 'active' ? now : Math.max(...g.alerts.map((a) => a.clearedAt ?? now));
    const dur = span(end - g.since);
    const when = g.state === 'active' ? t('alerts.strip.since', { time: fmtTime(g.since, now), span: dur }) : t('alerts.strip.cleared', { time: fmtTime(end, now), span: dur });
    const rules = g.rules.map(ruleLabel).join(', ');
    const sensors = g.alerts.map((a) => a.sensor).filter(Boolean);
    const probes = g.probes > 1 ? `<span class="as-probes" data-testid="strip-probes">${esc(t('alerts.strip.probes', { count: g.probes }))}</span>` : '';
    return `<li class="as-row sev-${esc(g.severity)} state-${esc(g.state)}${g.acked ? ' acked' : ''}${extraClass}" data-testid="strip-alert"
        data-group="${esc(g.key)}" data-alert-id="${esc(alertId)}"${g.incidentId != null ? ` data-incident-id="${esc(g.incidentId)}"` : ''} data-state="${esc(g.state)}">
      <span class="sev sev-${esc(g.severity)}">${esc(sevText(g.severity))}</span>
      <span class="as-what"><b>${esc(this.zoneName(g.zone))}</b> · ${esc(rules)} ${probes}${sensors.length ? ` <span class="as-sensor">${esc(sensors.join(' · '))}</span>` : ''}
        <span class="as-when">${esc(when)}</span></span>
      <span class="as-action">${action}${err ? `<span class="ack-error">${esc(err)}</span>` : ''}</span>
    </li>`;
  }

  focusRow(now) {
    const close = `<button type="button" class="as-close" data-testid="strip-focus-close" aria-label="${esc(t('alerts.strip.close'))}" title="${esc(t('alerts.strip.closeTitle'))}">✕</button>`;
    const linked = this.focusId ?? t('alerts.strip.linkedIncident', { id: this.focusIncident });
    if (!this.focus) {
      const missing = this.focusId ? t('alerts.strip.missingAlert', { id: linked }) : t('alerts.strip.missingIncident', { id: linked });
      return `<li class="as-row as-focused" data-testid="strip-focus" data-alert-id="${esc(linked)}"><span class="as-what">${esc(missing)}</span>${close}</li>`;
    }
    // the group as the list has it now (acknowledged since?), else as fetched
    const g = groupIncidents(this.alerts).find((x) => x.key === this.focus.key && x.alerts.length === this.focus.alerts.length) ?? this.focus;
    const label = `<span class="as-state" data-testid="strip-focus-state">${esc(t(`alerts.state.${g.state !== 'active' ? 'cleared' : g.acked ? 'acknowledged' : 'active'}`))}</span>`;
    return this.row(g, now, ' as-focused', this.focusId ?? g.lead.id).replace('data-testid="strip-alert"', 'data-testid="strip-focus"')
      .replace('<span class="as-action">', `${label}<span class="as-action">`).replace(/<\/li>\s*$/, `${close}</li>`);
  }

  /** acknowledges one group: the whole incident in one call, or an alert that has none */
  async ack(key) {
    if (this.pending.has(key)) return;
    const g = groupIncidents(this.alerts).find((x) => x.key === key) ?? (this.focus?.key === key ? this.focus : null);
    if (!g) return;
    this.pending.add(key);
    this.errors.delete(key);
    this.render();
    try {
      const by = (localStorage.getItem(OPERATOR_KEY) || '').trim() || 'operator';
      const updated = g.incidentId != null ? (await api.ackIncident(g.incidentId, by)).alerts : [await api.ackAlert(g.lead.id, by)];
      const byId = new Map(updated.map((a) => [a.id, a]));
      this.alerts = this.alerts.map((a) => (byId.has(a.id) ? { ...a, ...byId.get(a.id) } : a));
      if (this.focus?.key === key) this.focus = groupIncidents(this.focus.alerts.map((a) => (byId.has(a.id) ? { ...a, ...byId.get(a.id) } : a)))[0];
      // the dashboard's alert list shows them at once too (app.js listens)
      for (const a of updated) document.dispatchEvent(new CustomEvent('sp:alert-acked', { detail: a }));
    } catch (err) {
      this.errors.set(key, err?.message ?? t('alerts.notAcked'));
    } finally {
      this.pending.delete(key);
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
