// The stock value page (finance, purchasing, admin): totals on top; stock value per item, or
// split by location or by lot (a lot opens its passport), now or as of a past moment; COGS for a
// chosen period; payables per supplier and receivables per customer. Every table exports as CSV
// (stock-csv.js: the page's headers, a BOM for Excel); the stock value (by lot, now) and the COGS
// also as a PDF the server makes from its reports 'stock-value' and 'cogs' (report-download.js). All of it is cost data: a role outside
// COST_ROLES gets 403 from the API and the page says so instead of showing empty tables.
// Money comes as exact decimal text in minor units and is formatted by format.js without ever
// becoming a binary float.
import { call, HttpError } from './panel-http.js';
import { askForToken } from './token.js';
import { currencyDigits, fmtClock, fmtDate, fmtMoney, fmtQty, minorToMajor } from './format.js';
import { initPage, onLangChange, t } from './i18n.js';
import { downloadCsv, tableCsv } from './stock-csv.js';
import { downloadReport } from './report-download.js';

const REFRESH_MS = 30_000;
const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (k === 'dataset') Object.assign(e.dataset, v); else e.setAttribute(k, v);
  e.append(...kids.filter((k) => k !== null && k !== undefined).map((k) => (k instanceof Node ? k : document.createTextNode(String(k)))));
  return e;
};
const money = (minor, currency, extra = 0) => fmtMoney(minor, currency, extra);
/** exact major units for a CSV cell (a spreadsheet reads a plain decimal in any locale) */
const major = (minor, currency) => (minor === null || minor === undefined ? '' : minorToMajor(minor, currencyDigits(currency)));
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const num = (cls, text) => el('td', cls ? { class: cls } : {}, text);
const negClass = (minor) => (String(minor ?? '').startsWith('-') ? 'neg' : null);

let data = { stock: null, cogs: null, payables: null, receivables: null };
let refused = false;

// ------------------------------------------------------------------ stock value
const BY = ['item', 'location', 'lot'];
const STOCK_COLUMNS = {
  item: [['item', 'value.col.item'], ['name', 'value.col.name'], ['onHand', 'value.col.onHand'], ['unit', 'value.col.unit'], ['averageCost', 'value.col.averageCost'], ['value', 'value.col.value'], ['currency', 'value.col.currency']],
  location: [['location', 'value.col.location'], ['item', 'value.col.item'], ['name', 'value.col.name'], ['onHand', 'value.col.onHand'], ['averageCost', 'value.col.averageCost'], ['value', 'value.col.value'], ['currency', 'value.col.currency']],
  lot: [['item', 'value.col.item'], ['lot', 'value.col.lot'], ['name', 'value.col.name'], ['onHand', 'value.col.onHand'], ['averageCost', 'value.col.averageCost'], ['value', 'value.col.value'], ['currency', 'value.col.currency']],
};
const SHOWN = { item: ['item', 'onHand', 'averageCost', 'value'], location: ['location', 'item', 'onHand', 'averageCost', 'value'], lot: ['item', 'lot', 'onHand', 'averageCost', 'value'] };

function stockRows() {
  const s = data.stock;
  if (!s) return [];
  const by = $('by').value;
  const units = new Map(s.items.map((i) => [i.item, i.unit]));
  const list = by === 'item' ? s.items : (s.groups ?? []);
  return list.map((r) => ({ ...r, unit: units.get(r.item) ?? '' }));
}

function renderStock() {
  const by = $('by').value;
  $('stock-head').replaceChildren(el('tr', {}, ...SHOWN[by].map((k, i) => el('th', i < (by === 'item' ? 1 : 2) ? { class: 'txt' } : {}, t(`value.col.${k}`)))));
  const rows = stockRows();
  if (!rows.length) {
    $('stock-body').replaceChildren(el('tr', {}, el('td', { colspan: String(SHOWN[by].length), class: 'txt muted' }, t('value.none'))));
    return;
  }
  $('stock-body').replaceChildren(...rows.map((r) => {
    const itemCell = el('td', { class: 'txt' }, r.name && r.name !== r.item ? `${r.item} · ${r.name}` : r.item,
      r.unpriced ? el('span', { class: 'flag', title: t('value.unpriced') }, ' ⚠') : null);
    const lotCell = by === 'lot' ? el('td', { class: 'txt' }, r.lotId ? el('a', { href: `lot-passport.html?lot=${encodeURIComponent(r.lotId)}`, dataset: { testid: 'lot-link' } }, r.lot) : t('value.noLot')) : null;
    const cells = {
      item: itemCell, lot: lotCell, location: el('td', { class: 'txt' }, r.location ?? ''),
      onHand: num(null, `${fmtQty(r.onHand)}${by === 'item' && r.unit ? ` ${r.unit}` : ''}`),
      averageCost: num(null, money(r.averageCostMinor, r.currency, 4)),
      value: el('td', { dataset: { testid: 'value' }, class: negClass(r.valueMinor) ?? '' }, money(r.valueMinor, r.currency)),
    };
    return el('tr', { dataset: { testid: 'value-row', item: r.item, ...(r.lot ? { lot: r.lot } : {}), ...(r.location ? { location: r.location } : {}) } }, ...SHOWN[by].map((k) => cells[k]));
  }));
}

