// One panel per zone: title + profile, door state, active alert count, the current value(s)
// big in their status colour, and the chart with its legend, tooltip, full-screen and CSV
// buttons. Owns its uPlot instance and its readings; the page owns the window and the bucket
// (one for every panel), so zooming one panel moves them all.

import { getReadings } from './api.js';
import { alignSeries, createChart, SERIES_COLORS, toTable } from './chart.js';
import { csvName, downloadCsv, toCsv } from './chart-csv.js';
import { legendHtml, viewStats } from './chart-legend.js';
import { bucketLabel, createTooltip } from './chart-tooltip.js';
import { esc, fmtNum, unitLabel } from './format.js';
import { ago, profileText } from './dash-words.js';
import { applyI18n, t } from './i18n.js';
import { sensorStatus, STALE_MS, zoneStatus } from './status.js';

/** Kinds worth a line chart, in preference order: a zone without thermometers still gets a graph. */
const CHART_KINDS = ['temperature', 'humidity', 'weight'];

export function chartSensors(zone) {
  for (const kind of CHART_KINDS) {
    const s = zone.sensors.filter((x) => x.kind === kind);
    if (s.length) return s;
  }
  return [];
}


export class ZonePanel {
  /** @param {{syncKey?:string, onZoom?:(from:number,to:number)=>void, onFull?:(zoneId:string)=>void}} hooks */
  constructor(zone, hooks = {}) {
    this.zone = zone;
    this.hooks = hooks;
    this.chart = null;
    this.chartKey = '';
    this.view = { from: 0, to: 0, profile: zone.profile, alarms: [], unit: '' };
    this.sensors = [];
    this.results = [];
    this.bucket = 0;
    this.query = null;
    this.drawn = false;
    /** bumped by each load(): an answer that comes back after a newer load began is dropped */
    this.loadGen = 0;

    const el = (this.el = document.createElement('section'));
    el.className = 'panel zone-panel status-none';
    el.dataset.testid = 'zone-panel';
    el.dataset.zone = zone.id;
    el.innerHTML = `
      <header class="panel-head">
        <div class="panel-title"><h2 class="zone-name"></h2><span class="zone-profile"></span></div>
        <div class="panel-badges"><span class="door-badge" hidden></span><span class="alert-badge" hidden></span><span class="status-badge"></span></div>
        <div class="panel-tools">
          <button type="button" class="tool-btn" data-act="csv" data-testid="panel-csv" data-i18n-attr="title:dash.panel.csvTitle;aria-label:dash.panel.csv">CSV</button>
          <button type="button" class="tool-btn" data-act="full" data-testid="panel-full" data-i18n-attr="title:dash.panel.fullTitle;aria-label:dash.panel.full"><svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5" fill="none" stroke="currentColor" stroke-width="2"/></svg></button>
        </div>
      </header>
      <div class="panel-body">
        <div class="readouts"></div>
        <div class="chart-wrap"><div class="chart"></div><div class="chart-empty" hidden data-i18n="dash.panel.empty"></div></div>
      </div>
      <footer class="panel-foot"><div class="legend" data-testid="panel-legend"></div><span class="panel-error" hidden></span><span class="bucket-info"></span></footer>`;
    applyI18n(el);
    this.$ = (sel) => el.querySelector(sel);
    this.chartEl = this.$('.chart');
    this.tooltip = createTooltip(this.$('.chart-wrap'), () => ({ sensors: this.sensors, unit: this.view.unit, bucketSec: this.bucket }));
    this.$('.panel-tools').addEventListener('click', (e) => {
      const act = e.target.closest('button[data-act]')?.dataset.act;
      if (act === 'csv') this.downloadCsv();
      if (act === 'full') this.hooks.onFull?.(this.zone.id);
    });
    // Resize with the layout (wall screen vs laptop vs full screen).
    this.resizeObs = new ResizeObserver(() => this.resize());
    this.resizeObs.observe(this.$('.chart-wrap'));
  }

  size() {
    const wrap = this.$('.chart-wrap');
    return { width: Math.max(200, Math.floor(wrap.clientWidth)), height: Math.max(120, Math.floor(wrap.clientHeight)) };
  }

  /** Pixels of plot (canvas minus the y axis): the page's bucket budget. */
  plotWidth() {
    return this.size().width - 62;
  }

  resize() {
    if (!this.chart) return;
    const { width, height } = this.size();
    if (width !== this.chart.width || height !== this.chart.height) this.chart.setSize({ width, height });
  }

  setFull(on) {
    this.el.classList.toggle('panel-full', on);
    this.$('[data-act=full]').setAttribute('aria-pressed', String(on));
  }

