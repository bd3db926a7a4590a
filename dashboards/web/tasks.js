// Tasks: where work arrives. The caller's role's open tasks (admin: everyone's), counted per kind
// in the header, each opening the page and document it is about: a purchase order to approve or
// receive, a sales order to reserve, pick or ship, a bin to count, a count to approve, a lot to
// release (the lot passport), a supplier to pay. Tasks with no action in stockpulse (pay, invoice)
// are marked done here once done elsewhere. Refreshes every 10 s.
import { initPage, onLangChange, t } from './i18n.js';
import { call, el, ROUTE_OF } from './doc-common.js';
import { fmtClock, fmtDateTime } from './format.js';

const REFRESH_MS = 10_000;
/**
 * tasks closed by hand: payment and invoicing happen outside stockpulse; a lot's inspection is
 * closed by QA's release or reject on the lot passport (in the same transaction), and by hand
 * when the lot was dealt with another way
 */
const BY_HAND = new Set(['pay', 'invoice', 'inspect_lot']);
let lots = null;

async function linkOf(task) {
  if (task.action === 'inspect_lot') {
    // the lot is named in the task (goods receipt tasks carry the lot code): open its passport
    const code = /lot (\S+) of (\S+)/.exec(task.title);
    lots ??= await call('GET', '/api/lots').catch(() => []);
    const lot = code && lots.find((l) => l.code === code[1] && l.item === code[2]);
    return lot ? `lot-passport.html?lot=${lot.id}` : 'lot-passport.html';
  }
  const route = ROUTE_OF[task.documentType];
  return route ? `documents.html#/${route}/${task.documentId}` : 'documents.html';
}

function taskText(task) {
  const code = /lot (\S+) of (\S+)/.exec(task.title);
  return t(`task.title.${task.action}`, { id: task.documentId, type: t(`doc.one.${ROUTE_OF[task.documentType] ?? 'purchase-orders'}`), lot: code?.[1] ?? '', item: code?.[2] ?? '' });
}

async function render(tasks, role) {
  const counts = new Map();
  for (const x of tasks) counts.set(x.action, (counts.get(x.action) ?? 0) + 1);
  document.getElementById('counts').replaceChildren(
    el('span', { class: 'count-total', 'data-testid': 'count-total' }, t('tasks.total', { count: tasks.length })),
    ...[...counts].map(([action, n]) => el('span', { class: 'chip', 'data-testid': 'count', 'data-action': action }, `${t(`task.${action}`)} ${n}`)));
  document.getElementById('role').textContent = t('tasks.forRole', { role: t(`role.${role}`) });
  const list = document.getElementById('tasks');
  const items = [];
  for (const task of tasks) {
    const href = await linkOf(task);
    items.push(el('li', { 'data-testid': 'task', 'data-action': task.action, 'data-role': task.role, 'data-document': String(task.documentId) },
      el('a', { class: 'task-open', href, 'data-testid': 'task-open' }, el('strong', {}, taskText(task)),
        el('span', { class: 'muted' }, t('tasks.line', { role: t(`role.${task.role}`), state: t(`doc.state.${task.documentStatus}`), time: fmtDateTime(task.createdAt) }))),
      BY_HAND.has(task.action) ? el('button', { class: 'btn', 'data-testid': 'task-done', onclick: async (e) => {
        e.target.disabled = true;
        try { await call('POST', `/api/tasks/${task.id}/done`); await refresh(); } catch (err) { e.target.disabled = false; e.target.title = err.message; }
      } }, t('tasks.markDone')) : null));
  }
  list.replaceChildren(...items);
  if (!tasks.length) list.append(el('li', { class: 'muted', 'data-testid': 'no-tasks' }, t('common.nothingToDo')));
}

async function refresh() {
  try {
    const [me, tasks] = await Promise.all([call('GET', '/api/document-abilities'), call('GET', '/api/tasks')]);
    await render(tasks, me.role);
    document.getElementById('updated').textContent = t('common.updated', { time: fmtClock(Date.now()) });
  } catch (e) {
    document.getElementById('updated').textContent = t('common.notUpdatedBecause', { reason: e.message });
  }
}

initPage();
onLangChange(() => refresh());
refresh();
setInterval(refresh, REFRESH_MS);
