// The stock page: per item on hand, reserved, quarantined, expired and available to promise;
// searched, filtered (location on the server; lot state and expiry bucket here) and sorted; each
// lot links to its passport and its ledger (GET /api/ledger: movements with the running balance);
// what is shown exports as CSV. The task inbox of the token's role beside it. Refreshes every 5 s.
import { askForToken, authHeader } from './token.js';
import { fmtClock, fmtDateTime, fmtDay, fmtQty } from './format.js';
import { humanError } from './error-text.js';
import { initPage, onLangChange, t } from './i18n.js';
import { stockCsv, downloadCsv } from './stock-csv.js';

const REFRESH_MS = 5_000;
const DAY = 86_400_000;
const open = new Set();
const $ = (id) => document.getElementById(id);
const fmt = (n) => fmtQty(n, 3);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (k === 'dataset') Object.assign(e.dataset, v); else e.setAttribute(k, v);
  e.append(...kids.filter((k) => k !== null && k !== undefined).map((k) => (k instanceof Node ? k : document.createTextNode(String(k)))));
  return e;
};
let rows = [];
let ledgerFor = null;

async function get(path) {
  const res = await fetch(path, { headers: { accept: 'application/json', ...authHeader() }, cache: 'no-store' });
  const body = await res.json().catch(() => null);
  if (res.status === 401) askForToken(body?.details?.[0]?.reason);
  if (!res.ok) throw new Error(humanError(res.status, body));
  return body;
}

/** whole days from today (local) to an ISO day; negative when past */
function daysLeft(isoDay) {
  const today = new Date();
  const start = Date.UTC(today.getFullYear(), today.getMonth(), today.getDate());
  return Math.round((Date.parse(`${isoDay}T00:00:00Z`) - start) / DAY);
}

const BUCKETS = {
  all: () => true,
  expired: (l) => l.expiresOn !== null && daysLeft(l.expiresOn) < 0,
  d7: (l) => l.expiresOn !== null && daysLeft(l.expiresOn) >= 0 && daysLeft(l.expiresOn) <= 7,
  d30: (l) => l.expiresOn !== null && daysLeft(l.expiresOn) >= 0 && daysLeft(l.expiresOn) <= 30,
  later: (l) => l.expiresOn !== null && daysLeft(l.expiresOn) > 30,
  none: (l) => l.expiresOn === null,
};
const STATES = { all: () => true, near_expiry: (l) => l.status === 'near_expiry', expired: (l) => l.status === 'expired', quarantined: (l) => l.status === 'quarantined' || l.status === 'rejected' };
const earliest = (r) => r.lines.reduce((m, l) => (l.expiresOn && (!m || l.expiresOn < m) ? l.expiresOn : m), null) ?? '9999-12-31';
const SORTS = {
  item: (a, b) => a.item.localeCompare(b.item),
  onHand: (a, b) => b.onHand - a.onHand || a.item.localeCompare(b.item),
  available: (a, b) => a.available - b.available || a.item.localeCompare(b.item),
  expiry: (a, b) => earliest(a).localeCompare(earliest(b)) || a.item.localeCompare(b.item),
};

function fillSelect(select, entries) {
  const keep = select.value;
  select.replaceChildren(...entries.map(([value, label]) => el('option', { value }, label)));
  if (entries.some(([v]) => v === keep)) select.value = keep;
}

function fillControls(locations) {
  if (locations) fillSelect($('f-location'), [['', t('stock.filter.allLocations')], ...locations.map((l) => [l.id, l.name && l.name !== l.id ? `${l.id} · ${l.name}` : l.id])]);
  fillSelect($('f-state'), [['all', t('stock.filter.allStates')], ...['near_expiry', 'expired', 'quarantined'].map((s) => [s, t(`lotStatus.${s}`)])]);
  fillSelect($('f-bucket'), Object.keys(BUCKETS).map((b) => [b, t(`stock.bucket.${b}`)]));
  fillSelect($('f-sort'), Object.keys(SORTS).map((s) => [s, t(`stock.sort.${s}`)]));
}

/** the rows and lot lines the filters let through (a lot filter shows only matching lots, opened) */
export function visible() {
  const q = $('f-search').value.trim().toLowerCase();
  const state = STATES[$('f-state').value] ?? STATES.all;
  const bucket = BUCKETS[$('f-bucket').value] ?? BUCKETS.all;
  const lotFilter = $('f-state').value !== 'all' || $('f-bucket').value !== 'all';
  const out = [];
  for (const r of rows) {
    const itemHit = !q || `${r.item} ${r.name}`.toLowerCase().includes(q);
    const lines = r.lines.filter((l) => state(l) && bucket(l) && (itemHit || (l.lot ?? '').toLowerCase().includes(q)));
    if ((lotFilter || !itemHit) && !lines.length) continue;
    out.push({ row: r, lines, forceOpen: lotFilter || !itemHit });
  }
  return out.sort((a, b) => (SORTS[$('f-sort').value] ?? SORTS.item)(a.row, b.row));
}

function ledgerButton(item, location, lot) {
  const b = el('button', { type: 'button', dataset: { testid: 'ledger-open' } }, t('stock.ledgerButton'));
  b.addEventListener('click', (ev) => { ev.stopPropagation(); void showLedger({ item, location, lot }); });
  return b;
}

