// The documents page: one address per view (#/purchase-orders, #/purchase-orders/12,
// #/purchase-orders/new, #/movements), so a task links straight to its document. The tabs and
// create buttons are those the API says the caller's role may use (/api/document-abilities); a
// document's buttons are its `may` list (GET /api/{type}/:id), never a rule copied here.
import { initPage, onLangChange, t } from './i18n.js';
import { call, el } from './doc-common.js';
import { fmtDateTime } from './format.js';
import { renderDocument } from './doc-view.js';
import { renderCreate } from './doc-create.js';
import { renderMovements } from './doc-movements.js';

const TYPES = ['purchase-orders', 'sales-orders', 'returns', 'count-sessions'];
let abilities = null;

async function loadAbilities() {
  abilities = await call('GET', '/api/document-abilities');
  document.getElementById('whoami').textContent = t('doc.signedInAs', { role: t(`role.${abilities.role}`) });
  const tasks = await call('GET', '/api/tasks').catch(() => []);
  document.getElementById('task-count').textContent = tasks.length ? String(tasks.length) : '';
}

function renderTabs(current) {
  const tabs = document.getElementById('tabs');
  const mine = TYPES.filter((p) => abilities.types[p]?.read);
  tabs.replaceChildren(...mine.map((p) => el('a', { href: `#/${p}`, class: `tab${p === current ? ' on' : ''}`, 'data-testid': `tab-${p}` }, t(`doc.type.${p}`))),
    ...(abilities.movements ? [el('a', { href: '#/movements', class: `tab${current === 'movements' ? ' on' : ''}`, 'data-testid': 'tab-movements' }, t('doc.type.movements'))] : []));
}

async function renderList(main, path) {
  const can = abilities.types[path];
  const head = el('div', { class: 'list-head' }, el('h2', {}, t(`doc.type.${path}`)),
    can.create ? el('a', { class: 'btn primary', href: `#/${path}/new`, 'data-testid': 'new-doc' }, t(`doc.new.${path}`)) : null);
  const rows = await call('GET', `/api/${path}?limit=100`);
  const table = el('table', { class: 'doc-list', 'data-testid': 'doc-list' },
    el('thead', {}, el('tr', {}, ...['doc.col.number', 'doc.col.partner', 'doc.col.status', 'doc.col.updated'].map((k) => el('th', {}, t(k))))),
    el('tbody', {}, ...rows.map((d) => el('tr', { 'data-testid': 'doc-row', 'data-id': String(d.id), 'data-status': d.status, onclick: () => { location.hash = `#/${path}/${d.id}`; } },
      el('td', { 'data-label': t('doc.col.number') }, el('a', { href: `#/${path}/${d.id}` }, `${d.id}`)),
      el('td', { 'data-label': t('doc.col.partner') }, d.partner ?? d.location ?? t('common.none')),
      el('td', { 'data-label': t('doc.col.status') }, el('span', { class: `state st-${d.status}` }, t(`doc.state.${d.status}`))),
      el('td', { 'data-label': t('doc.col.updated') }, fmtDateTime(d.updatedAt))))));
  main.replaceChildren(el('section', { class: 'panel doc-panel' }, head, rows.length ? table : el('p', { class: 'muted' }, t('doc.none'))));
}

async function route() {
  const main = document.getElementById('main');
  try {
    if (!abilities) await loadAbilities();
    const [, path = '', id = ''] = /^#\/([\w-]+)?\/?([\w-]+)?/.exec(location.hash) ?? [];
    const first = TYPES.find((p) => abilities.types[p]?.read) ?? (abilities.movements ? 'movements' : null);
    const where = path || first;
    renderTabs(where);
    if (!where) return main.replaceChildren(el('p', { class: 'muted' }, t('doc.nothingForRole')));
    if (where === 'movements') return abilities.movements ? renderMovements(main, abilities) : main.replaceChildren(el('p', { class: 'form-error', 'data-testid': 'not-allowed' }, t('error.SP_ERR_FORBIDDEN')));
    if (!TYPES.includes(where) || !abilities.types[where]?.read) return main.replaceChildren(el('p', { class: 'form-error', 'data-testid': 'not-allowed' }, t('error.SP_ERR_FORBIDDEN')));
    if (id === 'new') return abilities.types[where].create ? renderCreate(main, where, abilities) : main.replaceChildren(el('p', { class: 'form-error', 'data-testid': 'not-allowed' }, t('error.SP_ERR_FORBIDDEN')));
    if (id) return renderDocument(main, where, Number(id), abilities, refreshHeader);
    return renderList(main, where);
  } catch (e) {
    main.replaceChildren(el('p', { class: 'form-error', 'data-testid': 'page-error' }, e.message));
  }
}

async function refreshHeader() {
  const tasks = await call('GET', '/api/tasks').catch(() => []);
  document.getElementById('task-count').textContent = tasks.length ? String(tasks.length) : '';
}

initPage();
addEventListener('hashchange', route);
onLangChange(() => { abilities = null; route(); });
route();
