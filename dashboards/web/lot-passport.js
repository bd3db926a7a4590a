// The lot temperature passport page: GET /api/lots/:id/exposure drawn with the dashboard's
// chart helper (chart.js: one line per sensor, min/max band, profile range, excursions shaded),
// the summary the quarantine rules judge, the evidence, and QA's release / reject with a reason.
// The lot comes from ?lot=ID (or the picker). QA buttons show for a quarantined lot; the API
// decides who may press them (403 for other roles).
import { createChart } from './chart.js';
import { fmtDateTime, fmtNum } from './format.js';
import { askForToken, authHeader } from './token.js';
import { humanError } from './error-text.js';

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (k === 'dataset') Object.assign(e.dataset, v); else e.setAttribute(k, v);
  e.append(...kids.map((k) => (k instanceof Node ? k : document.createTextNode(String(k)))));
  return e;
};
const when = (ms) => (ms === null || ms === undefined ? 'still there' : fmtDateTime(ms));
const deg = (v) => (v === null || v === undefined ? '—' : `${fmtNum(v, 1)} °C`);
const mins = (m) => (m >= 120 ? `${fmtNum(m / 60, 1)} h` : `${fmtNum(m, 0)} min`);

async function call(method, path, body) {
  const res = await fetch(path, {
    method, cache: 'no-store',
    headers: { accept: 'application/json', ...authHeader(), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => null);
  if (res.status === 401) askForToken(json?.details?.[0]?.reason);
  if (!res.ok) throw new Error(humanError(res.status, json));
  return json;
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
  $('pp-title').textContent = `${p.lot.item} · lot ${p.lot.code} · profile ${p.profile.name}`;
  drawChart(p);
  $('pp-presence').replaceChildren(...p.presence.map((s) => el('tr', {}, el('td', {}, s.location), el('td', {}, s.zone ?? '(not measured)'), el('td', {}, when(s.from)), el('td', {}, when(s.to)))));
  const ex = p.summary.excursions;
  $('pp-excursions').replaceChildren(...(ex.length ? ex.map((x) => el('tr', { dataset: { testid: 'pp-excursion' } },
    el('td', {}, x.sensor), el('td', {}, when(x.from)), el('td', {}, x.ongoing ? 'ongoing' : when(x.to)), el('td', {}, fmtNum(x.minutes, 0)),
    el('td', {}, x.direction === 'high' ? `max ${deg(x.max)}` : `min ${deg(x.min)}`)))
    : [el('tr', {}, el('td', { colspan: '5', class: 'muted' }, 'none'))]));
  const s = p.summary;
  const range = `${p.profile.tempLow ?? '−∞'} … ${p.profile.tempHigh ?? '+∞'} °C`;
  const rows = [
    ['range', range], ['in range', mins(s.inRangeMinutes)], ['above', mins(s.aboveMinutes)], ['below', mins(s.belowMinutes)],
    ['no data', mins(s.noDataMinutes)], ['max / min', `${deg(s.max)} / ${deg(s.min)}`],
    ['MKT', `${deg(s.mkt)} (ΔH ${s.deltaHkJ} kJ/mol)`], ['worst sensor', s.worstSensor ?? '—'],
  ];
  $('pp-summary').replaceChildren(...rows.map(([k, v]) => el('tr', { dataset: { testid: `pp-${k.replace(/\W+/g, '-')}` } }, el('th', {}, k), el('td', {}, v))));
  const q = p.quarantine;
  $('pp-status').replaceChildren(el('span', { class: `st-${q.status}` }, q.status));
  $('pp-evidence').replaceChildren(...q.evidence.map((e) => el('li', { dataset: { testid: 'pp-evidence-item' } },
    `${e.rule.replace('_', ' ')} · ${e.zone}/${e.sensor} · ${when(e.start)} → ${e.ongoing ? 'ongoing' : when(e.end)} · ${fmtNum(e.minutes, 0)} min · max ${deg(e.maxTemp)}${e.quarantined ? ' · quarantined the lot' : ''}`)));
  $('pp-history').replaceChildren(...q.history.map((h) => el('li', {}, `${when(h.at)} ${h.from ?? '—'} → ${h.to} by ${h.actor}: ${h.reason}`)));
  $('pp-qa').hidden = q.status !== 'quarantined';
}

async function load(id) {
  if (!id) return;
  try {
    render(await call('GET', `/api/lots/${id}/exposure`));
  } catch (e) {
    $('pp-title').textContent = `lot ${id}: ${e.message}`;
  }
}

async function init() {
  const params = new URLSearchParams(location.search);
  const select = $('lot-select');
  try {
    const lots = await call('GET', '/api/lots');
    select.replaceChildren(el('option', { value: '' }, '— pick a lot —'),
      ...lots.map((l) => el('option', { value: String(l.id) }, `${l.item} · ${l.code} (${l.status})`)));
  } catch (e) {
    select.replaceChildren(el('option', { value: '' }, `lots: ${e.message}`));
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
      $('pp-qa-msg').textContent = `${action}d`;
      $('pp-reason').value = '';
      await load(select.value);
    } catch (e) {
      $('pp-qa-msg').textContent = `${action} refused: ${e.message}`;
    }
  });
  window.addEventListener('resize', () => chart?.setSize({ width: $('pp-chart').clientWidth, height: $('pp-chart').clientHeight }));
  await load(id);
}

void init();
