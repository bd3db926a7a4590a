// The count sheet of a count session: every stock position (bin, item, lot) under the session's
// location, with the ledger's figure and, where a scale weighs that bin, the scale's figure
// beside the counted one (a tap copies it). Scanning a label finds (or adds) the row of that item
// and lot and counts the case. Submitting turns differences into proposals; finance approves
// them into count corrections (or sends the bin back for a recount).
import { t } from './i18n.js';
import { call, el, showError } from './doc-common.js';
import { fmtDateTime, fmtQty } from './format.js';
import { scanBox } from './scan.js';
import { getItems, getLocations } from './doc-items.js';

export async function countSheet(d, after) {
  const [stock, weighings, locs, items] = await Promise.all([
    call('GET', `/api/stock?location=${encodeURIComponent(d.location)}`), call('GET', '/api/bin-weighings').catch(() => []), getLocations(), getItems(),
  ]);
  const under = new Set([d.location]);
  for (let grew = true; grew;) { grew = false; for (const l of locs) if (l.parent && under.has(l.parent) && !under.has(l.id)) { under.add(l.id); grew = true; } }
  const bins = [...under].filter((id) => locs.find((l) => l.id === id)?.kind === 'bin');
  const form = el('form', { class: 'doc-form count', 'data-testid': 'count-sheet' });
  const tbody = el('tbody', {});
  const rows = [];
  const addRow = (p) => {
    const scale = weighings.find((w) => w.location === p.location && w.item === p.item);
    const counted = el('input', { type: 'number', min: '0', step: 'any', 'data-field': `lines.${rows.length}.counted`, 'data-testid': 'counted', 'aria-label': t('doc.col.counted'), placeholder: t('doc.notCounted') });
    const row = { ...p, counted, tr: null };
    row.tr = el('tr', { 'data-testid': 'count-row', 'data-item': p.item, 'data-lot': p.lot ?? '', 'data-location': p.location },
      el('td', { 'data-label': t('doc.col.location') }, p.location), el('td', { 'data-label': t('doc.col.item') }, p.item),
      el('td', { 'data-label': t('doc.col.lot') }, p.lot ?? t('common.none')),
      el('td', { 'data-label': t('doc.col.system'), 'data-testid': 'system' }, fmtQty(p.onHand)),
      el('td', { 'data-label': t('doc.col.scale') }, scale ? el('button', {
        type: 'button', class: 'btn small', 'data-testid': 'use-scale', title: t('doc.scaleAt', { time: fmtDateTime(scale.weighedAt) }),
        onclick: () => { counted.value = String(scale.weighed); },
      }, t('doc.useScale', { qty: fmtQty(scale.weighed) })) : t('common.none')),
      el('td', { 'data-label': t('doc.col.counted') }, counted));
    rows.push(row);
    tbody.append(row.tr);
    return row;
  };
  for (const s of stock) for (const l of s.lines) if (under.has(l.location)) addRow({ item: s.item, lot: l.lot, location: l.location, onHand: l.onHand });
  const binSel = el('select', { 'data-testid': 'scan-bin', 'aria-label': t('doc.col.location') }, ...bins.map((b) => el('option', { value: b }, b)));
  const scan = scanBox({
    testid: 'count-scan',
    onScan: (s) => {
      s.gtin ??= s.contentGtin;   // a case label: (02) the GTIN of its contents, (37) how many
      const item = items.find((i) => i.gtin && String(i.gtin).padStart(14, '0') === s.gtin);
      if (!item) throw new Error(t('scan.unknownGtin', { gtin: s.gtin ?? '' }));
      let row = rows.find((r) => r.item === item.sku && (r.lot ?? null) === (s.lot ?? null) && r.location === binSel.value)
        ?? rows.find((r) => r.item === item.sku && (r.lot ?? null) === (s.lot ?? null));
      row ??= addRow({ item: item.sku, lot: s.lot ?? null, location: binSel.value, onHand: 0 });
      row.counted.value = String(Math.round((Number(row.counted.value || 0) + Number(s.count ?? 1)) * 1e6) / 1e6);
      row.tr.classList.add('scanned');
      return t('scan.counted', { item: item.sku, lot: s.lot ?? t('common.none'), qty: fmtQty(Number(row.counted.value)) });
    },
  });
  const submit = el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'action-submit' }, t('doc.do.submitCount'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const counted = rows.filter((r) => r.counted.value !== '');
    if (!counted.length) return showError(form, { message: t('doc.nothingCounted'), details: [] });
    submit.disabled = true;
    try {
      await call('POST', `/api/count-sessions/${d.id}/submit`, {
        lines: counted.map((r) => ({ item: r.item, ...(r.lot ? { lot: r.lot } : {}), location: r.location, counted: Number(r.counted.value) })),
      });
      await after();
    } catch (err) { showError(form, err); submit.disabled = false; }
  });
  form.append(el('h3', {}, t('doc.countHeading', { location: d.location })), el('p', { class: 'muted' }, t('doc.countExplain')),
    el('div', { class: 'scan-where' }, el('span', {}, t('doc.scanInto')), binSel), scan,
    el('table', { class: 'doc-lines' }, el('thead', {}, el('tr', {}, ...['doc.col.location', 'doc.col.item', 'doc.col.lot', 'doc.col.system', 'doc.col.scale', 'doc.col.counted'].map((k) => el('th', {}, t(k))))), tbody), submit);
  return form;
}

/** what the submitted count would correct: expected, counted, difference per position */
export function proposalsTable(d) {
  return el('section', { class: 'doc-form', 'data-testid': 'proposals' }, el('h3', {}, t('doc.proposalsHeading')),
    el('table', { class: 'doc-lines' }, el('thead', {}, el('tr', {}, ...['doc.col.location', 'doc.col.item', 'doc.col.lot', 'doc.col.system', 'doc.col.counted', 'doc.col.diff'].map((k) => el('th', {}, t(k))))),
      el('tbody', {}, ...d.data.proposals.map((p) => el('tr', { 'data-testid': 'proposal', 'data-item': p.item },
        el('td', { 'data-label': t('doc.col.location') }, p.location), el('td', { 'data-label': t('doc.col.item') }, p.item),
        el('td', { 'data-label': t('doc.col.lot') }, p.lot ?? t('common.none')), el('td', { 'data-label': t('doc.col.system') }, fmtQty(p.expected)),
        el('td', { 'data-label': t('doc.col.counted') }, fmtQty(p.counted)),
        el('td', { 'data-label': t('doc.col.diff'), class: p.diff < 0 ? 'neg' : 'pos', 'data-testid': 'diff' }, `${p.diff > 0 ? '+' : ''}${fmtQty(p.diff)}`))))));
}
