// Wiring: controls (range, refresh, operator), the polling loop, connection state.
// Data already on screen is kept when the cloud is unreachable; the banner says so.

import * as api from './api.js';
import { AlertList } from './alert-list.js';
import { DevicesPanel } from './devices-panel.js';
import { NotificationsPanel } from './notifications-panel.js';
import { JobsPanel } from './jobs-panel.js';
import { GatewaysPanel } from './gateways-panel.js';
import { BinWeighingsPanel, DockActivityPanel } from './stock-devices-panels.js';
import { fmtClock, fmtDuration } from './format.js';
import { renderSensorStrip } from './sensor-strip.js';
import { SimBox } from './sim-box.js';
import { DEFAULT_RANGE, DEFAULT_REFRESH, findRange, findRefresh, RANGES, REFRESHES } from './time-range.js';
import { ZonePanel } from './zone-panel.js';
import { connectLiveEvents } from './live-events.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const state = {
  range: findRange(params.get('range') ?? DEFAULT_RANGE),
  refresh: findRefresh(params.get('refresh') ?? DEFAULT_REFRESH),
  zones: new Map(),
  panels: new Map(),
  lastUpdated: 0,
  reachable: null,
  inFlight: false,
  again: false,
  timer: 0,
};

const OPERATOR_KEY = 'stockpulse.operator';
const operatorInput = $('operator');
operatorInput.value = localStorage.getItem(OPERATOR_KEY) || 'operator';
operatorInput.addEventListener('change', () => localStorage.setItem(OPERATOR_KEY, operatorInput.value.trim()));

const alertList = new AlertList($('alerts'), {
  zoneName: (id) => state.zones.get(id)?.name ?? id,
  onAck: async (id) => {
    const by = operatorInput.value.trim() || 'operator';
    return api.ackAlert(id, by);
  },
});
// an Acknowledge pressed in the pinned strip (alert-strip.js) shows in the list at once
document.addEventListener('sp:alert-acked', (e) => alertList.upsert(e.detail));
const simBox = new SimBox($('sim'));
const devicesPanel = new DevicesPanel($('devices'), { zoneName: (id) => state.zones.get(id)?.name ?? id });
// who was told about each alert (a line under every alert row) and the latest deliveries
const notificationsPanel = new NotificationsPanel($('notifications'), $('alerts'));
const jobsPanel = new JobsPanel($('jobs'));
// the gateway registry: admin only (hidden for other roles)
const gatewaysPanel = new GatewaysPanel($('gateways'));
// dock door passes and weighed bins vs the ledger (stock-devices-panels.js)
const dockPanel = new DockActivityPanel($('dock'));
const binsPanel = new BinWeighingsPanel($('bins'));

// ---- controls -------------------------------------------------------------------------------

function persistControls() {
  const p = new URLSearchParams(location.search);
  p.set('range', state.range.key);
  p.set('refresh', state.refresh.key);
  history.replaceState(null, '', `${location.pathname}?${p}`);
}

function renderControls() {
  $('range-buttons').innerHTML = RANGES.map(
    (r) => `<button type="button" data-range="${r.key}" data-testid="range-${r.key}" title="${r.label}" aria-pressed="${r.key === state.range.key}">${r.key}</button>`,
  ).join('');
  $('refresh-select').innerHTML = REFRESHES.map((r) => `<option value="${r.key}" ${r.key === state.refresh.key ? 'selected' : ''}>${r.label}</option>`).join('');
}

$('range-buttons').addEventListener('click', (e) => {
  const b = e.target.closest('button[data-range]');
  if (!b) return;
  state.range = findRange(b.dataset.range);
  renderControls();
  persistControls();
  refresh();
});
$('refresh-select').addEventListener('change', (e) => {
  state.refresh = findRefresh(e.target.value);
  persistControls();
  schedule();
});
$('refresh-now').addEventListener('click', () => refresh());

// ---- connection state -----------------------------------------------------------------------

function setReachable(ok, detail = '') {
  state.reachable = ok;
  $('banner').hidden = ok;
  $('banner-detail').textContent = detail;
  document.body.classList.toggle('offline', !ok);
  const c = $('conn');
  c.className = `conn ${ok ? 'conn-ok' : 'conn-down'}`;
  c.querySelector('.conn-text').textContent = ok ? 'live' : 'offline';
}

function renderHealth(h) {
  if (h.site) $('site-name').textContent = h.site;
  const mqtt = h.mqtt?.connected;
  $('health').innerHTML = `<span class="chip ${mqtt ? 'chip-ok' : 'chip-bad'}">MQTT ${mqtt ? 'connected' : 'DISCONNECTED'}</span>
    <span class="chip">${h.db?.engine ?? 'db'}${h.db?.timescale ? ' + timescale' : ''}</span>
    <span class="chip chip-dim">v${h.version ?? '?'}</span>`;
}

function tickClock() {
  const now = Date.now();
  $('clock').textContent = fmtClock(now);
  $('updated').textContent = state.lastUpdated ? `updated ${fmtClock(state.lastUpdated)} · ${fmtDuration(now - state.lastUpdated)} ago` : 'not updated yet';
}
setInterval(tickClock, 1000);
tickClock();

