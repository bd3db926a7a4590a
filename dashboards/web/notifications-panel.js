// Notifications: who was told about each alert, on which channel, and whether it arrived
// (GET /api/notifications/deliveries). Two views of the same data:
//  - a line under every alert row of the alert list ("alice ✓ wecom email · bob ✗ dingtalk"),
//    added next to the rows alert-list.js renders (it never rebuilds a row, so the line stays);
//  - a panel with the latest deliveries, their stage (first notice, escalation, reminder,
//    all clear), status, attempts and last error.
// Below them, the contacts (GET /api/notify/contacts: QA, warehouse and admin see them) with the
// language each one's notifications are written in, which QA and admin change in place
// (PUT /api/notify/contacts/:id) or set when adding a contact (POST /api/notify/contacts).
// Addresses arrive masked from the API; nothing secret reaches the browser (a contact saved back
// with its masked addresses keeps the stored ones: the server's rule, contacts.ts).
// Words from i18n/ops-panels.*.js (panels.notify.*); everything is redrawn on a language switch.

import { call } from './panel-http.js';
import { esc, fmtTime } from './format.js';
import { LANGUAGES, onLangChange, t } from './i18n.js';

const STATUS_MARK = { sent: '✓', pending: '…', failed: '✗', cancelled: '–' };
/** the roles a contact may have (cloud/auth/permissions.ts ROLES, less the device tokens' role) */
const CONTACT_ROLES = ['qa', 'warehouse', 'purchasing', 'sales', 'finance', 'admin', 'viewer'];

const STYLE = `
.ar-notify { font-size: 12px; color: var(--muted, #8a93a6); margin-top: 2px; }
.ar-notify .n-sent { color: #3fb950; } .ar-notify .n-failed { color: #f85149; } .ar-notify .n-pending { color: #d29922; }
.notifications-panel .delivery-rows { list-style: none; margin: 0; padding: 0 10px 8px; max-height: 260px; overflow: auto; font-size: 13px; }
.notifications-panel .delivery-rows li { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 0 8px; padding: 4px 0; border-bottom: 1px solid var(--line, #2a3140); }
.notifications-panel .delivery-rows li > span:first-child { overflow-wrap: anywhere; }
.notifications-panel .d-status { font-weight: 700; text-transform: uppercase; font-size: 11px; }
.notifications-panel .d-sent { color: #3fb950; } .notifications-panel .d-failed { color: #f85149; } .notifications-panel .d-pending { color: #d29922; } .notifications-panel .d-cancelled { color: #8a93a6; }
.notifications-panel .d-error { grid-column: 1 / -1; color: #f85149; font-size: 12px; overflow-wrap: anywhere; }
.notifications-panel .n-contacts h3 { font-size: 13px; margin: 6px 10px 2px; }
.notifications-panel .contact-rows { list-style: none; margin: 0; padding: 0 10px 4px; font-size: 13px; }
.notifications-panel .contact-rows li { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 4px 8px; padding: 4px 0; border-bottom: 1px solid var(--line, #2a3140); }
.notifications-panel .contact-rows .c-who { min-width: 0; overflow-wrap: anywhere; }
.notifications-panel .contact-rows .c-lang { font-size: 12px; color: var(--muted, #8a93a6); }
@media (min-width: 701px) { .notifications-panel select, .notifications-panel input, .notifications-panel button { font-size: 12px; min-height: 32px; } }
.notifications-panel form { display: flex; flex-wrap: wrap; gap: 6px; padding: 6px 10px; }
.notifications-panel form input { flex: 1 1 8em; min-width: 0; }
.notifications-panel .n-said { padding: 0 10px 6px; font-size: 12px; color: var(--muted, #8a93a6); }
.notifications-panel .n-said.bad { color: #f85149; }`;

const getDeliveries = (alertIds, limit) => {
  const q = new URLSearchParams({ limit: String(limit) });
  if (alertIds?.length) q.set('alert', alertIds.join(','));
  return call('GET', `/api/notifications/deliveries?${q}`);
};

/** a word of a family (panels.notify.status.*, .stage.*, .channel.*, .who.*), or the value itself when the catalogue has none */
const word = (family, value) => {
  const key = `panels.notify.${family}.${value}`;
  const text = t(key);
  return text === key ? String(value) : text;
};
const languageName = (tag) => LANGUAGES.find((l) => l.tag === tag)?.label ?? tag;
const languageOptions = (chosen) => LANGUAGES.map((l) => `<option value="${esc(l.tag)}"${l.tag === chosen ? ' selected' : ''}>${esc(l.label)}</option>`).join('');