function stockCsvText() {
  const by = $('by').value;
  return tableCsv(STOCK_COLUMNS[by], stockRows().map((r) => ({
    ...r, lot: r.lot ?? '', onHand: r.onHand, averageCost: major(r.averageCostMinor, r.currency), value: major(r.valueMinor, r.currency),
  })));
}

// ------------------------------------------------------------------ COGS
const COGS_COLUMNS = [['date', 'value.col.date'], ['item', 'value.col.item'], ['lot', 'value.col.lot'], ['kind', 'value.col.kind'], ['salesOrder', 'value.col.order'], ['customer', 'value.col.customer'],
  ['qty', 'value.col.qty'], ['unitCost', 'value.col.unitCost'], ['cogs', 'value.col.cogs'], ['revenue', 'value.col.revenue'], ['margin', 'value.col.margin'], ['currency', 'value.col.currency']];

function renderCogs() {
  const c = data.cogs;
  if (!c) return;
  if (!c.lines.length) {
    $('cogs-body').replaceChildren(el('tr', {}, el('td', { colspan: '8', class: 'txt muted' }, t('value.cogs.none'))));
    return;
  }
  const rows = c.lines.map((l) => el('tr', { dataset: { testid: 'cogs-row', item: l.item, kind: l.kind } },
    el('td', { class: 'txt' }, fmtDate(Date.parse(l.at))),
    el('td', { class: 'txt' }, `${l.item}${l.lot ? ` · ${l.lot}` : ''}`, l.kind === 'return' ? el('span', { class: 'muted' }, ` (${t('value.kind.return')})`) : null),
    el('td', { class: 'txt' }, l.salesOrder ? `${l.salesOrder}${l.customer ? ` · ${l.customer}` : ''}` : '—'),
    num(null, fmtQty(l.qty)), num(null, money(l.unitCostMinor, l.costCurrency, 4)),
    el('td', { dataset: { testid: 'cogs' } }, money(l.cogsMinor, l.costCurrency)),
    num(null, money(l.revenueMinor, l.currency ?? l.costCurrency)), num(negClass(l.marginMinor), money(l.marginMinor, l.costCurrency))));
  const totals = c.totals.map((x) => el('tr', { class: 'total-row', dataset: { testid: 'cogs-total' } },
    el('td', { class: 'txt', colspan: '3' }, t('value.cogs.total', { currency: x.currency })),
    num(null, fmtQty(x.qty)), num(null, ''), num(null, money(x.cogsMinor, x.currency)), num(null, money(x.revenueMinor, x.currency)), num(negClass(x.marginMinor), money(x.marginMinor, x.currency))));
  $('cogs-body').replaceChildren(...rows, ...totals);
}

const cogsCsvText = () => tableCsv(COGS_COLUMNS, (data.cogs?.lines ?? []).map((l) => ({
  date: l.at.slice(0, 10), item: l.item, lot: l.lot ?? '', kind: t(`value.kind.${l.kind}`), salesOrder: l.salesOrder ?? '', customer: l.customer ?? '', qty: l.qty,
  unitCost: major(l.unitCostMinor, l.costCurrency), cogs: major(l.cogsMinor, l.costCurrency), revenue: major(l.revenueMinor, l.costCurrency), margin: major(l.marginMinor, l.costCurrency), currency: l.costCurrency,
})));

// ------------------------------------------------------------------ payables and receivables
const PAY_COLUMNS = [['supplier', 'value.col.supplier'], ['name', 'value.col.name'], ['received', 'value.col.received'], ['paid', 'value.col.paid'], ['open', 'value.col.open'], ['currency', 'value.col.currency']];
const REC_COLUMNS = [['customer', 'value.col.customer'], ['name', 'value.col.name'], ['shipped', 'value.col.shipped'], ['returned', 'value.col.returned'], ['open', 'value.col.open'], ['currency', 'value.col.currency']];

function partyRows(bodyId, list, key, cols) {
  if (!list.length) {
    $(bodyId).replaceChildren(el('tr', {}, el('td', { colspan: '4', class: 'txt muted' }, t('value.none'))));
    return;
  }
  $(bodyId).replaceChildren(...list.map((p) => el('tr', { dataset: { testid: `${key}-row`, party: p[key] } },
    el('td', { class: 'txt' }, p.name && p.name !== p[key] ? `${p[key]} · ${p.name}` : p[key],
      el('span', { class: 'muted' }, ` (${t('value.orders', { count: p.orders.length })})`)),
    ...cols.map((c) => el('td', { dataset: { testid: c } }, money(p[`${c}Minor`], p.currency))))));
}

