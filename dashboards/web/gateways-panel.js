// The gateway registry (GET/POST /api/gateways, POST /api/gateways/:id/revoke — admin only):
// each gateway with its site, credential generation and prefix, what it owns and when it was last
// heard; Add shows the new credential ONCE (it is the gateway's MQTT password; the cloud keeps
// only its hash); Revoke asks first. For any other role the panel stays hidden.

// Words from i18n/ops-panels.*.js (panels.gateways.*); the form and the rows are drawn again on
// a language switch (a credential on screen stays: it is shown once).

import { call } from './panel-http.js';
import { esc, fmtTime } from './format.js';
import { onLangChange, t } from './i18n.js';

/** a catalogue sentence as HTML with some placeholders filled by markup (already escaped) */
const tHtml = (key, html) => esc(t(key)).replace(/\{(\w+)\}/g, (m, name) => html[name] ?? m);

const STYLE = `
.gateways-panel .gw-rows { list-style: none; margin: 0; padding: 0 10px 8px; font-size: 13px; }
.gateways-panel .gw-rows li { display: grid; grid-template-columns: minmax(0, 1fr) auto; align-items: center; gap: 2px 8px; padding: 6px 0; border-bottom: 1px solid var(--line, #2a3140); }
.gateways-panel .g-name { font-weight: 600; }
.gateways-panel .g-meta { grid-column: 1 / -1; color: var(--muted, #8a93a6); font-size: 12px; }
.gateways-panel .g-revoked { color: #f85149; font-weight: 700; text-transform: uppercase; font-size: 11px; }
.gateways-panel form { display: flex; flex-wrap: wrap; gap: 6px; padding: 6px 10px; font-size: 12px; }
.gateways-panel form input { width: 9em; }
.gateways-panel .g-secret { margin: 0 10px 8px; padding: 6px; font-size: 12px; border: 1px solid #d29922; word-break: break-all; }
.gateways-panel .g-error { color: #f85149; padding: 0 10px; font-size: 12px; }
.gateways-panel button { font-size: 12px; }`;



export class GatewaysPanel {
  /** @param {HTMLElement|null} root the panel <section> */
  constructor(root) {
    this.root = root;
    this.gateways = [];
    if (!root) return;
    if (!document.getElementById('gateways-panel-style')) {
      const s = document.createElement('style');
      s.id = 'gateways-panel-style';
      s.textContent = STYLE;
      document.head.appendChild(s);
    }
    root.innerHTML = `<header class="box-head-row"><h2></h2><span class="count" data-role="summary"></span></header>
      <form data-testid="gateway-add" autocomplete="off">
        <input name="id" required pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}" spellcheck="false">
        <input name="site" spellcheck="false">
        <button type="submit"></button>
      </form>
      <div data-role="secret"></div><div class="g-error" data-role="error"></div>
      <ul class="gw-rows" data-testid="gateway-rows"></ul>`;
    root.querySelector('form').addEventListener('submit', (e) => { e.preventDefault(); void this.add(e.target); });
    root.addEventListener('click', (e) => {
      const btn = e.target.closest('button[data-revoke]');
      if (btn && confirm(t('panels.gateways.confirmRevoke', { id: btn.dataset.revoke }))) void this.revoke(btn.dataset.revoke);
    });
    this.relabel();
    onLangChange(() => this.relabel());
  }

  /** the static words (heading, placeholders, button), then the rows again */
  relabel() {
    this.root.querySelector('h2').textContent = t('panels.gateways.heading');
    const form = this.root.querySelector('form');
    form.elements.id.placeholder = t('panels.gateways.idPlaceholder');
    form.elements.site.placeholder = t('panels.gateways.sitePlaceholder');
    form.querySelector('button').textContent = t('panels.gateways.add');
    if (this.said) this.say(...this.said);
    if (this.failure) this.showFailure();
    else if (this.loaded) this.render();
  }

  showFailure() {
    this.root.querySelector('.gw-rows').innerHTML = `<li class="empty">${esc(t('panels.gateways.unavailable', { reason: this.failure }))}</li>`;
  }

  async refresh(now = Date.now()) {
    if (!this.root) return;
    try {
      this.gateways = await call('GET', '/api/gateways');
      this.root.hidden = false;
      this.loaded = true;
      this.failure = null;
      this.render(now);
    } catch (err) {
      if (err.unreachable) throw err;
      if (err.status === 403 || err.status === 401) this.root.hidden = true;   // admin only
      else {
        this.failure = err.message;
        this.showFailure();
      }
    }
  }

  async add(form) {
    const id = form.elements.id.value.trim();
    const site = form.elements.site.value.trim();
    this.say();
    try {
      const g = await call('POST', '/api/gateways', { id, ...(site ? { site } : {}) });
      form.reset();
      this.root.querySelector('[data-role=secret]').innerHTML = `<div class="g-secret" data-testid="gateway-credential">
        ${tHtml('panels.gateways.credential', { id: `<b>${esc(g.id)}</b>`, username: esc(g.id) })}<br><code>${esc(g.credential)}</code></div>`;
    } catch (err) {
      this.say('panels.gateways.notAdded', { reason: err.message });
    }
    await this.refresh().catch(() => this.render());
  }

  async revoke(id) {
    this.say();
    try {
      await call('POST', `/api/gateways/${encodeURIComponent(id)}/revoke`, {});
    } catch (err) {
      this.say('panels.gateways.notRevoked', { reason: err.message });
    }
    await this.refresh().catch(() => this.render());
  }

  /** the answer to the last Add / Revoke (none: cleared), kept as a key so a language switch rewrites it */
  say(key, params) {
    this.said = key ? [key, params] : null;
    this.root.querySelector('[data-role=error]').textContent = key ? t(key, params) : '';
  }

  render(now = Date.now()) {
    const list = this.root.querySelector('.gw-rows');
    const live = this.gateways.filter((g) => !g.revokedAt).length;
    this.root.querySelector('[data-role=summary]').textContent = t('panels.gateways.registered', { count: live });
    if (!this.gateways.length) return void (list.innerHTML = `<li class="empty">${esc(t('panels.gateways.empty'))}</li>`);
    list.innerHTML = this.gateways.map((g) => {
      const meta = [
        t('panels.gateways.site', { site: g.site ?? t('panels.gateways.firstManifest') }),
        t('panels.gateways.credentialNo', { generation: g.generation, prefix: g.prefix }),
        t('panels.gateways.owns', { zones: g.zones.length, sensors: g.sensors.length }),
        g.lastSeen ? t('panels.gateways.seen', { time: fmtTime(g.lastSeen, now) }) : t('panels.gateways.neverSeen'),
      ].join(' · ');
      return `<li data-testid="gateway-row" data-gateway="${esc(g.id)}">
        <span class="g-name">${esc(g.id)}</span>
        <span>${g.revokedAt ? `<span class="g-revoked">${esc(t('panels.gateways.revoked'))}</span> ${esc(fmtTime(g.revokedAt, now))}` : `<button type="button" data-revoke="${esc(g.id)}" data-testid="gateway-revoke">${esc(t('panels.gateways.revoke'))}</button>`}</span>
        <span class="g-meta">${esc(meta)}</span>
      </li>`;
    }).join('');
  }
}
