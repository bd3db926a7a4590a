// Reports and approvals: every role exports the reports it may read (CSV or PDF, the server's file);
// an admin also keeps the weekly report e-mails and the purchase-order approval rules, with the
// rules' change history from the audit log. A non-admin is not offered the admin sections at all
// (the API refuses them anyway).
import { call } from './panel-http.js';
import { browserTimeZone, fmtDateTime, fmtNum } from './format.js';
import { initPage, onLangChange, t, currentLang } from './i18n.js';
import { downloadReport } from './report-download.js';

const $ = (id) => document.getElementById(id);
const DAY = 86_400_000;
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (k === 'dataset') Object.assign(e.dataset, v); else e.setAttribute(k, v);
  e.append(...kids.map((k) => (k instanceof Node ? k : document.createTextNode(String(k)))));
  return e;
};
const option = (value, text, selected = false) => Object.assign(el('option', { value }, text), { selected });
const titleOf = (r) => r.title?.[currentLang()] ?? r.title?.en ?? r.id;

let me = { role: null };
let reports = [];
let rules = null;

// ------------------------------------------------------------------ export
function renderExports() {
  const body = $('export-body');
  body.replaceChildren(...reports.map((r) => {
    const button = (format, label) => {
      const btn = el('button', { type: 'button', dataset: { testid: `export-${format}`, report: r.id } }, label);
      btn.addEventListener('click', async () => {
        $('export-error').textContent = '';
        btn.disabled = true;
        try { await downloadReport(r.id, r.params.includes('from') ? { from: $('from').value, to: $('to').value } : {}, format); }
        catch (e) { $('export-error').textContent = t('reports.exportFailed', { reason: e.message }); }
        finally { btn.disabled = false; }
      });
      return btn;
    };
    return el('tr', { dataset: { testid: 'export-row', report: r.id } }, el('td', {}, titleOf(r)),
      el('td', { class: 'export-files' }, button('csv', t('reports.exportCsv')), ' ', button('pdf', t('reports.exportPdf'))));
  }));
  if (!reports.length) body.append(el('tr', {}, el('td', { colspan: '2', class: 'muted' }, t('reports.noReports'))));
}

// ------------------------------------------------------------------ approval rules
const major = (minor) => fmtNum(minor / 100, 2);
const summary = (r) => (r?.levels ?? []).map((l, i) => `${t(`role.${l.role}`)}${i === 0 ? '' : ` > ${major(l.aboveMinor)}`}`).join(' → ') + (r?.sequential ? ` ${t('reports.inOrder')}` : '');

function levelRow(level, i, roles) {
  const role = el('select', { 'aria-label': t('reports.roleLabel', { level: i + 1 }), dataset: { testid: 'level-role', field: `body.levels.${i}.role` } },
    ...roles.map((r) => option(r, t(`role.${r}`), r === level.role)));
  role.addEventListener('change', () => { level.role = role.value; });
  let amount;
  if (i === 0) amount = el('span', { class: 'muted' }, t('reports.always'));
  else {
    amount = el('input', { type: 'number', min: '0', step: '0.01', inputmode: 'decimal', class: 'amount', 'aria-label': t('reports.aboveLabel', { level: i + 1 }),
      dataset: { testid: 'level-above', field: `body.levels.${i}.aboveMinor` } });
    amount.value = String(level.aboveMinor / 100);
    amount.addEventListener('input', () => { level.aboveMinor = amount.value === '' ? NaN : Math.round(Number(amount.value) * 100); });
  }
  const remove = el('button', { type: 'button', dataset: { testid: 'remove-level' } }, t('reports.removeLevel'));
  remove.addEventListener('click', () => { rules.levels.splice(i, 1); renderRules(); });
  return el('tr', { dataset: { testid: 'level-row' } }, el('td', {}, String(i + 1)), el('td', {}, role), el('td', {}, amount), el('td', {}, i === 0 ? '' : remove));
}

function renderRules() {
  $('levels-body').replaceChildren(...rules.levels.map((l, i) => levelRow(l, i, rules.approverRoles)));
  $('sequential').checked = rules.sequential;
  $('rules-source').textContent = rules.source === 'config' ? t('reports.sourceConfig') : t('reports.sourceTable', { who: rules.updatedBy, at: fmtDateTime(rules.updatedAt) });
  $('history-body').replaceChildren(...rules.history.map((h) => el('tr', { dataset: { testid: 'history-row' } },
    el('td', {}, fmtDateTime(h.at)), el('td', {}, h.actor), el('td', { class: 'change' }, summary(h.before)), el('td', { class: 'change' }, summary(h.after)))));
  if (!rules.history.length) $('history-body').append(el('tr', {}, el('td', { colspan: '4', class: 'muted' }, t('reports.noHistory'))));
}

async function loadRules() {
  rules = await call('GET', '/api/approval-rules');
  renderRules();
}

