// Channels and pools: protect a quantity of an item for one sales channel (PUT
// /api/channel-pools/:item/:channel). The pools in force are read from /api/stock (each item's
// pools), so the form shows what is protected now.
import { t } from './i18n.js';
import { fmtQty } from './format.js';
import { humanError } from './error-text.js';
import { clearErrors, el, showErrors } from './master-data-form.js';

export async function renderPools(form, { api, canWrite }) {
  const [items, stock] = await Promise.all([api('GET', '/api/items'), api('GET', '/api/stock')]);
  const field = (name, input) => el('div', { class: 'field' }, el('label', { for: `f-${name}` }, t(`md.f.${name}`)), input,
    el('div', { class: 'field-error', id: `f-${name}-err`, dataset: { testid: `error-${name}` } }));
  const item = el('select', { id: 'f-item', name: 'item', dataset: { testid: 'field-item' } },
    ...(items.status === 200 ? items.body : []).map((i) => el('option', { value: i.sku }, `${i.sku} · ${i.name}`)));
  const channel = el('input', { id: 'f-channel', name: 'channel', type: 'text', autocomplete: 'off', dataset: { testid: 'field-channel' } });
  const qty = el('input', { id: 'f-qty', name: 'qty', type: 'text', inputmode: 'decimal', dataset: { testid: 'field-qty' } });
  const current = el('ul', { dataset: { testid: 'pools-current' } });
  for (const row of stock.status === 200 ? stock.body : []) {
    for (const p of row.pools) current.append(el('li', {}, `${row.item} · ${p.channel}: ${fmtQty(p.qty)} ${row.unit}`));
  }
  form.replaceChildren(el('p', { class: 'muted wide field' }, t('md.pools.explain')), field('item', item), field('channel', channel), field('qty', qty));
  if (canWrite) form.append(el('div', { class: 'actions' }, el('button', { type: 'submit', dataset: { testid: 'md-save' } }, t('md.save'))));
  else form.append(el('p', { class: 'form-msg muted', dataset: { testid: 'md-readonly' } }, t('md.readOnly')));
  form.append(el('div', { class: 'field wide' }, el('h3', {}, t('md.pools.current')), current));
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    ev.stopImmediatePropagation();
    clearErrors(form);
    const n = Number(qty.value.replace(',', '.'));
    const r = await api('PUT', `/api/channel-pools/${encodeURIComponent(item.value)}/${encodeURIComponent(channel.value.trim() || '-')}`,
      { qty: qty.value.trim() === '' || !Number.isFinite(n) ? qty.value : n });
    const msg = form.querySelector('.form-msg') ?? el('p', { class: 'form-msg', dataset: { testid: 'md-message' } });
    if (r.status === 200) {
      await renderPools(form, { api, canWrite });
      const ok = el('p', { class: 'form-msg ok', dataset: { testid: 'md-message' } }, t('md.pools.saved', { qty: fmtQty(r.body.qty), item: r.body.item, channel: r.body.channel }));
      form.append(ok);
      return;
    }
    // a bad channel id is a path parameter: mark the channel field
    const details = (r.body?.details ?? []).map((d) => ({ ...d, field: String(d.field).replace(/^params\./, 'body.') }));
    showErrors(form, r.status, { ...r.body, details });
    msg.className = 'form-msg bad';
    msg.textContent = humanError(r.status, r.body);
    form.append(msg);
  };
}
