// The web UI's words: every string a person reads comes from a message catalogue
// (i18n/en.js, i18n/zh-CN.js), never from code. The language is, in order: ?lang= in the address,
// the person's own choice (the switch in each page header, kept in localStorage and, when signed
// in, on the server with their token so it follows them to another browser), the browser's
// languages, English. Dates and numbers follow the same choice through format.js.
import en from './i18n/en.js';
import zhCN from './i18n/zh-CN.js';
import { setLocale as setFormatLocale } from './format.js';

export const CATALOGUES = { en, 'zh-CN': zhCN };
export const LANGUAGES = [{ tag: 'en', label: 'English' }, { tag: 'zh-CN', label: '中文' }];
const KEY = 'stockpulse.lang';

/** a language tag reduced to one we have: zh, zh-Hans, zh-CN, zh-SG → zh-CN; everything else → en */
export function supported(tag) {
  if (!tag) return null;
  const t = String(tag).toLowerCase();
  if (t === 'en' || t.startsWith('en-')) return 'en';
  if (t === 'zh' || t.startsWith('zh-')) return 'zh-CN';
  return null;
}

function initial() {
  const fromUrl = typeof location === 'undefined' ? null : new URLSearchParams(location.search).get('lang');
  const stored = typeof localStorage === 'undefined' ? null : localStorage.getItem(KEY);
  const nav = typeof navigator === 'undefined' ? [] : [...(navigator.languages ?? []), navigator.language];
  for (const c of [fromUrl, stored, ...nav]) {
    const s = supported(c);
    if (s) return s;
  }
  return 'en';
}

/** dates and numbers: Chinese as zh-CN; English as the browser's own English (en-GB keeps 5 Dec) */
function formatLocaleFor(l) {
  const nav = typeof navigator === 'undefined' ? null : navigator.language;
  return l === 'en' && supported(nav) === 'en' ? nav : l;
}

let lang = initial();
setFormatLocale(formatLocaleFor(lang));
if (typeof document !== 'undefined') document.documentElement.lang = lang;

export const currentLang = () => lang;

/**
 * The text for `key` in the current language, `{name}` placeholders filled from params. With a
 * numeric params.count, `key.one` / `key.other` are tried first (Intl plural rules). A key
 * missing from the catalogue shows as the key itself (the catalogue test keeps that from shipping).
 */
export function t(key, params = {}) {
  const cat = CATALOGUES[lang] ?? en;
  let text;
  if (typeof params.count === 'number') {
    const form = new Intl.PluralRules(lang).select(params.count);
    text = cat[`${key}.${form}`] ?? cat[`${key}.other`];
  }
  text ??= cat[key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (params[name] === undefined ? m : String(params[name])));
}

/** fills text from `data-i18n` and attributes from `data-i18n-attr` ("placeholder:KEY;title:KEY") under root */
export function applyI18n(root = document) {
  for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of e.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) e.setAttribute(attr, t(key));
    }
  }
  if (root === document) {
    const title = document.querySelector('title[data-i18n]');
    if (title) document.title = t(title.dataset.i18n);
  }
}

const listeners = new Set();
/** called after the language changes (pages re-render their dynamic text) */
export const onLangChange = (fn) => listeners.add(fn);

/** switches the language for this person: stored, sent to the server when signed in, page re-rendered */
export async function chooseLang(tag, { persist = true } = {}) {
  const s = supported(tag) ?? 'en';
  lang = s;
  setFormatLocale(formatLocaleFor(s));
  document.documentElement.lang = s;
  localStorage.setItem(KEY, s);
  applyI18n();
  for (const fn of listeners) fn(s);
  if (persist) await savePreference(s);
}

async function savePreference(s) {
  const token = localStorage.getItem('stockpulse.token');
  if (!token) return;
  await fetch('/api/me/preferences', {
    method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ locale: s }),
  }).catch(() => undefined); // offline: the local choice still holds
}

/**
 * Takes the signed-in person's stored language unless the address or this browser already chose
 * one (an explicit choice here wins over the account's).
 */
export async function adoptServerPreference() {
  if (new URLSearchParams(location.search).get('lang') || localStorage.getItem(KEY)) return;
  const token = localStorage.getItem('stockpulse.token');
  if (!token) return;
  const res = await fetch('/api/me/preferences', { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
  const body = res?.ok ? await res.json().catch(() => null) : null;
  if (body?.locale && supported(body.locale) !== lang) await chooseLang(body.locale, { persist: false });
}

/** the language switch for a page header: a <select> with both languages, ≥ 44 px to tap */
export function langSwitch() {
  const sel = document.createElement('select');
  sel.className = 'lang-switch';
  sel.style.minHeight = '44px'; // a tap target on a phone (style.css belongs to every page; this rule to the switch)
  sel.dataset.testid = 'lang-switch';
  sel.setAttribute('aria-label', t('common.language'));
  for (const l of LANGUAGES) {
    const o = document.createElement('option');
    o.value = l.tag;
    o.textContent = l.label;
    o.selected = l.tag === lang;
    sel.append(o);
  }
  sel.addEventListener('change', () => chooseLang(sel.value));
  onLangChange(() => { sel.value = lang; sel.setAttribute('aria-label', t('common.language')); });
  return sel;
}

/** fills the page's static text, puts the switch into `[data-lang-slot]` and adopts the account's language */
export function initPage() {
  applyI18n();
  for (const slot of document.querySelectorAll('[data-lang-slot]')) slot.replaceChildren(langSwitch());
  adoptServerPreference();
}
