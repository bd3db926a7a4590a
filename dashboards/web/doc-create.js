// New documents: a purchase order (supplier, lines with price), a sales order (customer, lines),
// a count session (a location: a bin, or a zone with its bins), a return (a shipped sales order,
// why, what comes back). Validation errors land at the field the API names.
import { t } from './i18n.js';
import { call, el, field, showError } from './doc-common.js';
import { getItems, getLocations } from './doc-items.js';

function lineEditor(items, { price, lot }) {
  const body = el('tbody', {});
  const add = () => {
    const i = body.children.length;
    body.append(el('tr', { 'data-testid': 'line' },
      el('td', { 'data-label': t('doc.col.item') }, el('select', { 'data-field': `lines.${i}.item`, 'data-testid': 'line-item', 'aria-label': t('doc.col.item') }, ...items.map((it) => el('option', { value: it.sku }, `${it.sku} · ${it.name}`)))),
      el('td', { 'data-label': t('doc.col.qty') }, el('input', { type: 'number', min: '0', step: 'any', 'data-field': `lines.${i}.qty`, 'data-testid': 'line-qty', 'aria-label': t('doc.col.qty') })),
      lot ? el('td', { 'data-label': t('doc.col.lot') }, el('input', { 'data-field': `lines.${i}.lot`, 'data-testid': 'line-lot', 'aria-label': t('doc.col.lot') })) : null,
      price ? el('td', { 'data-label': t('doc.col.price') }, el('input', { type: 'number', min: '0', step: '0.01', 'data-field': `lines.${i}.priceMinor`, 'data-testid': 'line-price', 'aria-label': t('doc.col.price') })) : null));
  };
  add();
  const heads = ['doc.col.item', 'doc.col.qty', ...(lot ? ['doc.col.lot'] : []), ...(price ? ['doc.col.price'] : [])];
  const table = el('table', { class: 'doc-lines' }, el('thead', {}, el('tr', {}, ...heads.map((k) => el('th', {}, t(k))))), body);
  const read = () => [...body.children].map((tr) => {
    const v = (sel) => tr.querySelector(sel)?.value ?? '';
    return {
      item: v('[data-testid=line-item]'), qty: v('[data-testid=line-qty]') === '' ? undefined : Number(v('[data-testid=line-qty]')),
      ...(lot && v('[data-testid=line-lot]') ? { lot: v('[data-testid=line-lot]') } : {}),
      ...(price ? { priceMinor: v('[data-testid=line-price]') === '' ? undefined : Math.round(Number(v('[data-testid=line-price]')) * 100) } : {}),
    };
  });
  return { el: el('div', {}, table, el('button', { type: 'button', class: 'btn', 'data-testid': 'add-line', onclick: add }, t('doc.addLine'))), read };
}

export async function renderCreate(main, path, abilities) {
  const form = el('form', { class: 'panel doc-panel doc-form', 'data-testid': 'create-form' });
  const items = await getItems();
  let read;
  if (path === 'purchase-orders') {
    const suppliers = await call('GET', '/api/suppliers');
    const sup = el('select', { 'data-field': 'supplier', 'data-testid': 'supplier' }, ...suppliers.map((s) => el('option', { value: s.id }, s.name ?? s.id)));
    const lines = lineEditor(items, { price: abilities.costVisible, lot: false });
    const note = el('input', { 'data-field': 'note', maxlength: '1000' });
    form.append(field('doc.supplier', sup), lines.el, field('doc.note', note));
    read = () => ({ supplier: sup.value, lines: lines.read(), ...(note.value.trim() ? { note: note.value.trim() } : {}) });
  } else if (path === 'sales-orders') {
    const customers = await call('GET', '/api/customers');
    const cus = el('select', { 'data-field': 'customer', 'data-testid': 'customer' }, ...customers.map((c) => el('option', { value: c.id }, c.name ?? c.id)));
    const lines = lineEditor(items, { price: false, lot: false });
    form.append(field('doc.customer', cus), lines.el);
    read = () => ({ customer: cus.value, lines: lines.read() });
  } else if (path === 'count-sessions') {
    const locs = (await getLocations()).filter((l) => l.kind !== 'site');
    const loc = el('select', { 'data-field': 'location', 'data-testid': 'count-location' }, ...locs.map((l) => el('option', { value: l.id }, `${l.name ?? l.id} (${l.id})`)));
    form.append(field('doc.col.location', loc));
    read = () => ({ location: loc.value });
  } else {
    const shipped = await call('GET', '/api/sales-orders?status=shipped');
    const so = el('select', { 'data-field': 'salesOrder', 'data-testid': 'return-so' }, ...shipped.map((s) => el('option', { value: String(s.id) }, `${s.id} · ${s.partner}`)));
    const reason = el('input', { 'data-field': 'reason', 'data-testid': 'return-reason', maxlength: '500' });
    const lines = lineEditor(items, { price: false, lot: true });
    form.append(field('doc.salesOrder', so), field('doc.reason', reason), lines.el);
    read = () => ({ salesOrder: Number(so.value), reason: reason.value, lines: lines.read() });
  }
  const submit = el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'create' }, t(`doc.new.${path}`));
  form.prepend(el('h2', {}, t(`doc.new.${path}`)));
  form.append(submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      const d = await call('POST', `/api/${path}`, read());
      location.hash = `#/${path}/${d.id}`;
    } catch (err) { showError(form, err); submit.disabled = false; }
  });
  main.replaceChildren(form);
}
