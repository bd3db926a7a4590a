// The lot temperature passport page: GET /api/lots/:id/exposure drawn with the dashboard's
// chart helper (chart.js: one line per sensor, min/max band, profile range, excursions shaded),
// the summary the quarantine rules judge, the evidence, and QA's release / reject with a reason.
// The lot comes from ?lot=ID (or the picker). QA buttons show for a quarantined lot; the API
// decides who may press them (403 for other roles).
import { createChart } from './chart.js';
import { fmtDateTime, fmtNum } from './format.js';
import { askForToken } from './token.js';
import { call as httpCall } from './panel-http.js';
import { initPage, onLangChange, t } from './i18n.js';

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (k === 'dataset') Object.assign(e.dataset, v); else e.setAttribute(k, v);
  e.append(...kids.map((k) => (k instanceof Node ? k : document.createTextNode(String(k)))));
  return e;
};
const when = (ms) => (ms === null || ms === undefined ? t('passport.stillThere') : fmtDateTime(ms));
const deg = (v) => (v === null || v === undefined ? '—' : `${fmtNum(v, 1)} °C`);
const mins = (m) => (m >= 120 ? t('passport.hours', { n: fmtNum(m / 60, 1) }) : t('passport.minutes', { n: fmtNum(m, 0) }));
const ruleText = (rule) => (t(`passport.rule.${rule}`) === `passport.rule.${rule}` ? rule.replace('_', ' ') : t(`passport.rule.${rule}`));

/** the API through panel-http.js; a 401 opens the sign-in box with the server's reason */
async function call(method, path, body) {
  try {
    return await httpCall(method, path, body);
  } catch (e) {
    if (e.status === 401) askForToken(e.body?.details?.[0]?.reason);
    throw e;
  }
}

let chart;
let view = { from: 0, to: 1, profile: {}, alarms: [], unit: '°C' };

function drawChart(p) {
  const host = $('pp-chart');
  const sensors = p.series.sensors.map((s) => ({ id: s.sensor, label: `${s.zone} · ${s.sensor}` }));
  view = {
    from: p.series.from ?? 0, to: p.series.to ?? 1, unit: '°C',
    profile: { low: p.profile.tempLow ?? undefined, high: p.profile.tempHigh ?? undefined },
    alarms: p.summary.excursions.map((x) => [x.from, x.to, 'critical']),
  };
  chart?.destroy();
  host.replaceChildren();
  chart = createChart(host, {
    sensors, envelope: true, getView: () => view, onHover: (t) => { $('pp-hover').textContent = t; },
    width: host.clientWidth || 800, height: host.clientHeight || 360,
  });
  const xs = p.series.t.map((t) => t / 1000);
  chart.setData([xs, ...p.series.sensors.map((s) => s.avg), ...p.series.sensors.flatMap((s) => [s.min, s.max])]);
}

