// The planning and analytics page: replenishment suggestions with every input behind them,
// weekly sales with the Holt forecast and the purchase price trend (drawn with the dashboard's
// uPlot helper, chart.js), supplier on-time delivery, inventory turnover and count accuracy.
// Each panel loads on its own: a role that may not see one (e.g. prices for sales) gets a note
// in that panel, the rest of the page still works.
import { createChart } from './chart.js';
import { fmtClock, fmtDate, fmtNum } from './format.js';
import { askForToken, authHeader } from './token.js';
import { humanError } from './error-text.js';
import { currentLang, initPage, onLangChange, t } from './i18n.js';
import { downloadReport } from './report-download.js';

const $ = (id) => document.getElementById(id);
const DAY = 86_400_000;
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (k === 'dataset') Object.assign(e.dataset, v); else e.setAttribute(k, v);
  e.append(...kids.map((k) => (k instanceof Node ? k : document.createTextNode(String(k)))));
  return e;
};
const n = (v, d = 2) => (v === null || v === undefined ? '—' : fmtNum(v, d));
const pct = (v) => (v === null || v === undefined ? '—' : `${fmtNum(v * 100, 1)} %`);
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const weekMs = (iso) => Date.parse(`${iso}T00:00:00Z`);

async function get(path) {
  const res = await fetch(path, { headers: { accept: 'application/json', ...authHeader() }, cache: 'no-store' });
  const body = await res.json().catch(() => null);
  if (res.status === 401) askForToken(body?.details?.[0]?.reason);
  if (!res.ok) throw Object.assign(new Error(humanError(res.status, body)), { status: res.status });
  return body;
}

function period() {
  return `from=${$('from').value}&to=${$('to').value}`;
}

/** a panel that failed says why in its own body, the others keep going */
function note(bodyId, e, cols) {
  const why = e.status === 403 ? t('planning.roleMayNot') : e.message;
  $(bodyId).replaceChildren(el('tr', {}, el('td', { colspan: String(cols), class: 'txt muted' }, why)));
}

// ------------------------------------------------------------------ replenishment
// Lead time (L) and the safety-stock floor are edited in the row: a change is saved at once
// (PUT /api/replenishment/items/:sku, purchasing), the answer carries the item's plan
// recomputed, and a refusal is shown at the field it names (details[].field = body.leadTimeDays).
const FIELDS = { leadTimeDays: { step: '1' }, safetyStock: { step: 'any' } };

function editor(sku, field, value) {
  const input = el('input', {
    type: 'number', min: '0', step: FIELDS[field].step, inputmode: field === 'leadTimeDays' ? 'numeric' : 'decimal', class: 'plan-edit',
    'aria-label': t('planning.fieldOf', { field: t(`planning.field.${field}`), item: sku }), dataset: { testid: `edit-${field}`, item: sku, field },
  });
  input.value = value === null || value === undefined ? '' : String(value);
  const msg = el('span', { class: 'field-error', role: 'alert', dataset: { testid: `edit-${field}-error` } });
  const wrap = el('span', { class: 'plan-field' }, input, msg);
  // a click in the field must not fold the row's explanation open or shut
  input.addEventListener('click', (e) => e.stopPropagation());
  input.addEventListener('change', () => saveField(sku, field, input, msg));
  return wrap;
}

async function saveField(sku, field, input, msg) {
  msg.textContent = '';
  input.removeAttribute('aria-invalid');
  const raw = input.value.trim();
  const value = raw === '' ? (field === 'leadTimeDays' ? null : 0) : Number(raw);
  input.disabled = true;
  try {
    const res = await fetch(`/api/replenishment/items/${encodeURIComponent(sku)}`, {
      method: 'PUT', headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeader() }, body: JSON.stringify({ [field]: value }),
    });
    const body = await res.json().catch(() => null);
    if (res.status === 401) askForToken(body?.details?.[0]?.reason);
    if (!res.ok) {
      const named = body?.details?.find((d) => d.field === `body.${field}`);
      const text = res.status === 403 ? t('planning.editForbidden') : humanError(res.status, named ? { ...body, details: [named] } : body);
      throw new Error(text);
    }
    await loadReplenishment({ saved: input });
  } catch (e) {
    input.disabled = false;
    input.setAttribute('aria-invalid', 'true');
    msg.textContent = e.message;
    return;
  }
}

