// The master data page: items, suppliers, customers, locations/bins and channel pools. A list
// with search (archived ones on request) and a form to create, edit, archive and restore; a
// refused field is marked at the field from the API's coded details. The page asks /api/me what
// the role may do and offers only that; cost fields only for roles that see cost. The item
// form shows the item's audit history to roles that may read the audit (others see nothing).
import { askForToken, authHeader } from './token.js';
import { fmtDateTime } from './format.js';
import { humanError } from './error-text.js';
import { initPage, onLangChange, t } from './i18n.js';
import { ENTITIES } from './master-data-entities.js';
import { buildForm, cellText, clearErrors, el, readForm, showErrors } from './master-data-form.js';
import { renderPools } from './master-data-pools.js';

const state = { tab: 'items', rows: [], listError: '', editing: null, me: null, choices: {} };
const $ = (id) => document.getElementById(id);

/** fetch as JSON; resolves {status, body} for any answer, {status: 0} when nothing answered */
export async function api(method, path, body) {
  try {
    const res = await fetch(path, {
      method, cache: 'no-store',
      headers: { accept: 'application/json', ...authHeader(), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json().catch(() => null);
    if (res.status === 401) askForToken(json?.details?.[0]?.reason);
    return { status: res.status, body: json };
  } catch {
    return { status: 0, body: null };
  }
}

const may = (key) => Boolean(state.me?.may?.[key]);
const spec = () => ENTITIES[state.tab];
const canWrite = () => (state.tab === 'pools' ? may('PUT /api/channel-pools/:item/:channel') : may(`POST ${spec().path}`));
const param = () => (state.tab === 'items' ? ':sku' : ':id');

function message(text, kind) {
  const m = $('md-form').querySelector('.form-msg') ?? el('p', { class: 'form-msg', dataset: { testid: 'md-message' }, role: 'status' });
  m.className = `form-msg ${kind}`;
  m.textContent = text;
  $('md-form').append(m);
}

async function loadChoices() {
  state.choices = {};
  const wanted = new Set((spec()?.fields ?? []).filter((f) => f.source).map((f) => f.source));
  for (const src of wanted) {
    const r = await api('GET', src);
    const list = r.status === 200 && Array.isArray(r.body) ? r.body : [];
    for (const f of spec().fields.filter((x) => x.source === src)) {
      state.choices[f.name] = list.map((o) => ({ value: o.id, label: o.name && o.name !== o.id ? `${o.id} · ${o.name}` : o.id }));
    }
  }
}

async function loadList() {
  const archived = $('show-archived').checked ? '?archived=include' : '';
  const r = await api('GET', `${spec().path}${archived}`);
  state.rows = r.status === 200 ? r.body : [];
  state.listError = r.status === 200 ? '' : humanError(r.status, r.body);
  renderList();
}

function renderList() {
  const s = spec();
  const fields = Object.fromEntries(s.fields.map((f) => [f.name, f]));
  const cols = s.columns.filter((c) => !fields[c]?.cost || state.me?.canSeeCost);
  $('list-head').replaceChildren(el('tr', {}, ...cols.map((c) => el('th', {}, t(`md.f.${c}`))), el('th', {}, t('md.col.actions'))));
  const q = $('search').value.trim().toLowerCase();
  const rows = state.rows.filter((r) => !q || cols.some((c) => String(r[c] ?? '').toLowerCase().includes(q)));
  const body = $('list-body');
  body.replaceChildren(...rows.map((r) => {
    const id = r[s.key];
    const actions = el('td', { class: 'row-actions', 'data-label': t('md.col.actions') });
    // a role that may not edit still opens the record (its details and history)
    const editable = may(`PATCH ${s.path}/${param()}`);
    const open = el('button', { type: 'button', dataset: { testid: editable ? 'md-edit' : 'md-open' } }, t(editable ? 'md.edit' : 'md.open'));
    open.addEventListener('click', () => openForm(r));
    actions.append(open);
    const action = r.archivedAt ? 'restore' : 'archive';
    if (may(`POST ${s.path}/${param()}/${action}`)) {
      const b = el('button', { type: 'button', dataset: { testid: `md-${action}` } }, t(`md.${action}`));
      b.addEventListener('click', () => archive(r, action));
      actions.append(b);
    }
    return el('tr', { class: r.archivedAt ? 'archived' : '', dataset: { testid: 'md-row', id } },
      ...cols.map((c) => el('td', { class: ['num', 'int', 'money'].includes(fields[c]?.type) ? 'num' : '', 'data-label': t(`md.f.${c}`) },
        cellText(fields[c], r[c]), c === s.key && r.archivedAt ? ` (${t('md.archived')})` : '')), actions);
  }));
  if (!rows.length) body.append(el('tr', {}, el('td', { colspan: String(cols.length + 1) }, q ? t('md.noMatch', { query: q }) : t('md.empty'))));
  // a refused list says why (403 as words); otherwise how many the search leaves
  $('list-note').textContent = state.listError || (rows.length ? t('md.count', { count: rows.length }) : '');
}

function openForm(record) {
  const s = spec();
  state.editing = record;
  const what = t(`md.what.${state.tab}`);
  $('form-title').textContent = record ? t('md.formEdit', { what, id: record[s.key] }) : t('md.formNew', { what });
  const form = $('md-form');
  const allowed = record ? may(`PATCH ${s.path}/${param()}`) : canWrite();
  buildForm(form, s, record, { showCost: Boolean(state.me?.canSeeCost), choices: state.choices });
  if (!allowed && !record) {
    // nothing to create for this role: no empty form, only the sentence saying so
    $('form-title').textContent = t(`md.tab.${state.tab}`);
    form.replaceChildren(el('p', { class: 'form-msg muted', dataset: { testid: 'md-readonly' } }, t('md.readOnly')));
  } else if (!allowed) {
    for (const i of form.elements) i.disabled = true;
    form.append(el('p', { class: 'form-msg muted', dataset: { testid: 'md-readonly' } }, t('md.readOnly')));
  } else {
    const save = el('button', { type: 'submit', dataset: { testid: 'md-save' } }, t(record ? 'md.save' : 'md.create'));
    const cancel = el('button', { type: 'button' }, t('md.cancel'));
    cancel.addEventListener('click', () => openForm(null));
    form.append(el('div', { class: 'actions' }, save, cancel));
  }
  if (state.tab === 'items' && !state.me?.canSeeCost) form.append(el('p', { class: 'muted' }, t('md.costHidden')));
  void showAudit(record);
}

async function submit(ev) {
  ev.preventDefault();
  if (state.tab === 'pools') return;   // master-data-pools.js answers that form
  const s = spec();
  const form = $('md-form');
  clearErrors(form);
  const editing = state.editing;
  const body = readForm(form, s, Boolean(editing), { showCost: Boolean(state.me?.canSeeCost) });
  const r = editing
    ? await api('PATCH', `${s.path}/${encodeURIComponent(editing[s.key])}`, body)
    : await api('POST', s.path, body);
  if (r.status === 200 || r.status === 201) {
    await loadList();
    const saved = state.rows.find((x) => x[s.key] === r.body[s.key]) ?? r.body;
    openForm(saved);
    message(t('md.saved', { id: r.body[s.key] }), 'ok');
    return;
  }
  const rest = showErrors(form, r.status, r.body);
  message(rest.length || !r.body?.details?.length ? humanError(r.status, r.body) : t('md.fixFields'), 'bad');
}

async function archive(record, action) {
  const s = spec();
  const id = record[s.key];
  if (action === 'archive' && !window.confirm(t('md.confirmArchive', { id }))) return;
  const r = await api('POST', `${s.path}/${encodeURIComponent(id)}/${action}`);
  await loadList();
  if (r.status === 200) {
    openForm(state.rows.find((x) => x[s.key] === id) ?? null);
    message(t(action === 'archive' ? 'md.archivedDone' : 'md.restoredDone', { id }), 'ok');
  } else {
    message(humanError(r.status, r.body), 'bad');
  }
}

const ACTION = { POST: 'create', PATCH: 'edit' };
function actionOf(e) {
  if (/\/archive$/.test(e.route)) return 'archive';
  if (/\/restore$/.test(e.route)) return 'restore';
  return ACTION[e.method] ?? 'other';
}

/** who changed what and when; a role that may not read the audit sees no section at all */
async function showAudit(record) {
  const box = $('audit');
  box.hidden = true;
  if (!record || !may('GET /api/audit')) return;
  const s = spec();
  const r = await api('GET', `/api/audit?entity=${s.auditEntity}&entityId=${encodeURIComponent(record[s.key])}&limit=50`);
  if (r.status !== 200 || state.editing !== record) return;
  const list = $('audit-list');
  list.replaceChildren(...r.body.map((e) => {
    const changed = e.before && e.after ? Object.keys(e.after).filter((k) => JSON.stringify(e.after[k]) !== JSON.stringify(e.before[k])) : [];
    return el('li', { dataset: { testid: 'audit-line' } },
      el('div', {}, t('md.audit.line', { time: fmtDateTime(e.at), actor: e.actor, role: t(`role.${e.role}`), action: t(`md.action.${actionOf(e)}`) })),
      changed.length ? el('div', { class: 'muted' }, t('md.audit.changed', { fields: changed.map((k) => t(`md.f.${k}`)).join(', ') })) : null);
  }));
  if (!r.body.length) list.append(el('li', { class: 'muted' }, t('md.audit.empty')));
  box.hidden = false;
}

async function showTab(tab) {
  state.tab = tab;
  for (const b of document.querySelectorAll('[data-tab]')) b.setAttribute('aria-selected', String(b.dataset.tab === tab));
  history.replaceState(null, '', `?tab=${tab}${location.hash}`);
  const pools = tab === 'pools';
  $('list-panel').hidden = pools;
  $('audit').hidden = true;
  if (pools) {
    $('form-title').textContent = t('md.tab.pools');
    await renderPools($('md-form'), { api, canWrite: canWrite() });
    return;
  }
  $('new-btn').hidden = !canWrite();
  await loadChoices();
  await loadList();
  openForm(null);
}

async function start() {
  initPage();
  const me = await api('GET', '/api/me');
  state.me = me.status === 200 ? me.body : null;
  for (const b of document.querySelectorAll('[data-tab]')) b.addEventListener('click', () => showTab(b.dataset.tab));
  $('search').addEventListener('input', renderList);
  $('show-archived').addEventListener('change', loadList);
  $('new-btn').addEventListener('click', () => openForm(null));
  $('md-form').addEventListener('submit', submit);
  onLangChange(() => showTab(state.tab));
  const want = new URLSearchParams(location.search).get('tab');
  await showTab(want && (ENTITIES[want] || want === 'pools') ? want : 'items');
  document.body.dataset.ready = 'true';
}

start();