// ---- polling ----------------------------------------------------------------------------------

function schedule() {
  clearTimeout(state.timer);
  // Auto refresh off still retries while the cloud is unreachable, so the banner goes away by itself.
  const ms = state.refresh.ms || (state.reachable === false ? 10_000 : 0);
  if (ms) state.timer = setTimeout(refresh, ms);
}

function syncPanels(zones) {
  const root = $('zones');
  const ids = new Set(zones.map((z) => z.id));
  for (const [id, p] of state.panels) if (!ids.has(id)) (p.destroy(), state.panels.delete(id));
  for (const z of zones) {
    let p = state.panels.get(z.id);
    if (!p) state.panels.set(z.id, (p = new ZonePanel(z)));
    p.zone = z;
    root.appendChild(p.el);
  }
  root.dataset.count = String(zones.length);
}

function mergeAlerts(active, recent) {
  const byId = new Map();
  // an info record still open (a defrost in progress) is not a problem: like ?state=active and the
  // alert strip, the Active list leaves it out; it shows under "recently cleared" once it ends
  for (const a of recent) if (!(a.state === 'active' && a.severity === 'info')) byId.set(a.id, a);
  for (const a of active) byId.set(a.id, a);
  return [...byId.values()];
}

async function refresh() {
  if (state.inFlight) return void (state.again = true);
  state.inFlight = true;
  clearTimeout(state.timer);
  const now = Date.now();
  try {
    const [health, zones, sensors, active, recent] = await Promise.allSettled([
      api.getHealth(),
      api.getZones(),
      api.getSensors(),
      api.getAlerts({ state: 'active', limit: 200 }),
      api.getAlerts({ state: 'all', limit: 200 }),
    ]);
    const failures = [health, zones, sensors, active, recent].filter((r) => r.status === 'rejected').map((r) => r.reason);
    const down = failures.find((e) => e?.unreachable);
    if (down) {
      alertList.showStatus(down.message);
      setReachable(false, down.status ? `(the server answered ${down.status})` : `(${down.details?.[0]?.reason ?? 'no answer'})`);
      return;
    }
    if (health.status === 'fulfilled') renderHealth(health.value);
    if (zones.status === 'fulfilled') {
      // Tolerate a zone without sensors/latest yet (gateway manifest arrived, no readings).
      for (const z of zones.value) (z.sensors ??= []), (z.latest ??= []), (z.profile ??= {});
      state.zones = new Map(zones.value.map((z) => [z.id, z]));
      if (!health.value?.site && zones.value[0]?.site) $('site-name').textContent = zones.value[0].site;
      // zone panels are cold-chain charts with threshold bands: rooms with a temperature profile or
      // probes; the dock and the weighed bins have their own panels (stock-devices-panels.js)
      syncPanels(zones.value.filter((z) => z.profile.low !== undefined || z.profile.high !== undefined || z.sensors.some((s) => s.kind === 'temperature')));
    }
    const activeList = active.status === 'fulfilled' ? active.value : [];
    const all = mergeAlerts(activeList, recent.status === 'fulfilled' ? recent.value : []);
    if (active.status === 'fulfilled') alertList.render(all, now);
    else alertList.showStatus(active.reason?.message ?? 'Alerts unavailable');
    if (sensors.status === 'fulfilled') renderSensorStrip($('sensors'), sensors.value, state.zones, now);

    const readings = [...state.panels.values()].map(async (p) => {
      p.updateInfo(p.zone, activeList, now);
      try {
        await p.refreshReadings(state.range.ms, all.filter((a) => a.zone === p.zone.id), now);
        p.showError('');
      } catch (err) {
        p.showError(err.message);
        if (err.unreachable) throw err;
      }
    });
    const rs = await Promise.allSettled([...readings, simBox.refresh(), devicesPanel.refresh(now), notificationsPanel.refresh(now), jobsPanel.refresh(now), gatewaysPanel.refresh(now), dockPanel.refresh(now), binsPanel.refresh(now)]);
    const lost = rs.find((r) => r.status === 'rejected');
    if (lost) return setReachable(false, '');
    setReachable(true);
    state.lastUpdated = Date.now();
    tickClock();
    document.body.dataset.ready = 'true';
  } finally {
    state.inFlight = false;
    if (state.again) {
      state.again = false;
      queueMicrotask(refresh);
    } else schedule();
  }
}

renderControls();
persistControls();
refresh();

// ---- live updates -----------------------------------------------------------------------------
// A batch committed on any cloud instance (or a `resync`) refreshes the panels, at most once per
// LIVE_MIN_GAP_MS: a busy site commits many batches a second. The refresh timer stays the fallback.
const LIVE_MIN_GAP_MS = 2000;
let liveTimer = 0;
connectLiveEvents({
  onEvent: (type) => {
    if (type === 'hello' || liveTimer) return;
    const wait = Math.max(0, state.lastUpdated + LIVE_MIN_GAP_MS - Date.now());
    liveTimer = setTimeout(() => { liveTimer = 0; refresh(); }, wait);
  },
  onOpen: () => (document.body.dataset.live = 'true'),
  onDown: () => (document.body.dataset.live = 'false'),
});