const payCsvText = () => tableCsv(PAY_COLUMNS, (data.payables?.suppliers ?? []).map((s) => ({
  supplier: s.supplier, name: s.name, received: major(s.receivedMinor, s.currency), paid: major(s.paidMinor, s.currency), open: major(s.openMinor, s.currency), currency: s.currency,
})));
const recCsvText = () => tableCsv(REC_COLUMNS, (data.receivables?.customers ?? []).map((c) => ({
  customer: c.customer, name: c.name, shipped: major(c.shippedMinor, c.currency), returned: major(c.returnedMinor, c.currency), open: major(c.openMinor, c.currency), currency: c.currency,
})));

// ------------------------------------------------------------------ totals and loading
const sumText = (totals, field) => (totals?.length ? totals.map((x) => money(x[field], x.currency)).join(' · ') : money('0', 'EUR'));

function renderTotals() {
  $('t-stock').textContent = data.stock ? sumText(data.stock.totals, 'valueMinor') : '—';
  $('t-cogs').textContent = data.cogs ? sumText(data.cogs.totals, 'cogsMinor') : '—';
  $('t-payables').textContent = data.payables ? sumText(data.payables.totals, 'openMinor') : '—';
  $('t-receivables').textContent = data.receivables ? sumText(data.receivables.totals, 'openMinor') : '—';
}

function render() {
  if (refused) return;
  renderTotals();
  renderStock();
  renderCogs();
  if (data.payables) partyRows('payables-body', data.payables.suppliers, 'supplier', ['received', 'paid', 'open']);
  if (data.receivables) partyRows('receivables-body', data.receivables.customers, 'customer', ['shipped', 'returned', 'open']);
}

/** a role that may not see cost: one sentence instead of the panels */
function refuse() {
  refused = true;
  $('refused').textContent = t('value.refused');
  $('refused').hidden = false;
  for (const id of ['totals-panel', 'stock-panel', 'cogs-panel', 'payables-panel', 'receivables-panel']) $(id).hidden = true;
}

function atQuery() {
  const v = $('at').value;
  if (!v) return '';
  const ms = new Date(v).getTime();   // datetime-local is local time
  return Number.isFinite(ms) ? `&at=${encodeURIComponent(new Date(ms).toISOString())}` : '';
}

async function refresh() {
  try {
    const by = $('by').value;
    const [stock, cogs, payables, receivables] = await Promise.all([
      call('GET', `/api/valuation?by=${by}${atQuery()}`),
      call('GET', `/api/valuation/cogs?from=${$('from').value}&to=${$('to').value}`),
      call('GET', '/api/valuation/payables'),
      call('GET', '/api/valuation/receivables'),
    ]);
    data = { stock, cogs, payables, receivables };
    render();
    $('updated').textContent = t('common.updated', { time: fmtClock(Date.now()) });
  } catch (e) {
    if (e instanceof HttpError && e.status === 403) { refuse(); $('updated').textContent = ''; return; }
    if (e instanceof HttpError && e.status === 401) askForToken(e.body?.details?.[0]?.reason);
    $('updated').textContent = t('common.notUpdatedBecause', { reason: e.message });
  }
}

function fillBy() {
  const keep = $('by').value || 'item';
  $('by').replaceChildren(...BY.map((b) => el('option', { value: b }, t(`value.by.${b}`))));
  $('by').value = keep;
}

function download(name, text) {
  downloadCsv(text, `${name}-${isoDay(Date.now())}.csv`);
}

async function downloadPdf(report, params) {
  const btn = $(`pdf-${report === 'cogs' ? 'cogs' : 'stock'}`);
  const error = $(`${btn.id}-error`);
  error.textContent = '';
  btn.disabled = true;
  try { await downloadReport(report, params, 'pdf'); }
  catch (e) { error.textContent = t('reports.exportFailed', { reason: e.message }); }
  finally { btn.disabled = false; }
}

function start() {
  initPage();
  fillBy();
  // the COGS period: this month so far
  const now = new Date();
  $('from').value = isoDay(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  $('to').value = isoDay(Date.now());
  for (const id of ['by', 'at', 'from', 'to']) $(id).addEventListener('change', () => void refresh());
  $('at-now').addEventListener('click', () => { $('at').value = ''; void refresh(); });
  $('csv-stock').addEventListener('click', () => download(`stock-value-${$('by').value}`, stockCsvText()));
  $('csv-cogs').addEventListener('click', () => download('cogs', cogsCsvText()));
  $('csv-payables').addEventListener('click', () => download('payables', payCsvText()));
  $('csv-receivables').addEventListener('click', () => download('receivables', recCsvText()));
  $('pdf-stock').addEventListener('click', () => void downloadPdf('stock-value', {}));
  $('pdf-cogs').addEventListener('click', () => void downloadPdf('cogs', { from: $('from').value, to: $('to').value }));
  onLangChange(() => { fillBy(); if (refused) $('refused').textContent = t('value.refused'); render(); });
  void refresh();
  setInterval(refresh, REFRESH_MS);
}

// exported for the browser test (what a CSV button downloads)
export const csvFor = { stock: stockCsvText, cogs: cogsCsvText, payables: payCsvText, receivables: recCsvText };
start();