// The table is redrawn by the minute's refresh, a language switch and every save. Two rules keep
// a buyer's typing safe: an answer older than a load begun after it is dropped (a slow refresh
// must not draw the values from before a save over it), and while a field in the table has the
// focus the redraw waits (data-waiting) until the focus leaves the table's fields: redrawn under
// the buyer's fingers, the field would lose what was typed and, on a phone, the keyboard.
let replLoads = 0;

/** @param {{saved?: HTMLInputElement}} [o] saved: the field whose save asked for this load */
async function loadReplenishment({ saved } = {}) {
  const load = ++replLoads;
  try {
    const [{ plans }, items] = await Promise.all([get('/api/replenishment'), get('/api/items').catch(() => [])]);
    if (load !== replLoads) return;
    const body = $('repl-body');
    const editing = document.activeElement;
    if (editing !== saved && editing?.matches?.('input.plan-edit') && body.contains(editing)) {
      body.dataset.waiting = '1'; // the focusout below reads it
      return;
    }
    delete body.dataset.waiting;
    const floor = new Map(items.map((i) => [i.sku, i.safetyStock]));
    body.replaceChildren();
    for (const p of plans.filter((x) => x.status !== 'skipped')) {
      const i = p.explanation.inputs;
      const tr = el('tr', { class: p.status === 'reorder' ? 'bad' : '', dataset: { testid: 'repl-row', item: p.item, status: p.status } },
        el('td', {}, `${p.item} · ${p.explanation.name}`), el('td', {}, n(i.dBar)), el('td', {}, n(i.sigma)), el('td', {}, editor(p.item, 'leadTimeDays', i.leadTimeDays)),
        el('td', {}, n(i.z, 3)), el('td', {}, n(i.seasonality.indexUsed, 3)), el('td', {}, n(i.available)), el('td', {}, n(i.onOrder)),
        el('td', {}, editor(p.item, 'safetyStock', floor.get(p.item) ?? i.safetyStockFloor)),
        el('td', {}, n(p.safetyStock)), el('td', { dataset: { testid: 'rop' } }, n(p.reorderPoint)), el('td', { dataset: { testid: 'suggested' } }, p.suggestedQty ? n(p.suggestedQty, 0) : '—'),
        el('td', {}, p.purchaseOrder ? `${p.purchaseOrder} (${p.purchaseOrderStatus})` : '—'));
      const why = el('tr', { hidden: '' }, el('td', { colspan: '13', class: 'txt' },
        el('details', { class: 'why', open: '' }, el('summary', {}, t('planning.whySummary')), el('pre', {}, JSON.stringify(p.explanation, null, 2)))));
      tr.addEventListener('click', () => { why.hidden = !why.hidden; });
      body.append(tr, why);
    }
    // items without a lead time are not planned: each says so in words, with the field to fill in
    for (const s of plans.filter((x) => x.status === 'skipped')) {
      body.append(el('tr', { dataset: { testid: 'repl-row', item: s.item, status: 'skipped' } },
        el('td', {}, `${s.item} · ${s.explanation?.name ?? ''}`), el('td', {}, '—'), el('td', {}, '—'), el('td', {}, editor(s.item, 'leadTimeDays', null)),
        el('td', { colspan: '9', class: 'txt muted', dataset: { testid: 'skip-reason' } }, s.reason)));
    }
    if (!plans.length) body.append(el('tr', {}, el('td', { colspan: '13', class: 'txt muted' }, t('planning.noPlan'))));
  } catch (e) { if (load === replLoads) note('repl-body', e, 13); }
}

// the redraw that waited runs when the focus leaves the table's fields (not when it moves
// from one field to the next: the buyer is still editing)
$('repl-body').addEventListener('focusout', (e) => {
  const next = e.relatedTarget;
  const body = $('repl-body');
  if (!body.dataset.waiting || (next?.matches?.('input.plan-edit') && body.contains(next))) return;
  void loadReplenishment();
});

