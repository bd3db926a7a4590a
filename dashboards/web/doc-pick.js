// A picked sales order: the pick list FEFO chose (item, lot, bin, quantity), each pick confirmed
// by scanning the case (the lot on the label must be the lot picked: a different lot is named as
// a problem, never silently swapped), then shipped. After shipping the list stays as the record.
import { t } from './i18n.js';
import { call, el, showError } from './doc-common.js';
import { fmtQty } from './format.js';
import { scanBox } from './scan.js';
import { getItems } from './doc-items.js';

export function pickPanel(d, after) {
  const picks = d.data?.picks ?? [];
  const shipped = d.data?.portal?.shipped ?? [];
  const form = el('form', { class: 'doc-form pick', 'data-testid': 'pick-panel' });
  const rows = picks.map((p, i) => el('tr', { 'data-testid': 'pick-row', 'data-item': p.item, 'data-lot': p.lot ?? '' },
    el('td', { 'data-label': t('doc.col.item') }, p.item), el('td', { 'data-label': t('doc.col.lot') }, p.lot ?? t('common.none')),
    el('td', { 'data-label': t('doc.col.location') }, p.location), el('td', { 'data-label': t('doc.col.qty') }, fmtQty(p.qty)),
    el('td', { 'data-label': t('doc.col.shipped'), 'data-testid': 'pick-shipped' }, fmtQty(shipped[i] ?? (d.status === 'shipped' ? p.qty : 0))),
    el('td', { 'data-label': t('doc.col.scanned'), 'data-testid': 'pick-scanned' }, '')));
  const canShip = d.may.includes('ship');
  let gtins = null;
  const scan = canShip ? scanBox({
    testid: 'pick-scan',
    onScan: (s) => {
      s.gtin ??= s.contentGtin;   // a case label: (02) the GTIN of its contents, (37) how many
      if (!gtins) throw new Error(t('common.loading'));
      const item = gtins.get(s.gtin);
      if (!item) throw new Error(t('scan.notOnOrder', { gtin: s.gtin ?? '' }));
      const i = picks.findIndex((p, k) => p.item === item && (!s.lot || p.lot === s.lot) && !rows[k].classList.contains('scanned'));
      if (i < 0) {
        const want = picks.filter((p) => p.item === item).map((p) => p.lot).join(', ');
        throw new Error(t('scan.wrongLot', { lot: s.lot ?? '', item, want }));
      }
      rows[i].classList.add('scanned');
      rows[i].querySelector('[data-testid=pick-scanned]').textContent = '✓';
      return t('scan.pickConfirmed', { item, lot: picks[i].lot ?? t('common.none') });
    },
  }) : null;
  getItems().then((all) => { gtins = new Map(all.filter((x) => x.gtin).map((x) => [String(x.gtin).padStart(14, '0'), x.sku])); });
  const ship = canShip ? el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'action-ship' }, t('doc.do.ship')) : null;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    ship.disabled = true;
    try { await call('POST', `/api/sales-orders/${d.id}/ship`, {}); await after(); } catch (err) { showError(form, err); ship.disabled = false; }
  });
  form.append(el('h3', {}, t('doc.picksHeading')), scan,
    el('table', { class: 'doc-lines' }, el('thead', {}, el('tr', {}, ...['doc.col.item', 'doc.col.lot', 'doc.col.location', 'doc.col.qty', 'doc.col.shipped', 'doc.col.scanned'].map((k) => el('th', {}, t(k))))),
      el('tbody', {}, ...rows)), ship);
  return form;
}