function renderStock() {
  const body = $('stock-body');
  body.replaceChildren();
  const shown = visible();
  for (const { row: r, lines, forceOpen } of shown) {
    const low = r.available <= r.safetyStock;
    const tr = el('tr', { class: 'item-row', dataset: { testid: 'stock-row', item: r.item } },
      el('td', {}, `${r.item} · ${r.name}`), el('td', {}, `${fmt(r.onHand)} ${r.unit}`), el('td', {}, fmt(r.reserved)),
      el('td', { class: r.quarantined ? 'st-quarantined' : '' }, fmt(r.quarantined + r.rejected)),
      el('td', { class: r.expired ? 'st-expired' : '' }, fmt(r.expired)), el('td', {}, fmt(r.protected)),
      el('td', { class: low ? 'avail-low' : '', dataset: { testid: 'available' } }, fmt(r.available)));
    tr.addEventListener('click', () => { open.has(r.item) ? open.delete(r.item) : open.add(r.item); renderStock(); });
    body.append(tr);
    if (!open.has(r.item) && !forceOpen) continue;
    for (const l of lines) {
      const lot = l.lotId ? el('a', { href: `lot-passport.html?lot=${l.lotId}`, dataset: { testid: 'lot-link' } }, l.lot) : t('stock.noLot');
      body.append(el('tr', { class: 'lot-row', dataset: { testid: 'lot-row', item: r.item, lot: l.lot ?? '' } },
        el('td', { class: 'txt' }, lot, ` @ ${l.location}`), el('td', {}, `${fmt(l.onHand)} ${r.unit}`),
        el('td', { class: `txt st-${l.status}`, colspan: '2' }, t(`lotStatus.${l.status}`)),
        el('td', { class: 'txt', colspan: '2' }, l.expiresOn ? t('stock.expires', { day: fmtDay(l.expiresOn) }) : ''),
        el('td', {}, ledgerButton(r.item, l.location, l.lot))));
    }
    if (open.has(r.item) && !forceOpen) body.append(el('tr', { class: 'lot-row' }, el('td', { colspan: '6' }), el('td', {}, ledgerButton(r.item, null, null))));
  }
  if (!shown.length) body.append(el('tr', {}, el('td', { colspan: '7' }, rows.length ? t('stock.noMatch') : t('stock.noItems'))));
  $('shown').textContent = t('stock.shown', { shown: shown.length, total: rows.length });
}

async function showLedger(which) {
  ledgerFor = which;
  const { item, location, lot } = which;
  const box = $('ledger');
  box.hidden = false;
  $('ledger-title').textContent = lot ? t('stock.ledger.titleLot', { item, lot, location }) : location ? t('stock.ledger.titleAt', { item, location }) : t('stock.ledger.title', { item });
  const qs = new URLSearchParams({ item, ...(location ? { location } : {}), ...(lot ? { lot } : {}) });
  const tbody = $('ledger-body');
  try {
    const lines = await get(`/api/ledger?${qs}`);
    $('ledger-note').textContent = '';
    tbody.replaceChildren(...lines.map((m) => el('tr', { dataset: { testid: 'ledger-line' } },
      el('td', {}, fmtDateTime(m.at)), el('td', {}, t(`stock.kind.${m.kind}`)), el('td', {}, m.lot ?? ''), el('td', {}, m.from ?? ''), el('td', {}, m.to ?? ''),
      el('td', { dataset: { testid: 'ledger-change' } }, m.change > 0 ? `+${fmt(m.change)}` : fmt(m.change)),
      el('td', { dataset: { testid: 'ledger-balance' } }, fmt(m.balance)))));
    if (!lines.length) tbody.append(el('tr', {}, el('td', { colspan: '7' }, t('stock.ledger.empty'))));
  } catch (e) {
    tbody.replaceChildren();
    $('ledger-note').textContent = e.message;
  }
  box.scrollIntoView({ block: 'nearest' });
}

function renderTasks(tasks) {
  const list = $('tasks');
  list.replaceChildren(...tasks.map((task) => el('li', { dataset: { testid: 'task', role: task.role } },
    el('div', {}, task.title), el('div', { class: 'muted' }, t('stock.taskLine', { role: t(`role.${task.role}`), document: t(`docType.${task.documentType}`), id: task.documentId, status: task.documentStatus, time: fmtDateTime(task.createdAt) })))));
  if (!tasks.length) list.append(el('li', { class: 'muted' }, t('common.nothingToDo')));
}

async function refresh() {
  try {
    const loc = $('f-location').value;
    const [stock, tasks] = await Promise.all([get(`/api/stock${loc ? `?location=${encodeURIComponent(loc)}` : ''}`), get('/api/tasks')]);
    rows = stock;
    renderStock();
    renderTasks(tasks);
    $('tasks-role').textContent = tasks[0] ? '' : t('common.yourRole');
    $('updated').textContent = t('common.updated', { time: fmtClock(Date.now()) });
    document.body.dataset.ready = 'true';
  } catch (e) {
    $('updated').textContent = t('common.notUpdatedBecause', { reason: e.message });
  }
}

let locations = [];
async function start() {
  initPage();
  fillControls([]);
  for (const id of ['f-search', 'f-state', 'f-bucket', 'f-sort']) $(id).addEventListener(id === 'f-search' ? 'input' : 'change', renderStock);
  $('f-location').addEventListener('change', refresh);
  $('csv').addEventListener('click', () => downloadCsv(stockCsv(visible()), `stock-${new Date().toISOString().slice(0, 10)}.csv`));
  $('ledger-close').addEventListener('click', () => { $('ledger').hidden = true; ledgerFor = null; });
  onLangChange(() => { fillControls(locations); void refresh(); if (ledgerFor) void showLedger(ledgerFor); });
  get('/api/locations').then((l) => { locations = l; fillControls(l); }).catch(() => undefined);
  await refresh();
  setInterval(refresh, REFRESH_MS);
}

start();
