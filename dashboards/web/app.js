// Wiring: the time bar (range, zoom, zone filter, refresh), the polling loop, live updates,
// connection state. Data already on screen is kept when the cloud is unreachable; the banner says so.
//
// The window and the bucket belong to the page, not to a panel: every zone panel asks for the
// same bucket (picked from the window and the narrowest plot), so two panels side by side show
// the same time slices, and a drag-zoom on one moves all of them (and the URL).

import * as api from './api.js';
import { AlertList } from './alert-list.js';
import { DevicesPanel } from './devices-panel.js';
import { NotificationsPanel } from './notifications-panel.js';
import { JobsPanel } from './jobs-panel.js';
import { GatewaysPanel } from './gateways-panel.js';
import { BinWeighingsPanel, DockActivityPanel } from './stock-devices-panels.js';
import { fmtClock } from './format.js';
import { span } from './dash-words.js';
import { initPage, onLangChange, t } from './i18n.js';
import { renderSensorStrip } from './sensor-strip.js';
import { SimBox } from './sim-box.js';
import { absolute, findRange, findRefresh, fitRange, parseState, pickBucketSec, resolveView, shift, stateToSearch, zoomOut } from './time-range.js';
import { ZonePanel } from './zone-panel.js';
import { connectLiveEvents } from './live-events.js';
import { createTimeBar } from './chart-controls.js';

const $ = (id) => document.getElementById(id);
// static words of index.html and the language switch in the header, before anything renders
initPage();

/** the URL's view as page state (the zone filter is `zoneFilter`: `zones` is the zones by id) */
const fromUrl = (s) => ({ range: s.range, from: s.from, to: s.to, refresh: s.refresh, explicit: s.explicit, zoneFilter: s.zones });

const state = {
  // the view (range or from/to), the zone filter and auto refresh: all in the URL (time-range.js)
  ...fromUrl(parseState(location.search)),
  /** the view before the first zoom / shift: what Reset goes back to */
  zoomBase: null,
  /** the default range fitted to the data (once, when the URL chose none) */
  fitted: null,
  full: new URLSearchParams(location.search).get('full'),
  zones: new Map(),
  chartZones: [],
  activeList: [],
  allAlerts: [],
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


// ---- the view: URL, time bar, panels ---------------------------------------------------------

const view = () => ({ range: state.range, from: state.from, to: state.to, zones: state.zoneFilter, refresh: state.refresh });

function writeUrl(push) {
  const p = new URLSearchParams(stateToSearch(view(), location.search));
  if (state.full) p.set('full', state.full);
  else p.delete('full');
  const url = `${location.pathname}?${p}${location.hash}`;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

const timeBar = createTimeBar($('time-bar'), {
  onRange: (key) => setView({ ...view(), range: findRange(key), from: null, to: null }, { clearZoom: true }),
  onAbsolute: (from, to) => setView(absolute(view(), from, to), { clearZoom: true }),
  onShift: (dir) => setView(shift(view(), dir)),
  onZoomOut: () => setView(zoomOut(view())),
  onReset: () => state.zoomBase && setView(state.zoomBase, { clearZoom: true }),
  onZones: (ids) => {
    state.zoneFilter = ids;
    writeUrl(true);
    renderBar();
    syncPanels();
    reloadCharts();
  },
  onRefresh: (key) => {
    state.refresh = findRefresh(key);
    writeUrl(false);
    renderBar();
    schedule();
  },
  onRefreshNow: () => refresh(),
});

function renderBar() {
  timeBar.render({ state: view(), win: resolveView(state), zones: state.chartZones, zoomed: !!state.zoomBase });
}

/** A new window from the time bar or a drag-zoom: a history entry (Back undoes it), then reload. */
function setView(next, { clearZoom = false } = {}) {
  if (clearZoom) state.zoomBase = null;
  else state.zoomBase ??= view();
  Object.assign(state, { range: next.range, from: next.from, to: next.to });
  writeUrl(true);
  renderBar();
  reloadCharts();
}

window.addEventListener('popstate', () => {
  const s = parseState(location.search);
  Object.assign(state, fromUrl(s));
  if (!s.explicit && state.fitted) state.range = state.fitted;
  state.zoomBase = null;
  setFull(new URLSearchParams(location.search).get('full'), false);
  renderBar();
  syncPanels();
  reloadCharts();
});

// Full screen: one panel over the page; Esc or Back leaves (it is a history entry). Opened from
// a link (?full=zone) there is no entry of ours to go back to: leaving just drops the parameter.
let fullPushed = false;
function setFull(zoneId, push) {
  fullPushed = !!(zoneId && push);
  state.full = zoneId || null;
  if (fullPushed) writeUrl(true);
  document.body.classList.toggle('has-full', !!state.full);
  for (const [id, p] of state.panels) p.setFull(id === state.full);
}
function leaveFull() {
  if (fullPushed) return history.back();
  setFull(null, false);
  writeUrl(false);
}
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && state.full) leaveFull();
});