async function saveRules() {
  $('rules-error').textContent = '';
  $('rules-note').textContent = '';
  for (const x of document.querySelectorAll('#approval-panel [aria-invalid]')) x.removeAttribute('aria-invalid');
  const body = { levels: rules.levels.map((l, i) => ({ role: l.role, aboveMinor: i === 0 ? 0 : l.aboveMinor })), sequential: $('sequential').checked };
  try {
    await call('PUT', '/api/approval-rules', body);
    await loadRules();
    $('rules-note').textContent = t('reports.saved');
  } catch (e) {
    // the field the server names (body.levels.1.aboveMinor) is marked where it is edited
    for (const d of e.body?.details ?? []) document.querySelector(`#approval-panel [data-field="${CSS.escape(d.field)}"]`)?.setAttribute('aria-invalid', 'true');
    $('rules-error').textContent = e.message;
  }
}

// ------------------------------------------------------------------ schedules
const RECIPIENTS = ['warehouse', 'purchasing', 'sales', 'finance', 'qa', 'viewer', 'admin'];

function fillForm() {
  const keep = (id) => $(id).value;
  const was = { report: keep('s-report'), weekday: keep('s-weekday') || '1', hour: keep('s-hour') || '8', role: keep('s-role'), locale: keep('s-locale') || currentLang() };
  $('s-report').replaceChildren(...reports.map((r) => option(r.id, titleOf(r), r.id === was.report)));
  $('s-weekday').replaceChildren(...[1, 2, 3, 4, 5, 6, 7].map((d) => option(String(d), t(`reports.weekday.${d}`), String(d) === was.weekday)));
  $('s-hour').replaceChildren(...Array.from({ length: 24 }, (_, h) => option(String(h), `${String(h).padStart(2, '0')}:00`, String(h) === was.hour)));
  $('s-role').replaceChildren(...RECIPIENTS.map((r) => option(r, t(`role.${r}`), r === was.role)));
  $('s-locale').replaceChildren(...['en', 'zh-CN'].map((l) => option(l, t(`reports.locale.${l}`), l === was.locale)));
  if (!$('s-timezone').value) $('s-timezone').value = browserTimeZone();
}

async function loadSchedules() {
  const list = await call('GET', '/api/report-schedules');
  const byId = new Map(reports.map((r) => [r.id, r]));
  $('schedules-body').replaceChildren(...list.map((s) => {
    const del = el('button', { type: 'button', dataset: { testid: 'delete-schedule' } }, t('reports.delete'));
    del.addEventListener('click', async () => {
      try { await call('DELETE', `/api/report-schedules/${s.id}`); await loadSchedules(); } catch (e) { $('schedule-error').textContent = e.message; }
    });
    return el('tr', { dataset: { testid: 'schedule-row', report: s.report } },
      el('td', {}, byId.has(s.report) ? titleOf(byId.get(s.report)) : s.report),
      el('td', {}, t('reports.weekly', { weekday: t(`reports.weekday.${s.weekday}`), hour: String(s.hour).padStart(2, '0'), timezone: s.timezone })),
      el('td', {}, t(`role.${s.role}`)), el('td', {}, t(`reports.locale.${s.locale}`)),
      el('td', {}, s.lastOccurrence ? fmtDateTime(s.lastOccurrence) : t('reports.never')), el('td', {}, del));
  }));
  if (!list.length) $('schedules-body').append(el('tr', {}, el('td', { colspan: '6', class: 'muted' }, t('reports.noSchedules'))));
}

async function addSchedule(ev) {
  ev.preventDefault();
  $('schedule-error').textContent = '';
  for (const x of document.querySelectorAll('#schedule-form [aria-invalid]')) x.removeAttribute('aria-invalid');
  const v = (id) => $(id).value;
  try {
    await call('POST', '/api/report-schedules', {
      report: v('s-report'), weekday: Number(v('s-weekday')), hour: Number(v('s-hour')), timezone: v('s-timezone').trim(), role: v('s-role'), locale: v('s-locale'),
    });
    await loadSchedules();
  } catch (e) {
    for (const d of e.body?.details ?? []) document.querySelector(`#schedule-form [name="${CSS.escape(d.field.replace(/^body\./, '').split('.')[0])}"]`)?.setAttribute('aria-invalid', 'true');
    $('schedule-error').textContent = e.message;
  }
}

// ------------------------------------------------------------------ page
async function render() {
  renderExports();
  if (me.role !== 'admin') return;
  fillForm();
  renderRules();
  await loadSchedules();
}

async function start() {
  initPage();
  $('to').value = isoDay(Date.now());
  $('from').value = isoDay(Date.now() - 7 * DAY);
  try {
    [me, reports] = await Promise.all([call('GET', '/api/me'), call('GET', '/api/reports')]);
  } catch (e) {
    $('export-error').textContent = e.message;
    return;
  }
  const admin = me.role === 'admin';
  $('approval-panel').hidden = !admin;
  $('schedules-panel').hidden = !admin;
  $('admin-only').hidden = admin;
  if (admin) {
    $('add-level').addEventListener('click', () => {
      const last = rules.levels[rules.levels.length - 1];
      const free = rules.approverRoles.find((r) => !rules.levels.some((l) => l.role === r)) ?? rules.approverRoles[0];
      rules.levels.push({ role: free, aboveMinor: last ? last.aboveMinor : 0 });
      renderRules();
    });
    $('save-rules').addEventListener('click', saveRules);
    $('schedule-form').addEventListener('submit', addSchedule);
    await loadRules();
  }
  await render();
  onLangChange(() => void render());
  document.body.dataset.ready = 'true';
}

await start();