// ------------------------------------------------------------------ charts
const charts = {};
function drawLines(key, hostId, hoverId, series, xsMs, columns, unit) {
  const host = $(hostId);
  const first = xsMs.length ? xsMs[0] : Date.now() - 30 * DAY;
  const last = xsMs.length ? xsMs[xsMs.length - 1] : Date.now();
  const view = { from: first - DAY, to: last + DAY, profile: {}, alarms: [], unit };
  charts[key]?.destroy();
  host.replaceChildren();
  // uPlot asks for the view while it is being built: hand it the local one
  charts[key] = createChart(host, {
    sensors: series, envelope: false, width: Math.max(host.clientWidth, 300), height: 240,
    getView: () => view, onHover: (t) => { $(hoverId).textContent = t; },
  });
  const chart = charts[key];
  chart.setData([xsMs.map((x) => x / 1000), ...columns], true);
  host.dataset.points = String(xsMs.length);
}

async function loadSales(item) {
  try {
    const r = await get(`/api/analytics/sales-trend?item=${encodeURIComponent(item)}&${period()}&horizon=4`);
    // weeks the period cuts short are left off the chart (they would read as a drop in sales)
    const full = r.weeks.filter((w) => !w.partial);
    const xs = [...full.map((w) => weekMs(w.weekStart)), ...r.forecast.map((w) => weekMs(w.weekStart))];
    const actual = [...full.map((w) => w.qty), ...r.forecast.map(() => null)];
    // the forecast line starts at the last full week so the two lines join
    const forecast = xs.map((_, i) => (i === full.length - 1 ? full[i].qty : i >= full.length ? r.forecast[i - full.length].qty : null));
    drawLines('sales', 'sales-chart', 'sales-hover', [{ id: 'shipped', label: t('planning.series.shipped') }, { id: 'forecast', label: t('planning.series.forecast') }], xs, [actual, forecast], r.unit);
    $('sales-model').textContent = r.model.method === 'holt-linear'
      ? t('planning.holt', { alpha: r.model.alpha, beta: r.model.beta, trend: n(r.model.trend), unit: r.unit }) : t('planning.tooFewWeeks', { method: r.model.method });
  } catch (e) { $('sales-chart').replaceChildren(el('p', { class: 'muted' }, e.status === 403 ? t('planning.salesForbidden') : e.message)); }
}

async function loadPrices(item) {
  try {
    const r = await get(`/api/analytics/price-trend?item=${encodeURIComponent(item)}&${period()}`);
    const it = r.items[0];
    const pts = it?.points ?? [];
    // a month's price holds for the whole month: drawn as a step (month start and end), so a
    // single month is a visible line, not an invisible point
    const xs = [];
    const cols = [[], [], []];
    for (const p of pts) {
      const start = weekMs(`${p.month}-01`);
      const [y, m] = p.month.split('-').map(Number);
      for (const x of [start, Date.UTC(y, m, 1) - 60_000]) {
        xs.push(x);
        cols[0].push(p.avgPriceMinor / 100); cols[1].push(p.minPriceMinor / 100); cols[2].push(p.maxPriceMinor / 100);
      }
    }
    drawLines('price', 'price-chart', 'price-hover', [{ id: 'avg', label: t('planning.series.avg') }, { id: 'min', label: t('planning.series.min') }, { id: 'max', label: t('planning.series.max') }], xs, cols, it?.currency ?? '');
    $('price-chart').dataset.months = String(pts.length);
    $('price-change').textContent = it ? t('planning.priceChange', { currency: it.currency,
      change: it.changePct === null ? '' : t('planning.priceChangePct', { pct: `${it.changePct > 0 ? '+' : ''}${n(it.changePct, 1)}` }) }) : t('planning.noPurchases');
  } catch (e) {
    $('price-chart').replaceChildren(el('p', { class: 'muted', dataset: { testid: 'price-denied' } }, e.status === 403 ? t('planning.priceForbidden') : e.message));
  }
}

// ------------------------------------------------------------------ tables
async function loadOnTime() {
  try {
    const r = await get(`/api/analytics/supplier-on-time?${period()}`);
    $('ontime-body').replaceChildren(...r.suppliers.map((s) => el('tr', { dataset: { testid: 'ontime-row' } },
      el('td', {}, s.name ?? s.supplier), el('td', {}, s.onTime), el('td', {}, s.late), el('td', {}, s.overdue), el('td', {}, s.pending),
      el('td', { class: s.onTimeRate !== null && s.onTimeRate < 0.9 ? 'bad' : '' }, pct(s.onTimeRate)), el('td', {}, n(s.avgDelayDaysWhenLate, 1)))));
    if (!r.suppliers.length) note('ontime-body', new Error(t('planning.noPosDue')), 7);
  } catch (e) { note('ontime-body', e, 7); }
}