const chartable = (z) => z.profile.low !== undefined || z.profile.high !== undefined || z.sensors.some((s) => s.kind === 'temperature');
const shown = (z) => !state.zoneFilter.length || state.zoneFilter.includes(z.id) || state.zoneFilter.includes(z.site);

function syncPanels() {
  const root = $('zones');
  const zones = state.chartZones.filter(shown);
  const ids = new Set(zones.map((z) => z.id));
  for (const [id, p] of state.panels) if (!ids.has(id)) (p.destroy(), state.panels.delete(id));
  for (const z of zones) {
    let p = state.panels.get(z.id);
    if (!p) {
      p = new ZonePanel(z, {
        syncKey: 'sp-zones',
        onZoom: (a, b) => setView(absolute(view(), a, b)),
        onFull: (id) => (state.full === id ? leaveFull() : setFull(id, true)),
      });
      state.panels.set(z.id, p);
      p.setFull(state.full === z.id);
    }
    p.zone = z;
    p.updateInfo(z, state.activeList);
    root.appendChild(p.el);
  }
  root.dataset.count = String(zones.length);
}

/** One bucket for every panel: the window over the narrowest plot, at most a point per pixel. */
function pageBucket(win) {
  const widths = [...state.panels.values()].map((p) => p.plotWidth());
  return pickBucketSec(win.to - win.from, Math.min(...widths, 2000));
}

let loadSeq = 0;
/** Every panel's readings for the current window (no /api/zones). */
async function reloadCharts(now = Date.now()) {
  const seq = ++loadSeq;
  const win = resolveView(state, now);
  const bucket = pageBucket(win);
  $('zones').dataset.bucket = String(bucket);
  const jobs = [...state.panels.values()].map(async (p) => {
    try {
      await p.load(win, bucket, state.allAlerts.filter((a) => a.zone === p.zone.id), now);
      p.showError('');
    } catch (err) {
      p.showError(err.message);
      if (err.unreachable) throw err;
    }
  });
  const rs = await Promise.allSettled(jobs);
  if (seq === loadSeq) $('zones').dataset.loaded = String(loadSeq);
  return rs;
}

// ---- connection state -----------------------------------------------------------------------

function setReachable(ok, detail = '') {
  state.reachable = ok;
  $('banner').hidden = ok;
  $('banner-detail').textContent = detail;
  document.body.classList.toggle('offline', !ok);
  const c = $('conn');
  c.className = `conn ${ok ? 'conn-ok' : 'conn-down'}`;
  c.querySelector('.conn-text').textContent = ok ? t('dash.conn.live') : t('dash.conn.offline');
}

/** the banner's detail: the HTTP status, or why nothing answered */
function bannerDetail(down) {
  return down.status ? t('dash.banner.answered', { status: down.status }) : t('dash.banner.reason', { reason: down.details?.[0]?.reason ?? t('dash.banner.noAnswer') });
}

