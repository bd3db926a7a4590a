// Transfers and adjustments are movements, not documents: a transfer moves stock between two
// locations; an adjustment books stock found (into a location) or lost (out of one), with a
// reason. Both go to POST /api/movements, the ledger's only door, and are listed in the ledger.
import { t } from './i18n.js';
import { call, el, field, showError } from './doc-common.js';
import { fmtDateTime, fmtQty } from './format.js';
import { getItems, getLocations } from './doc-items.js';

export async function renderMovements(main) {
  const [items, locs] = await Promise.all([getItems(), getLocations()]);
  const places = locs.filter((l) => l.kind !== 'site');
  const opt = (l) => el('option', { value: l.id }, `${l.name ?? l.id} (${l.id})`);
  const form = el('form', { class: 'panel doc-panel doc-form', 'data-testid': 'movement-form' });
  const kind = el('select', { 'data-field': 'kind', 'data-testid': 'mv-kind' }, el('option', { value: 'transfer' }, t('doc.mv.transfer')), el('option', { value: 'adjustment_in' }, t('doc.mv.found')), el('option', { value: 'adjustment_out' }, t('doc.mv.lost')));
  const item = el('select', { 'data-field': 'item', 'data-testid': 'mv-item' }, ...items.map((i) => el('option', { value: i.sku }, `${i.sku} · ${i.name}`)));
  const lot = el('input', { 'data-field': 'lot', 'data-testid': 'mv-lot', maxlength: '64' });
  const from = el('select', { 'data-field': 'from', 'data-testid': 'mv-from' }, ...places.map(opt));
  const to = el('select', { 'data-field': 'to', 'data-testid': 'mv-to' }, ...places.map(opt));
  const qty = el('input', { type: 'number', min: '0', step: 'any', 'data-field': 'qty', 'data-testid': 'mv-qty' });
  const note = el('input', { 'data-field': 'note', 'data-testid': 'mv-note', maxlength: '1000' });
  const fromF = field('doc.mv.from', from), toF = field('doc.mv.to', to);
  const sync = () => { fromF.hidden = kind.value === 'adjustment_in'; toF.hidden = kind.value === 'adjustment_out'; };
  kind.addEventListener('change', sync);
  sync();
  const list = el('div', { 'data-testid': 'mv-list' });
  const submit = el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'mv-post' }, t('doc.mv.post'));
  const key = () => `ui-mv-${crypto.randomUUID()}`;
  let idem = key();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const k = kind.value.startsWith('adjustment') ? 'adjustment' : 'transfer';
    const body = {
      kind: k, item: item.value, qty: qty.value === '' ? undefined : Number(qty.value), idempotencyKey: idem,
      ...(lot.value.trim() ? { lot: lot.value.trim() } : {}), ...(note.value.trim() ? { note: note.value.trim() } : {}),
      ...(kind.value !== 'adjustment_in' ? { from: from.value } : {}), ...(kind.value !== 'adjustment_out' ? { to: to.value } : {}),
    };
    submit.disabled = true;
    try {
      await call('POST', '/api/movements', body);
      idem = key();
      showError(form, null);
      qty.value = ''; note.value = '';
      await recent();
    } catch (err) { showError(form, err); }
    submit.disabled = false;
  });
  async function recent() {
    const rows = await call('GET', '/api/movements?limit=10').catch(() => []);
    const mine = (Array.isArray(rows) ? rows : rows.movements ?? []).filter((m) => m.kind === 'transfer' || m.kind === 'adjustment');
    list.replaceChildren(el('h3', {}, t('doc.mv.recent')), el('ul', { class: 'timeline' }, ...mine.map((m) => el('li', { 'data-testid': 'mv-row' },
      t('doc.mv.line', { kind: t(`doc.mv.kind.${m.kind}`), item: m.item, qty: fmtQty(m.qty), from: m.from ?? '—', to: m.to ?? '—', time: fmtDateTime(m.at ?? m.ts ?? Date.now()) })))));
  }
  form.append(el('h2', {}, t('doc.type.movements')), field('doc.mv.kind', kind), field('doc.col.item', item), field('doc.col.lot', lot), fromF, toF, field('doc.col.qty', qty), field('doc.mv.reason', note), submit);
  main.replaceChildren(form, el('section', { class: 'panel doc-panel' }, list));
  await recent();
}
