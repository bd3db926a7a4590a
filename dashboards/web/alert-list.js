// Alert list: active alarms first, grouped by incident (cloud/notify/incidents.ts: the alerts of
// one zone event, e.g. every probe of a failed chiller, with one Acknowledge for the incident and
// the per-probe detail inside; critical first, then newest), then info records still running (a
// defrost: a record, not an alarm, so never under Active), then recently cleared. Rows are keyed
// by alert id and updated in place, so a refresh never swallows an Acknowledge click or resets
// scroll.

import { esc, fmtTime } from './format.js';
import { span } from './dash-words.js';
import { applyI18n, t } from './i18n.js';
import * as api from './api.js';
import { groupIncidents, SEV_RANK } from './incident-group.js';

/** a rule as words (alerts.rule.* in the catalogues); a rule the page does not know shows as its id */
export function ruleLabel(rule) {
  const k = t(`alerts.rule.${rule}`);
  return k === `alerts.rule.${rule}` ? rule : k;
}

/** a severity as the badge says it: CRITICAL / 严重 (an unknown one in capitals, as before) */
export function sevText(sev) {
  const k = t(`alerts.sev.${sev}`);
  return k === `alerts.sev.${sev}` ? String(sev).toUpperCase() : k;
}
const OPERATOR_KEY = 'stockpulse.operator';

/** active alarms, info records still running (not alarms: never counted as active), and cleared */
export function sortAlerts(alerts) {
  const open = alerts.filter((a) => a.state === 'active');
  const active = open.filter((a) => a.severity !== 'info');
  const records = open.filter((a) => a.severity === 'info');
  const cleared = alerts.filter((a) => a.state !== 'active');
  active.sort((a, b) => (SEV_RANK[b.severity] ?? 0) - (SEV_RANK[a.severity] ?? 0) || b.raisedAt - a.raisedAt);
  records.sort((a, b) => b.raisedAt - a.raisedAt);
  cleared.sort((a, b) => (b.clearedAt ?? b.raisedAt) - (a.clearedAt ?? a.raisedAt));
  return { active, records, cleared };
}

export class AlertList {
  /** @param {HTMLElement} root  @param {{onAck:(id:string)=>Promise<object>, zoneName:(id:string)=>string}} deps */
  constructor(root, deps) {
    this.root = root;
    this.deps = deps;
    this.rows = new Map(); // id -> {el, alert}
    this.groups = new Map(); // incident key -> {el, pending, error}
    root.innerHTML = `
      <p class="empty list-status" data-testid="alert-list-status" data-i18n="alerts.strip.loading"></p>
      <h3 class="list-head"><span data-i18n="alerts.list.active"></span> <span class="count active-count">–</span></h3>
      <ol class="alert-rows active-rows" data-testid="active-alerts"></ol>
      <p class="empty active-empty" hidden data-i18n="alerts.strip.empty"></p>
      <h3 class="list-head records-head" hidden><span data-i18n="alerts.list.records"></span> <small data-i18n="alerts.list.notAlarms"></small></h3>
      <ol class="alert-rows record-rows" data-testid="record-alerts" hidden></ol>
      <h3 class="list-head" data-i18n="alerts.list.cleared"></h3>
      <ol class="alert-rows cleared-rows"></ol>
      <p class="empty cleared-empty" hidden data-i18n="alerts.list.noneCleared"></p>`;
    applyI18n(root);
    this.activeEl = root.querySelector('.active-rows');
    this.recordsEl = root.querySelector('.record-rows');
    this.clearedEl = root.querySelector('.cleared-rows');
    root.addEventListener('click', (e) => {
      const inc = e.target.closest('[data-testid="incident-ack"]');
      if (inc) return void this.ackIncident(inc.closest('[data-testid="incident-group"]').dataset.group);
      const btn = e.target.closest('[data-testid="ack-button"]');
      if (btn) this.ack(btn.closest('[data-testid="alert-row"]').dataset.alertId, btn);
    });
  }

  /** Before the first answer, or when the alerts cannot be had (not signed in, server down):
   *  says so in words instead of showing an empty list as if it were data. */
  showStatus(text) {
    const st = this.root.querySelector('.list-status');
    delete st.dataset.i18n; // the words given here, not the catalogue's "Loading…" again on a language change
    st.textContent = text;
    st.hidden = false;
    if (!this.loaded) for (const s of this.root.querySelectorAll('.list-head, .empty:not(.list-status)')) s.hidden = true;
  }