let lastHealth = null;
function renderHealth(h) {
  lastHealth = h;
  if (h.site) showSite(h.site);
  const mqtt = h.mqtt?.connected;
  $('health').innerHTML = `<span class="chip ${mqtt ? 'chip-ok' : 'chip-bad'}">${mqtt ? t('dash.health.mqttOk') : t('dash.health.mqttDown')}</span>
    <span class="chip">${h.db?.engine ?? 'db'}${h.db?.timescale ? ' + timescale' : ''}</span>
    <span class="chip chip-dim">v${h.version ?? '?'}</span>`;
}

/** the site's own name replaces the product name (and a language change must not put it back) */
function showSite(name) {
  const h = $('site-name');
  delete h.dataset.i18n;
  h.textContent = name;
}

function tickClock() {
  const now = Date.now();
  $('clock').textContent = fmtClock(now);
  $('updated').textContent = state.lastUpdated ? t('dash.updatedAgo', { time: fmtClock(state.lastUpdated), span: span(now - state.lastUpdated) }) : t('common.notUpdated');
}
setInterval(tickClock, 1000);
tickClock();

// ---- polling ----------------------------------------------------------------------------------

function schedule() {
  clearTimeout(state.timer);
  // Auto refresh Off means no polling at all (live events still update); while the cloud is
  // unreachable it retries anyway, so the banner goes away by itself.
  const ms = state.refresh.ms || (state.reachable === false ? 10_000 : 0);
  if (ms) state.timer = setTimeout(refresh, ms);
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
      lastDown = down;
      setReachable(false, bannerDetail(down));
      return;
    }
    if (health.status === 'fulfilled') renderHealth(health.value);
    state.activeList = active.status === 'fulfilled' ? active.value : [];
    state.allAlerts = mergeAlerts(state.activeList, recent.status === 'fulfilled' ? recent.value : []);
    if (zones.status === 'fulfilled') {
      // Tolerate a zone without sensors/latest yet (gateway manifest arrived, no readings).
      for (const z of zones.value) (z.sensors ??= []), (z.latest ??= []), (z.profile ??= {});
      state.zones = new Map(zones.value.map((z) => [z.id, z]));
      if (!health.value?.site && zones.value[0]?.site) showSite(zones.value[0].site);
      // zone panels are cold-chain charts with threshold bands: rooms with a temperature profile or
      // probes; the dock and the weighed bins have their own panels (stock-devices-panels.js)
      state.chartZones = zones.value.filter(chartable);
      fitDefaultRange(now);
      syncPanels();
    }
    if (active.status === 'fulfilled') alertList.render(state.allAlerts, now);
    else alertList.showStatus(active.reason?.message ?? t('dash.alerts.unavailable'));
    if (sensors.status === 'fulfilled') renderSensors(sensors.value, now);
    renderBar();

    const rs = await Promise.allSettled([reloadCharts(now), simBox.refresh(), devicesPanel.refresh(now), notificationsPanel.refresh(now), jobsPanel.refresh(now), gatewaysPanel.refresh(now), dockPanel.refresh(now), binsPanel.refresh(now)]);
    const lost = rs.find((r) => r.status === 'rejected') || rs[0].value?.find?.((r) => r.status === 'rejected');
    if (lost) return (lastDown = null), setReachable(false, '');
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

/** A young site opens on the span of its data (≥ 15 min), not on 6 h with a sliver at the right. */
function fitDefaultRange(now) {
  if (state.explicit || state.fitted) return;
  const firsts = state.chartZones.map((z) => z.firstTs).filter(Number.isFinite);
  if (!firsts.length) return;
  state.fitted = fitRange(Math.min(...firsts), now);
  if (!state.from) state.range = state.fitted;
}

/** the last sensors and the last failure, kept to write them again in another language */
let lastSensors = null;
let lastDown = null;

/** The sensor strip follows the zone filter (sensors of zones without a chart stay). */
function renderSensors(sensors, now) {
  lastSensors = sensors;
  const hidden = new Set(state.chartZones.filter((z) => !shown(z)).map((z) => z.id));
  renderSensorStrip($('sensors'), sensors.filter((s) => !hidden.has(s.zone)), state.zones, now);
}

setFull(state.full, false);
renderBar();
writeUrl(false);
refresh();