/** "alice ✓ wecom email · bob ✗ dingtalk": per contact (in order first notified), channels by status */
export function summarise(deliveries) {
  const people = new Map();
  for (const d of [...deliveries].sort((a, b) => a.id - b.id)) {
    const who = d.contact?.name ?? word('who', d.channel === 'mqtt' ? 'mqtt' : 'webhook');
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
    this.forAlerts = [];
    this.latest = null;
    this.contacts = null;
    this.canEdit = false;
    if (!document.getElementById('notifications-panel-style')) {
      const s = document.createElement('style');
      s.id = 'notifications-panel-style';
      s.textContent = STYLE;
      document.head.appendChild(s);
    }
    if (root) {
      root.innerHTML = `<header class="box-head-row"><h2></h2><span class="count" data-role="summary"></span></header>
        <ol class="delivery-rows" data-testid="delivery-rows"></ol>
        <section class="n-contacts" data-testid="contacts" hidden>
          <h3></h3>
          <ul class="contact-rows" data-testid="contact-rows"></ul>
          <form data-testid="contact-add" autocomplete="off" hidden>
            <input name="name" required maxlength="100" spellcheck="false">
            <select name="role"></select>
            <select name="locale" data-testid="contact-add-locale"></select>
            <input name="email" type="email" spellcheck="false">
            <button type="submit"></button>
          </form>
          <div class="n-said" data-role="contact-said" data-testid="contact-said"></div>
        </section>`;
      root.querySelector('form').addEventListener('submit', (e) => { e.preventDefault(); void this.addContact(e.target); });
      root.addEventListener('change', (e) => {
        const sel = e.target.closest('select[data-contact-locale]');
        if (sel) void this.setLocale(Number(sel.dataset.contactLocale), sel.value);
      });
    }
    this.relabel();
    onLangChange(() => this.relabel());
  }

  /** the words that do not come from data, then every row again from what is on screen */
  relabel() {
    this.decorateAlerts(this.forAlerts);
    if (!this.root) return;
    this.root.querySelector('h2').textContent = t('panels.notify.heading');
    this.root.querySelector('.n-contacts h3').textContent = t('panels.notify.contacts');
    const form = this.root.querySelector('form');
    form.elements.name.placeholder = t('panels.notify.contactName');
    form.elements.name.setAttribute('aria-label', t('panels.notify.contactName'));
    form.elements.email.placeholder = t('panels.notify.contactEmail');
    form.elements.email.setAttribute('aria-label', t('panels.notify.contactEmail'));
    const role = form.elements.role.value || 'qa';
    form.elements.role.innerHTML = CONTACT_ROLES.map((r) => `<option value="${r}"${r === role ? ' selected' : ''}>${esc(t(`role.${r}`))}</option>`).join('');
    form.elements.role.setAttribute('aria-label', t('panels.notify.contactRole'));
    form.elements.locale.innerHTML = languageOptions(form.elements.locale.value || 'zh-CN');
    form.elements.locale.setAttribute('aria-label', t('panels.notify.contactLocale'));
    form.querySelector('button').textContent = t('panels.notify.addContact');
    if (this.said) this.say(...this.said);
    if (this.failure) this.showFailure();
    else if (this.latest) this.render(this.latest);
    if (this.contacts) this.renderContacts();
  }

  /** Fetches the deliveries of the alerts on screen; rethrows "cloud unreachable" like the other panels. */
  async refresh(now = Date.now()) {
    const ids = [...this.alertsRoot.querySelectorAll('[data-testid="alert-row"]')].map((el) => el.dataset.alertId).slice(0, 100);
    try {
      const [forAlerts, latest] = await Promise.all([
        ids.length ? getDeliveries(ids, 1000) : { deliveries: [] },
        this.root ? getDeliveries(null, 30) : { deliveries: [] },
      ]);
      this.forAlerts = forAlerts.deliveries;
      this.failure = null;
      this.decorateAlerts(this.forAlerts);
      this.render(latest.deliveries, now);
    } catch (err) {
      if (err.unreachable) throw err;
      this.failure = err.message;
      this.showFailure();
    }
    if (this.root) await this.refreshContacts();
  }

  showFailure() {
    if (this.root) this.root.querySelector('.delivery-rows').innerHTML = `<li class="empty">${esc(t('panels.notify.unavailable', { reason: this.failure }))}</li>`;
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
      const people = summarise(list).map((p) => `${esc(p.who)} ${[...p.channels].map(([ch, st]) =>
        `<span class="n-${esc(st)}" title="${esc(word('status', st))}">${STATUS_MARK[st] ?? '?'} ${esc(word('channel', ch))}</span>`).join(' ')}`).join(' · ');
      // the sentence around the list is the catalogue's; the list is markup of escaped data
      const html = list.length ? esc(t('panels.notify.notified')).replace('{people}', () => people) : '';
      if (line.innerHTML !== html) line.innerHTML = html;
    }
  }

  render(deliveries, now = Date.now()) {
    if (!this.root) return;
    this.latest = deliveries;
    const failed = deliveries.filter((d) => d.status === 'failed').length;
    const summary = this.root.querySelector('[data-role=summary]');
    summary.textContent = failed ? t('panels.notify.failedCount', { count: failed }) : deliveries.length ? t('panels.notify.recent', { count: deliveries.length }) : '';
    summary.classList.toggle('hot', failed > 0);
    const list = this.root.querySelector('.delivery-rows');
    if (!deliveries.length) return void (list.innerHTML = `<li class="empty">${esc(t('panels.notify.empty'))}</li>`);
    list.innerHTML = deliveries.map((d) => {
      const stage = word('stage', d.stage);
      const level = d.stage === 'escalated' ? ` L${d.level}` : '';
      const last = d.attemptLog?.at(-1);
      return `<li data-testid="delivery-row" data-status="${esc(d.status)}">
        <span><b>${esc(d.contact?.name ?? d.target)}</b> · ${esc(word('channel', d.channel))} · ${esc(stage)}${level} · <span class="muted">${esc(d.alertId)}</span></span>
        <span><span class="d-status d-${esc(d.status)}">${esc(word('status', d.status))}</span> ${d.attempts > 1 ? `×${d.attempts}` : ''} ${esc(fmtTime(d.sentAt ?? last?.at ?? d.createdAt, now))}</span>
        ${d.lastError && d.status !== 'sent' ? `<span class="d-error">${esc(d.lastError)}</span>` : ''}
      </li>`;
    }).join('');
  }

  // ---- contacts and their language ----------------------------------------------------------

  async refreshContacts() {
    const section = this.root.querySelector('.n-contacts');
    try {
      if (this.may === undefined) {
        const me = await call('GET', '/api/me');
        this.may = me.may ?? {};
      }
      this.canEdit = Boolean(this.may['PUT /api/notify/contacts/:id']);
      this.root.querySelector('form').hidden = !this.may['POST /api/notify/contacts'];
      const contacts = await call('GET', '/api/notify/contacts');
      section.hidden = false;
      // redrawn only when they changed: a language list someone has open stays open across polls
      if (JSON.stringify(contacts) === JSON.stringify(this.contacts)) return;
      this.contacts = contacts;
      this.renderContacts();
    } catch (err) {
      if (err.unreachable) throw err;
      // a role that may not see the contacts (sales, viewer…) does not get the section at all
      section.hidden = true;
    }
  }

  renderContacts() {
    const list = this.root.querySelector('.contact-rows');
    if (!this.contacts.length) return void (list.innerHTML = `<li class="empty">${esc(t('panels.notify.contactsEmpty'))}</li>`);
    list.innerHTML = this.contacts.map((c) => {
      const channels = c.channels.map((ch) => word('channel', ch.type)).join(', ');
      const what = [t(`role.${c.role}`), channels, c.active ? '' : t('panels.notify.inactive')].filter(Boolean).join(' · ');
      const label = t('panels.notify.contactLanguage', { name: c.name });
      const lang = this.canEdit
        ? `<select data-contact-locale="${c.id}" data-testid="contact-locale" aria-label="${esc(label)}" title="${esc(label)}">${languageOptions(c.locale)}</select>`
        : `<span class="c-lang" title="${esc(label)}">${esc(languageName(c.locale))}</span>`;
      return `<li data-testid="contact-row" data-contact="${c.id}" data-locale="${esc(c.locale)}">
        <span class="c-who"><b>${esc(c.name)}</b> <span class="muted">${esc(what)}</span></span>${lang}
      </li>`;
    }).join('');
  }

  /** the answer to the last contact change, kept as a key so a language switch rewrites it */
  say(key, params, bad = false) {
    this.said = key ? [key, params, bad] : null;
    const el = this.root.querySelector('[data-role=contact-said]');
    el.textContent = key ? t(key, params) : '';
    el.classList.toggle('bad', bad);
  }

  /** the contact saved back as the API showed it, with another language */
  async setLocale(id, locale) {
    const c = this.contacts?.find((x) => x.id === id);
    if (!c) return;
    try {
      const saved = await call('PUT', `/api/notify/contacts/${id}`, {
        name: c.name, role: c.role, mobile: c.mobile ?? null, channels: c.channels, active: c.active, locale,
      });
      Object.assign(c, saved);
      this.say('panels.notify.contactSaved', { name: c.name, language: languageName(saved.locale) });
    } catch (err) {
      this.say('panels.notify.contactNotSaved', { reason: err.message }, true);
    }
    this.renderContacts();
  }

  async addContact(form) {
    const name = form.elements.name.value.trim();
    const email = form.elements.email.value.trim();
    try {
      const c = await call('POST', '/api/notify/contacts', {
        name, role: form.elements.role.value, locale: form.elements.locale.value,
        channels: email ? [{ type: 'email', address: email }] : [],
      });
      form.elements.name.value = '';
      form.elements.email.value = '';
      this.contacts = [...(this.contacts ?? []), c];
      this.say('panels.notify.contactAdded', { name: c.name });
      this.renderContacts();
    } catch (err) {
      this.say('panels.notify.contactNotSaved', { reason: err.message }, true);
    }
  }
}