  /** @param {object[]} alerts active + recent cleared (deduplicated by id) */
  render(alerts, now = Date.now(), clearedLimit = 15) {
    if (this.lang !== document.documentElement.lang) {
      // another language: every row and group header is written again, not only the changed ones
      this.lang = document.documentElement.lang;
      for (const r of this.rows.values()) delete r.el.querySelector('.ar-ack').dataset.key;
      for (const gr of this.groups.values()) delete gr.el.querySelector('.ig-ack').dataset.key;
    }
    this.loaded = true;
    this.root.querySelector('.list-status').hidden = true;
    for (const h of this.root.querySelectorAll('.list-head:not(.records-head)')) h.hidden = false;
    const { active, records, cleared } = sortAlerts(alerts);
    const shown = [...active, ...records, ...cleared.slice(0, clearedLimit)];
    const keep = new Set(shown.map((a) => a.id));
    for (const [id, r] of this.rows) if (!keep.has(id)) (r.el.remove(), this.rows.delete(id));
    // Active: one entry per incident; an incident of several alerts is a group with its own
    // Acknowledge and the per-probe rows inside. appendChild moves existing nodes: order is fixed
    // without rebuilding them.
    const groups = groupIncidents(active);
    const used = new Set();
    for (const g of groups) {
      if (g.alerts.length === 1) { this.activeEl.appendChild(this.row(g.lead, now)); continue; }
      used.add(g.key);
      const el = this.group(g, now);
      const inner = el.querySelector('.incident-alerts');
      for (const a of g.alerts) inner.appendChild(this.row(a, now));
      this.activeEl.appendChild(el);
    }
    for (const [k, gr] of this.groups) if (!used.has(k)) (gr.el.remove(), this.groups.delete(k));
    for (const a of records) this.recordsEl.appendChild(this.row(a, now));
    this.recordsEl.hidden = records.length === 0;
    this.root.querySelector('.records-head').hidden = records.length === 0;
    for (const a of cleared.slice(0, clearedLimit)) this.clearedEl.appendChild(this.row(a, now));
    // the count is of incidents (what needs a person), the alerts inside are detail
    this.root.querySelector('.active-count').textContent = String(groups.length);
    this.root.querySelector('.active-count').classList.toggle('hot', active.some((a) => a.severity === 'critical'));
    this.root.querySelector('.active-empty').hidden = active.length > 0;
    this.root.querySelector('.cleared-empty').hidden = cleared.length > 0;
  }

  /** an incident of several alerts: a header (severity, zone, probes, since, Acknowledge) over its alert rows */
  group(g, now) {
    let gr = this.groups.get(g.key);
    if (!gr) {
      const el = document.createElement('li');
      el.dataset.testid = 'incident-group';
      el.dataset.group = g.key;
      el.innerHTML = `
        <div class="ig-head"><span class="sev"></span><span class="ig-what"></span><span class="ig-ack"></span></div>
        <ol class="alert-rows incident-alerts"></ol>`;
      gr = { el, pending: false, error: null, g };
      this.groups.set(g.key, gr);
    }
    gr.g = g;
    const { el } = gr;
    el.className = `incident-group sev-${g.severity}${g.acked ? ' acked' : ''}`;
    if (g.incidentId != null) el.dataset.incidentId = String(g.incidentId);
    const sev = el.querySelector('.sev');
    sev.textContent = sevText(g.severity);
    sev.className = `sev sev-${g.severity}`;
    el.querySelector('.ig-what').innerHTML = `<b>${esc(this.deps.zoneName(g.zone))}</b> · ${esc(t('alerts.group.incident'))}${g.incidentId != null ? ` #${esc(g.incidentId)}` : ''}`
      + ` · <span data-testid="incident-probes">${esc(t('alerts.group.probes', { count: g.probes }))}</span>, ${esc(t('alerts.group.alerts', { count: g.alerts.length }))}`
      + ` · ${esc(t('alerts.group.since'))} <b>${esc(fmtTime(g.since, now))}</b>`;
    const ack = el.querySelector('.ig-ack');
    const key = `${g.acked}|${g.ackedBy ?? ''}|${gr.pending}|${gr.error ?? ''}`;
    if (ack.dataset.key !== key) {
      ack.dataset.key = key;
      ack.innerHTML = g.acked
        ? `<span class="acked-by" data-testid="incident-acked">✓ ${esc(g.ackedBy ?? '?')}${g.ackedAt ? ` · ${esc(fmtTime(g.ackedAt, now))}` : ''}</span>`
        : `<button type="button" class="ack-btn" data-testid="incident-ack" ${gr.pending ? 'disabled' : ''}>${esc(gr.pending ? t('alerts.acking') : t('alerts.ackAll'))}</button>${gr.error ? `<span class="ack-error">${esc(gr.error)}</span>` : ''}`;
    }
    return el;
  }