// another language: everything written from data is written again from what is on screen (no fetch)
onLangChange(() => {
  const now = Date.now();
  if (state.reachable !== null) setReachable(state.reachable, state.reachable || !lastDown ? '' : bannerDetail(lastDown));
  renderBar();
  tickClock();
  if (lastHealth) renderHealth(lastHealth);
  for (const p of state.panels.values()) p.relabel(state.activeList, now);
  if (alertList.loaded) alertList.render(state.allAlerts, now);
  if (lastSensors) renderSensors(lastSensors, now);
});

// ---- live updates -----------------------------------------------------------------------------
// A batch committed on any cloud instance updates only what it changed, at most once per
// LIVE_MIN_GAP_MS (a busy site commits many batches a second): the sensors' last values, the
// newest bucket of the panels whose gateway or zone the batch names, and the alerts when it
// carried any. No /api/zones: with auto refresh Off nothing polls. A new zone (one a gateway's
// manifest declares that the page does not know) or a `resync` (events may have been missed) is
// a full refresh; zones named by alerts and movements (a dock, a gateway's uplink) are not new.
const LIVE_MIN_GAP_MS = 2000;
let liveTimer = 0;
let livePending = null;
let liveLast = 0;

async function liveUpdate(ev) {
  if (ev.resync || ev.manifestZones.some((z) => !state.zones.has(z))) return refresh();
  const now = Date.now();
  const [sensors, active, recent] = await Promise.all([
    api.getSensors(),
    ev.alerts ? api.getAlerts({ state: 'active', limit: 200 }) : null,
    ev.alerts ? api.getAlerts({ state: 'all', limit: 200 }) : null,
  ]);
  if (active) {
    state.activeList = active;
    state.allAlerts = mergeAlerts(active, recent ?? []);
    alertList.render(state.allAlerts, now);
  }
  // the readouts' latest values come from /api/sensors (one row per sensor, cheap)
  for (const z of state.zones.values()) {
    z.latest = sensors.filter((s) => s.zone === z.id && s.lastTs !== undefined && s.lastValue !== undefined)
      .map((s) => ({ sensor: s.id, kind: s.kind, value: s.lastValue, ts: s.lastTs }));
  }
  renderSensors(sensors, now);
  await Promise.all([...state.panels.values()].map(async (p) => {
    p.updateInfo(p.zone, state.activeList, now);
    if (!ev.zones.includes(p.zone.id) && !ev.gateways.includes(p.zone.gateway)) return;
    await p.tail(state.allAlerts.filter((a) => a.zone === p.zone.id), now);
  }));
  if (resolveView(state, now).live) renderBar();
  state.lastUpdated = Date.now();
  tickClock();
  document.body.dataset.liveUpdates = String(Number(document.body.dataset.liveUpdates ?? 0) + 1);
}

function runLive() {
  liveTimer = 0;
  const ev = livePending;
  livePending = null;
  liveLast = Date.now();
  // a full refresh is running: this update waits for it instead of starting a second one
  if (state.inFlight) return void queueLive(ev, 500);
  liveUpdate(ev).catch(() => refresh());
}

function queueLive(ev, wait) {
  livePending ??= { zones: [], manifestZones: [], gateways: [], alerts: 0, resync: false };
  livePending.zones.push(...ev.zones);
  livePending.manifestZones.push(...ev.manifestZones);
  livePending.gateways.push(...ev.gateways);
  livePending.alerts += ev.alerts;
  livePending.resync ||= ev.resync;
  if (!liveTimer) liveTimer = setTimeout(runLive, wait);
}

connectLiveEvents({
  onEvent: (type, data) => {
    if (type === 'hello') return;
    const wait = Math.max(0, Math.max(state.lastUpdated, liveLast) + LIVE_MIN_GAP_MS - Date.now());
    queueLive({ zones: data.zones ?? [], manifestZones: data.manifestZones ?? [], gateways: data.gateways ?? [], alerts: data.alerts ?? 0, resync: type === 'resync' }, wait);
  },
  onOpen: () => (document.body.dataset.live = 'true'),
  onDown: () => (document.body.dataset.live = 'false'),
});