function render(p) {
  $('pp-title').textContent = t('passport.heading.lot', { item: p.lot.item, code: p.lot.code, profile: p.profile.name });
  drawChart(p);
  $('pp-presence').replaceChildren(...p.presence.map((s) => el('tr', {}, el('td', {}, s.location), el('td', {}, s.zone ?? t('passport.notMeasured')), el('td', {}, when(s.from)), el('td', {}, when(s.to)))));
  const ex = p.summary.excursions;
  $('pp-excursions').replaceChildren(...(ex.length ? ex.map((x) => el('tr', { dataset: { testid: 'pp-excursion' } },
    el('td', {}, x.sensor), el('td', {}, when(x.from)), el('td', {}, x.ongoing ? t('passport.ongoing') : when(x.to)), el('td', {}, fmtNum(x.minutes, 0)),
    el('td', {}, x.direction === 'high' ? t('passport.max', { value: deg(x.max) }) : t('passport.min', { value: deg(x.min) }))))
    : [el('tr', {}, el('td', { colspan: '5', class: 'muted' }, t('passport.none')))]));
  const s = p.summary;
  const range = `${p.profile.tempLow ?? '−∞'} … ${p.profile.tempHigh ?? '+∞'} °C`;
  // [test id, label key, value]: the ids stay English whatever the language
  const rows = [
    ['range', 'range', range], ['in-range', 'inRange', mins(s.inRangeMinutes)], ['above', 'above', mins(s.aboveMinutes)], ['below', 'below', mins(s.belowMinutes)],
    ['no-data', 'noData', mins(s.noDataMinutes)], ['max-min', 'maxMin', `${deg(s.max)} / ${deg(s.min)}`],
    ['MKT', 'mkt', t('passport.mkt', { value: deg(s.mkt), dh: s.deltaHkJ })], ['worst-sensor', 'worstSensor', s.worstSensor ?? '—'],
  ];
  $('pp-summary').replaceChildren(...rows.map(([id, k, v]) => el('tr', { dataset: { testid: `pp-${id}` } }, el('th', {}, t(`passport.row.${k}`)), el('td', {}, v))));
  const q = p.quarantine;
  $('pp-status').replaceChildren(el('span', { class: `st-${q.status}` }, t(`lotStatus.${q.status}`)));
  $('pp-evidence').replaceChildren(...q.evidence.map((e) => el('li', { dataset: { testid: 'pp-evidence-item' } },
    t(e.quarantined ? 'passport.evidenceQuarantined' : 'passport.evidence', { rule: ruleText(e.rule), zone: e.zone, sensor: e.sensor, start: when(e.start),
      end: e.ongoing ? t('passport.ongoing') : when(e.end), minutes: fmtNum(e.minutes, 0), max: deg(e.maxTemp) }))));
  $('pp-history').replaceChildren(...q.history.map((h) => el('li', {}, t('passport.historyLine', { at: when(h.at), from: h.from ? t(`lotStatus.${h.from}`) : '—', to: t(`lotStatus.${h.to}`), actor: h.actor, reason: h.reason }))));
  $('pp-qa').hidden = q.status !== 'quarantined';
}

async function load(id) {
  if (!id) return;
  try {
    shown = await call('GET', `/api/lots/${id}/exposure`);
    render(shown);
  } catch (e) {
    $('pp-title').textContent = t('passport.lotFailed', { id, reason: e.message });
  }
}

let lotList = [];
let shown = null;   // the passport on screen, re-rendered in the new language
function fillLots() {
  const select = $('lot-select');
  const keep = select.value;
  select.replaceChildren(el('option', { value: '' }, t('passport.pickOption')),
    ...lotList.map((l) => el('option', { value: String(l.id) }, t('passport.lotOption', { item: l.item, code: l.code, status: t(`lotStatus.${l.status}`) }))));
  select.value = keep;
}

async function init() {
  initPage();
  onLangChange(() => { fillLots(); if (shown) render(shown); });
  const params = new URLSearchParams(location.search);
  const select = $('lot-select');
  try {
    const lots = await call('GET', '/api/lots');
    lotList = lots;
    fillLots();
  } catch (e) {
    select.replaceChildren(el('option', { value: '' }, t('passport.lotsFailed', { reason: e.message })));
  }
  const id = params.get('lot');
  if (id) select.value = id;
  select.addEventListener('change', () => {
    history.replaceState(null, '', `?lot=${select.value}${location.hash}`);
    void load(select.value);
  });
  $('pp-qa').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const action = ev.submitter?.value;
    const reason = $('pp-reason').value.trim();
    try {
      await call('POST', `/api/lots/${select.value}/${action}`, { reason });
      $('pp-qa-msg').textContent = t(action === 'reject' ? 'passport.rejected' : 'passport.released');
      $('pp-reason').value = '';
      await load(select.value);
    } catch (e) {
      $('pp-qa-msg').textContent = t(action === 'reject' ? 'passport.rejectRefused' : 'passport.releaseRefused', { reason: e.message });
    }
  });
  window.addEventListener('resize', () => chart?.setSize({ width: $('pp-chart').clientWidth, height: $('pp-chart').clientHeight }));
  await load(id);
}

void init();