  async ackIncident(key) {
    const gr = this.groups.get(key);
    if (!gr || gr.pending || gr.g.incidentId == null) return;
    gr.pending = true;
    gr.error = null;
    this.group(gr.g, Date.now());
    try {
      const by = (localStorage.getItem(OPERATOR_KEY) || '').trim() || 'operator';
      const inc = await api.ackIncident(gr.g.incidentId, by);
      gr.pending = false;
      for (const a of inc.alerts) this.upsert(a);
      gr.g = groupIncidents(gr.g.alerts.map((a) => inc.alerts.find((x) => x.id === a.id) ?? a))[0];
    } catch (err) {
      gr.pending = false;
      gr.error = err?.message ?? t('alerts.failed');
    }
    this.group(gr.g, Date.now());
  }

  row(a, now) {
    let r = this.rows.get(a.id);
    if (!r) {
      const el = document.createElement('li');
      el.dataset.testid = 'alert-row';
      el.dataset.alertId = a.id;
      el.innerHTML = `
        <div class="ar-line1"><span class="sev"></span><span class="ar-where"></span><span class="ar-duration" data-i18n-attr="title:alerts.list.duration"></span></div>
        <div class="ar-line2"><span class="ar-rule"></span><span class="ar-message"></span></div>
        <div class="ar-line3"><span class="ar-times"></span><span class="ar-ack"></span></div>`;
      applyI18n(el);
      r = { el, alert: null, pending: false };
      this.rows.set(a.id, r);
    }
    // A pending ack keeps its optimistic state until the POST answers.
    if (r.pending) a = { ...a, ackedAt: r.alert?.ackedAt, ackedBy: r.alert?.ackedBy };
    r.alert = a;
    this.fill(r, now);
    return r.el;
  }

  fill(r, now = Date.now()) {
    const a = r.alert;
    const { el } = r;
    el.className = `alert-row sev-${a.severity} state-${a.state}${a.ackedAt ? ' acked' : ''}`;
    const q = (s) => el.querySelector(s);
    q('.sev').textContent = sevText(a.severity);
    q('.sev').className = `sev sev-${a.severity}`;
    const zone = this.deps.zoneName(a.zone);
    q('.ar-where').innerHTML = `<b>${esc(zone)}</b>${a.sensor ? ` · <span class="ar-sensor">${esc(a.sensor)}</span>` : ''}`;
    q('.ar-rule').textContent = ruleLabel(a.rule);
    const end = a.clearedAt ?? now;
    q('.ar-duration').textContent = span(end - (a.raisedAt ?? a.since));
    // the message is the server's sentence (English): shown as it comes
    q('.ar-message').textContent = a.message;
    q('.ar-times').innerHTML = `${esc(t('alerts.list.raised'))} <b>${esc(fmtTime(a.raisedAt, now))}</b>${a.clearedAt ? ` · ${esc(t('alerts.list.clearedAt'))} <b>${esc(fmtTime(a.clearedAt, now))}</b>` : a.state === 'active' ? ` · <em>${esc(t('alerts.list.ongoing'))}</em>` : ''}`;

    const ack = q('.ar-ack');
    const key = `${a.ackedAt ?? ''}|${a.ackedBy ?? ''}|${r.pending}|${r.error ?? ''}`;
    if (ack.dataset.key === key) return;
    ack.dataset.key = key;
    if (a.ackedAt || a.ackedBy) {
      ack.innerHTML = `<span class="acked-by" data-testid="acked-by">✓ ${esc(a.ackedBy ?? '?')} · ${esc(fmtTime(a.ackedAt, now))}</span>`;
    } else {
      ack.innerHTML = `<span class="acked-by" data-testid="acked-by"></span><button type="button" class="ack-btn" data-testid="ack-button" ${r.pending ? 'disabled' : ''}>${esc(r.pending ? t('alerts.acking') : t('alerts.ack'))}</button>${r.error ? `<span class="ack-error">${esc(r.error)}</span>` : ''}`;
    }
  }

  async ack(id, btn) {
    const r = this.rows.get(id);
    if (!r || r.pending) return;
    r.pending = true;
    r.error = null;
    btn.disabled = true;
    this.fill(r);
    try {
      const updated = await this.deps.onAck(id);
      r.pending = false;
      r.alert = { ...r.alert, ...updated };
    } catch (err) {
      r.pending = false;
      r.error = err?.message ?? t('alerts.failed');
    }
    this.fill(r);
  }

  /** Apply an alert returned by the API (e.g. after ack) without waiting for the next poll. */
  upsert(alert) {
    const r = this.rows.get(alert.id);
    if (r) ((r.alert = { ...r.alert, ...alert }), this.fill(r));
  }
}
