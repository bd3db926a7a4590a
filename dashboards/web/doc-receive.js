// Receiving a purchase order: one row per ordered item with what is still due, the lot, its
// expiry and a quarantine hold, into a location. Scanning a case (GS1-128 / DataMatrix / Digital
// Link, or a typed EAN) finds the row by GTIN, fills lot and expiry, and counts the case (its AI 37
// count, else 1); the clerk's scan is the confirmation the receipt rests on. Part receipts are
// fine: what is not received stays due.
import { t } from './i18n.js';
import { call, el, field, showError } from './doc-common.js';
import { fmtQty } from './format.js';
import { scanBox } from './scan.js';
import { getItems, getLocations } from './doc-items.js';

export async function receiveForm(d, after) {
  const locs = (await getLocations()).filter((l) => l.kind !== 'site');
  const received = d.data?.received ?? {};
  const key = `ui-receive-${d.id}-${crypto.randomUUID()}`;   // a double tap posts one receipt
  const form = el('form', { class: 'doc-form receive', 'data-testid': 'receive-form' });
  const loc = el('select', { name: 'location', 'data-field': 'location', 'data-testid': 'receive-location' },
    ...locs.map((l) => el('option', { value: l.id }, `${l.name ?? l.id} (${l.id})`)));
  const rows = d.lines.map((l, i) => {
    const due = Math.max(0, Math.round((l.qty - (received[l.item] ?? 0)) * 1e6) / 1e6);
    const qty = el('input', { type: 'number', min: '0', step: 'any', value: '0', 'data-field': `lines.${i}.qty`, 'data-testid': 'rcv-qty', 'aria-label': t('doc.col.qty') });
    const lot = el('input', { value: l.lot ?? '', 'data-field': `lines.${i}.lot`, 'data-testid': 'rcv-lot', 'aria-label': t('doc.col.lot'), maxlength: '64' });
    const exp = el('input', { type: 'date', 'data-field': `lines.${i}.expiresOn`, 'data-testid': 'rcv-expiry', 'aria-label': t('doc.col.expiry') });
    const hold = el('input', { type: 'checkbox', 'data-testid': 'rcv-quarantine', 'aria-label': t('doc.col.quarantine') });
    const tr = el('tr', { 'data-item': l.item, 'data-testid': 'rcv-row' },
      el('td', { 'data-label': t('doc.col.item') }, l.item), el('td', { 'data-label': t('doc.col.due') }, fmtQty(due)),
      el('td', { 'data-label': t('doc.col.qty') }, qty), el('td', { 'data-label': t('doc.col.lot') }, lot),
      el('td', { 'data-label': t('doc.col.expiry') }, exp), el('td', { 'data-label': t('doc.col.quarantine') }, hold));
    return { item: l.item, due, qty, lot, exp, hold, tr };
  });
  const scan = scanBox({
    testid: 'receive-scan',
    onScan: (s) => {
      s.gtin ??= s.contentGtin;   // a case label: the GTIN of its contents (02) with their count (37)
      if (!s.gtin) throw new Error(t('scan.needGtin'));
      return applyScan(s);
    },
  });
  function applyScan(s) {
    const row = rows.find((r) => r.gtin === s.gtin);
    if (!row) throw new Error(t('scan.notOnOrder', { gtin: s.gtin }));
    if (s.lot) row.lot.value = s.lot;
    if (s.expiresOn) row.exp.value = s.expiresOn;
    const n = Number(s.count ?? 1);
    row.qty.value = String(Math.round((Number(row.qty.value || 0) + n) * 1e6) / 1e6);
    row.tr.classList.add('scanned');
    return t('scan.receivedLine', { item: row.item, qty: fmtQty(Number(row.qty.value)), lot: s.lot ?? t('common.none') });
  }
  // GTINs of the order's items, known before the first scan
  const all = await getItems();
  for (const r of rows) {
    const it = all.find((i) => i.sku === r.item);
    r.gtin = it?.gtin ? String(it.gtin).padStart(14, '0') : null;
  }
  const submit = el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'action-receive' }, t('doc.do.receive'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const lines = rows.map((r, i) => ({ r, i })).filter(({ r }) => Number(r.qty.value) > 0).map(({ r }) => ({
      item: r.item, qty: Number(r.qty.value), ...(r.lot.value.trim() ? { lot: r.lot.value.trim() } : {}),
      ...(r.exp.value ? { expiresOn: r.exp.value } : {}), quarantine: r.hold.checked,
    }));
    if (!lines.length) return showError(form, { message: t('doc.nothingToReceive'), details: [] });
    // field paths in the API's answer count the lines sent; point them back at the rows on screen
    const sent = rows.map((r, i) => ({ r, i })).filter(({ r }) => Number(r.qty.value) > 0).map(({ i }) => i);
    submit.disabled = true;
    try {
      await call('POST', `/api/purchase-orders/${d.id}/receive`, { location: loc.value, idempotencyKey: key, lines });
      await after();
    } catch (err) {
      err.details = (err.details ?? []).map((x) => ({ ...x, field: String(x.field).replace(/^(body\.)?lines\.(\d+)/, (_m, _b, n) => `lines.${sent[Number(n)] ?? n}`) }));
      showError(form, err);
      submit.disabled = false;
    }
  });
  form.append(el('h3', {}, t('doc.receiveHeading')), scan, field('doc.col.location', loc),
    el('table', { class: 'doc-lines' }, el('thead', {}, el('tr', {}, ...['doc.col.item', 'doc.col.due', 'doc.col.qty', 'doc.col.lot', 'doc.col.expiry', 'doc.col.quarantine'].map((k) => el('th', {}, t(k))))),
      el('tbody', {}, ...rows.map((r) => r.tr))), submit);
  return form;
}
