// One document: its state machine (where it is, where it has been), the timeline of transitions
// (action, who, role, when, note), what is waiting and for whom, its lines, and the actions the
// caller may take now (the API's `may` list). Actions that need more than a click (receive,
// ship, count, return receipt, inspection) open their own form (doc-receive.js, doc-pick.js,
// doc-count.js, doc-return.js).
import { t } from './i18n.js';
import { call, el, showError } from './doc-common.js';
import { fmtDateTime, fmtQty, fmtNum } from './format.js';
import { receiveForm } from './doc-receive.js';
import { pickPanel } from './doc-pick.js';
import { countSheet, proposalsTable } from './doc-count.js';
import { returnForm } from './doc-return.js';

/** the main path through each machine (side exits such as cancelled are shown when taken) */
export const STATES = {
  'purchase-orders': ['draft', 'submitted', 'approved', 'partially_received', 'received', 'closed'],
  'sales-orders': ['confirmed', 'reserved', 'picked', 'shipped'],
  returns: ['requested', 'received', 'closed'],
  'count-sessions': ['open', 'submitted', 'approved'],
};
/** actions that are one click (with an optional note) */
const SIMPLE = new Set(['submit', 'approve', 'reject', 'close', 'cancel', 'reserve', 'pick']);

function stateStrip(path, d) {
  const main = STATES[path];
  const seen = new Set(d.events.map((e) => e.to));
  const list = main.includes(d.status) ? main : [...main, d.status];
  const at = list.indexOf(d.status);
  return el('ol', { class: 'states', 'data-testid': 'states' }, ...list.map((s, i) => el('li', {
    class: `${s === d.status ? 'now' : i < at || seen.has(s) ? 'done' : 'todo'}`, 'data-state': s, 'aria-current': s === d.status ? 'step' : undefined,
  }, t(`doc.state.${s}`))));
}

function timeline(d) {
  return el('ol', { class: 'timeline', 'data-testid': 'timeline' }, ...d.events.map((e) => el('li', { 'data-action': e.action },
    el('div', { class: 'tl-what' }, t('doc.event', { action: t(`doc.action.${e.action}`), to: t(`doc.state.${e.to}`) })),
    el('div', { class: 'muted' }, t('doc.eventBy', { actor: e.actor, role: t(`role.${e.role}`), time: fmtDateTime(e.at) })),
    e.note ? el('div', { class: 'muted' }, e.note) : null)));
}

function waiting(d) {
  if (!d.waiting.length) return el('p', { class: 'muted', 'data-testid': 'waiting' }, t('doc.waitingNone'));
  return el('ul', { class: 'waiting', 'data-testid': 'waiting' }, ...d.waiting.map((w) => el('li', { 'data-role': w.role, 'data-action': w.action },
    t('doc.waitingFor', { action: t(`task.${w.action}`), role: t(`role.${w.role}`), since: fmtDateTime(w.since) }))));
}

function lines(path, d) {
  const received = d.data?.received ?? {};
  const cost = d.lines.some((l) => l.priceMinor !== undefined);
  const head = ['doc.col.item', 'doc.col.qty', ...(path === 'purchase-orders' ? ['doc.col.received'] : []), ...(path === 'returns' ? ['doc.col.lot'] : []), ...(cost ? ['doc.col.price'] : [])];
  return el('table', { class: 'doc-lines', 'data-testid': 'doc-lines' },
    el('thead', {}, el('tr', {}, ...head.map((k) => el('th', {}, t(k))))),
    el('tbody', {}, ...d.lines.map((l) => el('tr', { 'data-item': l.item },
      el('td', { 'data-label': t('doc.col.item') }, l.item), el('td', { 'data-label': t('doc.col.qty') }, fmtQty(l.qty ?? l.counted)),
      path === 'purchase-orders' ? el('td', { 'data-label': t('doc.col.received') }, fmtQty(received[l.item] ?? 0)) : null,
      path === 'returns' ? el('td', { 'data-label': t('doc.col.lot') }, l.lot ?? t('common.none')) : null,
      cost ? el('td', { 'data-label': t('doc.col.price') }, l.priceMinor === undefined ? '' : `${fmtNum(l.priceMinor / 100, 2)} ${d.currency ?? ''}`) : null))));
}

