// The dashboard's API token. It arrives once in the URL fragment (`/#token=sp_…`, printed by
// `stockpulse demo`; a fragment never reaches the server or its logs), is kept in localStorage,
// and goes out as `Authorization: Bearer …` on every API call. Without one (or after a 401) a
// small box asks for it.

import { esc } from './format.js';
import { t } from './i18n.js';

const KEY = 'stockpulse.token';

function fromFragment() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m) return;
  localStorage.setItem(KEY, decodeURIComponent(m[1]));
  // drop it from the address bar (and from bookmarks and screenshots)
  const rest = location.hash.replace(/(^#|&)token=[^&]+/, '').replace(/^#&?/, '');
  history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
}
fromFragment();

export const getToken = () => localStorage.getItem(KEY);

/** keeps a pasted token and reloads so every panel asks again with it */
export function setToken(token) {
  localStorage.setItem(KEY, token.trim());
  location.reload();
}

export function authHeader() {
  const t = getToken();
  return t ? { authorization: `Bearer ${t}` } : {};
}

let asked = false;
/** Shows the token box once per page (a 401 from any call lands here). */
export function askForToken(reason) {
  if (asked || typeof document === 'undefined') return;
  // pages with the alert strip (alert-strip.js) offer sign-in there, in the page flow
  if (document.querySelector('[data-testid=alert-strip]')) return;
  asked = true;
  const box = document.createElement('form');
  box.className = 'token-box';
  box.dataset.testid = 'token-box';
  box.innerHTML = `<strong>${esc(t('dash.token.needed'))}</strong><span></span>
    <input name="token" type="password" autocomplete="off" placeholder="sp_…" required size="40">
    <button type="submit">${esc(t('dash.token.use'))}</button>
    <small>${esc(t('dash.token.create'))} <code>stockpulse token create --role viewer --name NAME</code></small>`;
  box.querySelector('span').textContent = reason ?? '';
  box.style.cssText = 'position:fixed;top:1rem;right:1rem;z-index:1000;display:flex;flex-direction:column;gap:.4rem;padding:1rem;background:#1e2430;color:#e6e9ef;border:1px solid #f5a623;border-radius:6px;max-width:26rem;font:14px system-ui';
  box.addEventListener('submit', (e) => {
    e.preventDefault();
    localStorage.setItem(KEY, new FormData(box).get('token').trim());
    location.reload();
  });
  document.body.append(box);
}