  /** Header, badges and big values from /api/zones (or /api/sensors) + active alerts (no readings fetch). */
  updateInfo(zone, activeAlerts, now = Date.now()) {
    this.zone = zone;
    this.view.profile = zone.profile;
    const zoneAlerts = activeAlerts.filter((a) => a.zone === zone.id);
    const status = zoneStatus({ zone, activeAlerts: zoneAlerts, now });
    this.el.className = `panel zone-panel status-${status}${this.el.classList.contains('panel-full') ? ' panel-full' : ''}`;
    this.$('.zone-name').textContent = zone.name;
    this.$('.zone-profile').textContent = profileText(zone.profile);
    const sb = this.$('.status-badge');
    sb.textContent = status === 'none' ? '' : t(`dash.status.${status}`);
    sb.className = `status-badge badge-${status}`;

    const door = zone.sensors.find((s) => s.kind === 'door');
    const db = this.$('.door-badge');
    db.hidden = !door;
    if (door) {
      const l = zone.latest.find((x) => x.sensor === door.id);
      const stale = !l || now - l.ts > STALE_MS;
      const open = l && l.value >= 0.5;
      db.textContent = stale ? t('dash.panel.doorUnknown') : open ? t('dash.panel.doorOpen') : t('dash.panel.doorClosed');
      db.className = `door-badge ${stale ? 'door-unknown' : open ? 'door-open' : 'door-closed'}`;
      db.title = `${door.id}: ${l ? ago(l.ts, now) : t('dash.panel.noReading')}`;
    }

    const count = zoneAlerts.length;
    const ab = this.$('.alert-badge');
    ab.hidden = !count;
    ab.textContent = t('dash.panel.activeAlerts', { count });
    ab.dataset.count = String(count);

    const sensors = chartSensors(zone);
    const showLabel = sensors.length > 1;
    this.$('.readouts').innerHTML = sensors
      .map((s, i) => {
        const l = zone.latest.find((x) => x.sensor === s.id);
        const st = s.kind === 'temperature' ? sensorStatus({ sensorId: s.id, latest: l, profile: zone.profile, activeAlerts: zoneAlerts, now }) : l && now - l.ts <= STALE_MS ? 'ok' : 'stale';
        const color = SERIES_COLORS[i % SERIES_COLORS.length];
        return `<div class="readout status-${st}" data-sensor="${esc(s.id)}">
          <div class="big">${l ? esc(fmtNum(l.value)) : '—'}<span class="unit">${esc(unitLabel(s.unit))}</span></div>
          <div class="readout-label">${showLabel ? `<i class="swatch" style="background:${color}"></i>` : ''}${esc(s.id)} · ${esc(l ? ago(l.ts, now) : t('dash.panel.noData'))}</div>
        </div>`;
      })
      .join('') || `<div class="readout status-none"><div class="big">—</div><div class="readout-label">${esc(t('dash.panel.noSensors'))}</div></div>`;
  }

  /**
   * Fetch the whole window at the page's bucket and draw.
   * @param {{from:number,to:number,live:boolean}} win  @param {number} bucket seconds (the same for every panel)
   */
  async load(win, bucket, zoneAlerts, now = Date.now()) {
    const sensors = chartSensors(this.zone);
    const step = bucket * 1000;
    // aligned on the bucket, ceil not floor: an extra leading bucket would break the pixel budget
    const from = Math.ceil(win.from / step) * step;
    const gen = ++this.loadGen;
    const results = await Promise.all(sensors.map((s) => getReadings(s.id, from, win.to, bucket)));
    // Another window was chosen while this one loaded (Reset, then Back at once): on a slow link
    // its answer can come after the newer one's, and drawing it would show a window the URL and
    // the time bar no longer say.
    if (gen !== this.loadGen) return;
    this.sensors = sensors.map((s) => ({ id: s.id, label: s.id }));
    this.results = results;
    this.bucket = bucket;
    this.query = { from, to: win.to, live: win.live, span: win.to - win.from };
    this.setAlarms(zoneAlerts, now);
    this.draw(win.from, win.to);
  }

  /**
   * Live update: fetch only from the start of the newest bucket on screen to now, replace that
   * bucket and append what is new; the window slides to end now. No-op for a fixed window.
   */
  async tail(zoneAlerts, now = Date.now()) {
    const q = this.query;
    if (!q?.live || !this.results.length) return false;
    const step = this.bucket * 1000;
    const newest = Math.max(...this.results.map((r) => r.points.at(-1)?.ts ?? 0));
    const since = Math.max(q.from, newest || Math.floor((now - step) / step) * step);
    const gen = this.loadGen;
    const fresh = await Promise.all(this.results.map((r) => getReadings(r.sensor, since, now, this.bucket)));
    // a load began meanwhile (or finished: another query): this tail belongs to the old window
    if (gen !== this.loadGen || this.query !== q) return false;
    const windowFrom = Math.ceil((now - q.span) / step) * step;
    this.results = this.results.map((r, i) => ({
      ...r,
      points: [...r.points.filter((p) => p.ts >= windowFrom && p.ts < since), ...(fresh[i].points ?? [])],
    }));
    this.query = { ...q, from: windowFrom, to: now };
    this.setAlarms(zoneAlerts, now);
    this.draw(now - q.span, now);
    return true;
  }

