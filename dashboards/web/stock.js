// The stock page: per item on hand, reserved, quarantined, expired and available to promise,
// by lot (expiry, status) on click, and the task inbox of the token's role. Refreshes every 5 s.
import { askForToken, authHeader } from './token.js';
import { fmtClock, fmtDateTime, fmtDay, fmtQty } from './format.js';
import { humanError } from './error-text.js';
import { initPage, onLangChange, t } from './i18n.js';

const REFRESH_MS = 5_000;
const open = new Set();
const fmt = (n) => fmtQty(n, 3);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (k === 'dataset') Object.assign(e.dataset, v); else e.setAttribute(k, v);
  e.append(...kids.map((k) => (k instanceof Node ? k : document.createTextNode(String(k)))));
  return e;
};

async function get(path) {
  const res = await fetch(path, { headers: { accept: 'application/json', ...authHeader() }, cache: 'no-store' });
  const body = await res.json().catch(() => null);
  if (res.status === 401) askForToken(body?.details?.[0]?.reason);
  if (!res.ok) throw new Error(humanError(res.status, body));
  return body;
}

function renderStock(rows) {
  const body = document.getElementById('stock-body');
  body.replaceChildren();
  for (const r of rows) {
    const low = r.available <= r.safetyStock;
    const tr = el('tr', { class: 'item-row', dataset: { testid: 'stock-row', item: r.item } },
      el('td', {}, `${r.item} · ${r.name}`), el('td', {}, `${fmt(r.onHand)} ${r.unit}`), el('td', {}, fmt(r.reserved)),
      el('td', { class: r.quarantined ? 'st-quarantined' : '' }, fmt(r.quarantined + r.rejected)),
      el('td', { class: r.expired ? 'st-expired' : '' }, fmt(r.expired)), el('td', {}, fmt(r.protected)),
      el('td', { class: low ? 'avail-low' : '', dataset: { testid: 'available' } }, fmt(r.available)));
    tr.addEventListener('click', () => { open.has(r.item) ? open.delete(r.item) : open.add(r.item); renderStock(rows); });
    body.append(tr);
    if (!open.has(r.item)) continue;
    for (const l of r.lines) {
      body.append(el('tr', { class: 'lot-row' },
        el('td', { class: 'txt' }, `  ${l.lot ?? t('stock.noLot')} @ ${l.location}`), el('td', {}, fmt(l.onHand)),
        el('td', { class: `txt st-${l.status}`, colspan: '3' }, t(`lotStatus.${l.status}`)), el('td', { class: 'txt', colspan: '2' }, l.expiresOn ? t('stock.expires', { day: fmtDay(l.expiresOn) }) : '')));
    }
  }
  if (!rows.length) body.append(el('tr', {}, el('td', { colspan: '7' }, t('stock.noItems'))));
}

function renderTasks(tasks) {
  const list = document.getElementById('tasks');
  list.replaceChildren(...tasks.map((task) => el('li', { dataset: { testid: 'task', role: task.role } },
    el('div', {}, task.title), el('div', { class: 'muted' }, t('stock.taskLine', { role: t(`role.${task.role}`), document: t(`docType.${task.documentType}`), id: task.documentId, status: task.documentStatus, time: fmtDateTime(task.createdAt) })))));
  if (!tasks.length) list.append(el('li', { class: 'muted' }, t('common.nothingToDo')));
}

async function refresh() {
  try {
    const [stock, tasks] = await Promise.all([get('/api/stock'), get('/api/tasks')]);
    renderStock(stock);
    renderTasks(tasks);
    document.getElementById('tasks-role').textContent = tasks[0] ? '' : t('common.yourRole');
    document.getElementById('updated').textContent = t('common.updated', { time: fmtClock(Date.now()) });
  } catch (e) {
    document.getElementById('updated').textContent = t('common.notUpdatedBecause', { reason: e.message });
  }
}

initPage();
onLangChange(() => refresh());
refresh();
setInterval(refresh, REFRESH_MS);