async function loadTurnover() {
  try {
    const r = await get(`/api/analytics/turnover?${period()}`);
    $('turnover-body').replaceChildren(...r.items.filter((i) => i.avgOnHand || i.outflow).map((i) => el('tr', { dataset: { testid: 'turnover-row' } },
      el('td', {}, `${i.item} · ${i.name}`), el('td', {}, `${n(i.avgOnHand)} ${i.unit}`), el('td', {}, n(i.outflow)), el('td', {}, n(i.turnover)), el('td', {}, n(i.turnoverDays, 1)))));
    $('turnover-total').textContent = r.total?.turnoverDays ? t('planning.turnoverTotal', { days: n(r.total.turnoverDays, 1) }) : '';
  } catch (e) { note('turnover-body', e, 5); }
}

async function loadCounts() {
  try {
    const r = await get(`/api/analytics/count-accuracy?${period()}`);
    const o = r.overall;
    $('count-overall').replaceChildren(el('span', { class: 'figure', dataset: { testid: 'count-line-accuracy' } }, pct(o.lineAccuracy)), el('span', { class: 'muted' }, t('planning.countOverall', { lines: o.lines, qty: pct(o.qtyAccuracy), sessions: o.sessions })));
    $('count-body').replaceChildren(...r.sessions.map((s) => el('tr', {},
      el('td', {}, s.id), el('td', { class: 'txt' }, s.location), el('td', {}, fmtDate(s.approvedAt)), el('td', {}, s.lines), el('td', {}, s.exactLines),
      el('td', {}, pct(s.lineAccuracy)), el('td', {}, pct(s.qtyAccuracy)))));
  } catch (e) { note('count-body', e, 7); }
}

async function loadItems() {
  const sel = $('item');
  try {
    const items = await get('/api/items');
    const keep = sel.value;
    sel.replaceChildren(...items.map((i) => el('option', { value: i.sku }, `${i.sku} · ${i.name}`)));
    if (keep) sel.value = keep;
  } catch { /* the panels show their own errors */ }
}

// ------------------------------------------------------------------ export
// The reports this role may read (GET /api/reports), each a CSV or PDF the server makes for the period
// shown; the reports page (reports.html) lists them too, with the admin's weekly e-mails.
let exportable = [];
function fillExports() {
  const sel = $('export-report');
  const keep = sel.value;
  sel.replaceChildren(...exportable.map((r) => el('option', { value: r.id }, r.title?.[currentLang()] ?? r.title?.en ?? r.id)));
  if (keep) sel.value = keep;
}

async function loadExports() {
  try { exportable = await get('/api/reports'); } catch { exportable = []; }
  fillExports();
}

for (const format of ['csv', 'pdf']) {
  $(`export-${format}`).addEventListener('click', async () => {
    const r = exportable.find((x) => x.id === $('export-report').value);
    if (!r) return;
    $('export-error').textContent = '';
    try { await downloadReport(r.id, r.params.includes('from') ? { from: $('from').value, to: $('to').value } : {}, format); }
    catch (e) { $('export-error').textContent = t('reports.exportFailed', { reason: e.message }); }
  });
}

async function refresh() {
  const item = $('item').value;
  await Promise.all([loadReplenishment(), loadOnTime(), loadTurnover(), loadCounts(), ...(item ? [loadSales(item), loadPrices(item)] : [])]);
  $('updated').textContent = t('common.updated', { time: fmtClock(Date.now()) });
}

initPage();
onLangChange(() => { fillExports(); void refresh(); });
const today = Date.now();
$('to').value = isoDay(today);
$('from').value = isoDay(today - 181 * DAY);
for (const id of ['from', 'to', 'item']) $(id).addEventListener('change', refresh);
$('reload').addEventListener('click', refresh);
const params = new URLSearchParams(location.search);
await Promise.all([loadItems(), loadExports()]);
if (params.get('item')) $('item').value = params.get('item');
await refresh();
setInterval(refresh, 60_000);