  setAlarms(zoneAlerts, now) {
    // Alarm periods: raisedAt → clearedAt, or now while still active; defrosts (info) too.
    this.view.alarms = (zoneAlerts ?? [])
      .filter((a) => (a.clearedAt ?? now) >= (this.query?.from ?? 0))
      .map((a) => [a.raisedAt, a.clearedAt ?? now, a.severity]);
  }

  draw(viewFrom, viewTo) {
    const sensors = chartSensors(this.zone);
    const unit = unitLabel(sensors[0]?.unit);
    const key = `${sensors.map((s) => s.id).join('|')}|${unit}`;
    if (!this.chart || key !== this.chartKey) {
      this.chart?.destroy();
      this.chartEl.innerHTML = '';
      this.chartKey = key;
      const { width, height } = this.size();
      this.chart = createChart(this.chartEl, {
        sensors: this.sensors,
        envelope: true,
        width,
        height,
        unit,
        syncKey: this.hooks.syncKey,
        getView: () => this.view,
        onCursor: (u) => this.tooltip.update(u),
        onZoom: (a, b) => this.hooks.onZoom?.(a, b),
        // the x axis as uPlot drew it (what the tick labels show): a hook for the browser tests
        onAxis: (a, b) => Object.assign(this.el.dataset, { axisFrom: String(Math.round(a)), axisTo: String(Math.round(b)) }),
      });
    }
    this.view.from = viewFrom;
    this.view.to = viewTo;
    this.view.unit = unit;
    const tables = this.results.map((r) => toTable(r.points ?? [], r.bucket));
    const data = alignSeries(tables, true);
    this.chart.setData(data, true);
    // uPlot commits the new data in a microtask; the cursor goes back after that
    queueMicrotask(() => this.chart && this.tooltip.reapply(this.chart));
    const n = data[0].length;
    this.$('.chart-empty').hidden = n > 0;

    const shading = new Set(this.view.alarms.filter(([a, b]) => b >= viewFrom && a <= viewTo).map(([, , sev]) => sev));
    this.$('.legend').innerHTML = legendHtml({ sensors: this.sensors, stats: viewStats(data, this.sensors.length, viewFrom, viewTo), unit, profile: this.zone.profile, shading });
    const src = this.results[0]?.source;
    // where the API read them (its table names in English, kept as they were; words in other languages)
    const srcText = src && t(`dash.source.${src}`) !== `dash.source.${src}` ? t(`dash.source.${src}`) : src;
    const b = this.results[0]?.bucket;
    this.$('.bucket-info').textContent = this.results.length ? `${b ? t('dash.panel.buckets', { bucket: bucketLabel(b) }) : t('dash.panel.raw')}${src ? ` · ${srcText}` : ''}` : '';
    // Hooks for the browser tests: what the panel asked for and how many points it drew.
    Object.assign(this.el.dataset, {
      points: String(n), series: String(this.results.length), bucket: String(this.bucket),
      from: String(this.query.from), to: String(this.query.to), viewFrom: String(Math.round(viewFrom)), viewTo: String(Math.round(viewTo)),
    });
    if (n > 0 && !this.drawn) {
      this.drawn = true;
      const mark = document.createElement('i');
      mark.dataset.testid = 'panel-canvas-ready';
      mark.hidden = true;
      this.el.append(mark);
    }
  }

  /** Another language: header, badges, legend and footer written again from what is held (no fetch). */
  relabel(activeAlerts, now = Date.now()) {
    applyI18n(this.el);
    this.updateInfo(this.zone, activeAlerts, now);
    if (!this.query) return;
    // the series' names (min / max) live in the uPlot instance: a new one takes the new words
    this.chart?.destroy();
    this.chart = null;
    this.draw(this.view.from, this.view.to);
  }

  /** The CSV of exactly what is drawn (same window, same bucket), named after zone and window. */
  downloadCsv() {
    if (!this.query) return;
    const unit = unitLabel(chartSensors(this.zone)[0]?.unit);
    downloadCsv(toCsv(this.results, unit), csvName(this.zone.id, this.query.from, this.query.to));
  }

  /** A failed readings fetch keeps the last chart; the footer says why it is not moving. */
  showError(message) {
    const f = this.$('.panel-error');
    f.textContent = message ? `⚠ ${message}` : '';
    f.hidden = !message;
  }

  destroy() {
    this.resizeObs.disconnect();
    this.tooltip.destroy();
    this.chart?.destroy();
    this.el.remove();
  }
}