function approvals(d) {
  const req = d.data?.requiredApprovals;
  if (!req) return null;
  const given = d.data.approvals ?? [];
  return el('ul', { class: 'approvals', 'data-testid': 'approvals' }, ...req.map((role) => {
    const a = given.find((x) => x.role === role);
    return el('li', { class: a ? 'done' : 'todo', 'data-role': role },
      a ? t('doc.approvedBy', { role: t(`role.${role}`), by: a.by, time: fmtDateTime(a.at) }) : t('doc.approvalPending', { role: t(`role.${role}`) }));
  }));
}

function simpleActions(path, d, after) {
  // a count is submitted with its sheet (doc-count.js), not with a bare click
  const actions = d.may.filter((a) => SIMPLE.has(a) && !(path === 'count-sessions' && a === 'submit'));
  if (!actions.length) return null;
  const form = el('form', { class: 'doc-actions', 'data-testid': 'actions' });
  const note = el('input', { name: 'note', 'data-field': 'note', placeholder: t('doc.notePlaceholder'), 'aria-label': t('doc.notePlaceholder'), maxlength: '1000' });
  form.append(note, ...actions.map((a) => el('button', {
    type: 'button', class: `btn${a === 'cancel' || a === 'reject' ? ' danger' : ' primary'}`, 'data-testid': `action-${a}`,
    onclick: async (ev) => {
      ev.target.disabled = true;
      try {
        await call('POST', `/api/${path}/${d.id}/${a}`, note.value.trim() ? { note: note.value.trim() } : {});
        await after();
      } catch (e) { showError(form, e); ev.target.disabled = false; }
    },
  }, t(`doc.do.${a}`))));
  return form;
}

export async function renderDocument(main, path, id, abilities, onChange) {
  const d = await call('GET', `/api/${path}/${id}`);
  const reload = async () => { await renderDocument(main, path, id, abilities, onChange); onChange?.(); };
  const partner = d.partner ?? d.location ?? '';
  const extra = [];
  if (path === 'purchase-orders' && d.may.includes('receive')) extra.push(await receiveForm(d, reload));
  if (path === 'sales-orders' && (d.status === 'picked' || d.status === 'shipped')) extra.push(pickPanel(d, reload));
  if (path === 'count-sessions' && d.may.includes('submit')) extra.push(await countSheet(d, reload));
  if (path === 'count-sessions' && d.data?.proposals?.length) extra.push(proposalsTable(d));
  if (path === 'returns' && (d.may.includes('receive') || d.may.includes('inspect'))) extra.push(await returnForm(d, reload));
  main.replaceChildren(el('article', { class: 'panel doc-panel', 'data-testid': 'document', 'data-id': String(d.id), 'data-status': d.status },
    el('div', { class: 'doc-head' },
      el('h2', {}, t('doc.heading', { type: t(`doc.one.${path}`), id: d.id })),
      el('span', { class: `state st-${d.status}`, 'data-testid': 'doc-status' }, t(`doc.state.${d.status}`)),
      partner ? el('span', { class: 'muted' }, partner) : null,
      d.amountMinor ? el('span', { class: 'muted', 'data-testid': 'amount' }, `${fmtNum(d.amountMinor / 100, 2)} ${d.currency ?? ''}`) : null),
    stateStrip(path, d),
    el('div', { class: 'doc-grid' },
      el('section', {}, el('h3', {}, t('doc.waitingHeading')), waiting(d), approvals(d), el('h3', {}, t('doc.linesHeading')), lines(path, d),
        simpleActions(path, d, reload), ...extra),
      el('section', {}, el('h3', {}, t('doc.historyHeading')), timeline(d)))));
}
