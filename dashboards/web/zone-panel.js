// One panel per zone: title + profile, door state, active alert count, the current value(s)
// big in their status colour, and the chart. Owns its uPlot instance and its readings fetch.

import { getReadings } from './api.js';
import { alignSeries, createChart, SERIES_COLORS, toTable } from './chart.js';
import { esc, fmtAge, fmtNum, fmtProfile, unitLabel } from './format.js';
import { sensorStatus, STALE_MS, zoneStatus } from './status.js';
import { pickBucketSec, windowFor } from './time-range.js';

/** Kinds worth a line chart, in preference order: a zone without thermometers still gets a graph. */
const CHART_KINDS = ['temperature', 'humidity', 'weight'];

function chartSensors(zone) {
  for (const kind of CHART_KINDS) {
    const s = zone.sensors.filter((x) => x.kind === kind);
    if (s.length) return s;
  }
  return [];
}

const STATUS_TEXT = { ok: 'OK', excursion: 'EXCURSION', warning: 'WARNING', alarm: 'ALARM', stale: 'NO DATA', none: '' };

export class ZonePanel {
  constructor(zone) {
    this.zone = zone;
    this.chart = null;
    this.chartKey = '';
    this.view = { from: 0, to: 0, profile: zone.profile, alarms: [], unit: '' };
    this.drawn = false;

    const el = (this.el = document.createElement('section'));
    el.className = 'panel zone-panel status-none';
    el.dataset.testid = 'zone-panel';
    el.dataset.zone = zone.id;
    el.innerHTML = `
      <header class="panel-head">
        <div class="panel-title"><h2 class="zone-name"></h2><span class="zone-profile"></span></div>
        <div class="panel-badges"><span class="door-badge" hidden></span><span class="alert-badge" hidden></span><span class="status-badge"></span></div>
      </header>
      <div class="panel-body">
        <div class="readouts"></div>
        <div class="chart-wrap"><div class="chart"></div><div class="chart-empty" hidden>No readings in this range</div></div>
      </div>
      <footer class="panel-foot"><span class="hover-readout"></span><span class="panel-error" hidden></span><span class="bucket-info"></span></footer>`;
    this.$ = (sel) => el.querySelector(sel);
    this.chartEl = this.$('.chart');
    // Resize with the layout (wall screen vs laptop); the next refresh picks a new bucket.
    this.resizeObs = new ResizeObserver(() => this.resize());
    this.resizeObs.observe(this.$('.chart-wrap'));
  }

  size() {
    const wrap = this.$('.chart-wrap');
    return { width: Math.max(200, Math.floor(wrap.clientWidth)), height: Math.max(120, Math.floor(wrap.clientHeight)) };
  }

  resize() {
    if (!this.chart) return;
    const { width, height } = this.size();
    if (width !== this.chart.width || height !== this.chart.height) this.chart.setSize({ width, height });
  }

  /** Header, badges and big values from /api/zones + active alerts (no readings fetch). */
  updateInfo(zone, activeAlerts, now = Date.now()) {
    this.zone = zone;
    this.view.profile = zone.profile;
    const zoneAlerts = activeAlerts.filter((a) => a.zone === zone.id);
    const status = zoneStatus({ zone, activeAlerts: zoneAlerts, now });
    this.el.className = `panel zone-panel status-${status}`;
    this.$('.zone-name').textContent = zone.name;
    this.$('.zone-profile').textContent = fmtProfile(zone.profile);
    const sb = this.$('.status-badge');
    sb.textContent = STATUS_TEXT[status] ?? '';
    sb.className = `status-badge badge-${status}`;

    const door = zone.sensors.find((s) => s.kind === 'door');
    const db = this.$('.door-badge');
    db.hidden = !door;
    if (door) {
      const l = zone.latest.find((x) => x.sensor === door.id);
      const stale = !l || now - l.ts > STALE_MS;
      const open = l && l.value >= 0.5;
      db.textContent = stale ? 'Door ?' : open ? 'DOOR OPEN' : 'Door closed';
      db.className = `door-badge ${stale ? 'door-unknown' : open ? 'door-open' : 'door-closed'}`;
      db.title = l ? `${door.id}: ${fmtAge(l.ts, now)}` : `${door.id}: no reading`;
    }

    const count = zone.activeAlerts ?? zoneAlerts.length;
    const ab = this.$('.alert-badge');
    ab.hidden = !count;
    ab.textContent = `${count} active alert${count === 1 ? '' : 's'}`;
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
          <div class="readout-label">${showLabel ? `<i class="swatch" style="background:${color}"></i>` : ''}${esc(s.id)} · ${l ? esc(fmtAge(l.ts, now)) : 'no data'}</div>
        </div>`;
      })
      .join('') || '<div class="readout status-none"><div class="big">—</div><div class="readout-label">no sensors</div></div>';
  }

  /** Fetch readings for the range at a bucket the panel can actually show, then draw. */
  async refreshReadings(rangeMs, zoneAlerts, now = Date.now()) {
    const sensors = chartSensors(this.zone);
    const { width, height } = this.size();
    // Plot area is narrower than the canvas (y axis); budget on the full width is still safe
    // because bucket = ceil(range / width) only gets coarser on a narrower plot.
    const bucket = pickBucketSec(rangeMs, width - 52);
    const { from, to } = windowFor(rangeMs, bucket, now);
    const results = await Promise.all(sensors.map((s) => getReadings(s.id, from, to, bucket)));

    const key = sensors.map((s) => s.id).join('|');
    if (!this.chart || key !== this.chartKey) {
      this.chart?.destroy();
      this.chartEl.innerHTML = '';
      this.chartKey = key;
      this.chart = createChart(this.chartEl, {
        sensors: sensors.map((s) => ({ id: s.id, label: s.id })),
        envelope: true,
        width,
        height,
        getView: () => this.view,
        onHover: (t) => (this.$('.hover-readout').textContent = t),
      });
    }
    this.view.from = now - rangeMs;
    this.view.to = now;
    this.view.unit = unitLabel(sensors[0]?.unit);
    // Alarm periods: raisedAt → clearedAt, or now while still active.
    this.view.alarms = zoneAlerts
      .filter((a) => a.severity !== 'info' && (a.clearedAt ?? now) >= this.view.from)
      .map((a) => [a.raisedAt, a.clearedAt ?? now, a.severity]);

    const tables = results.map((r) => toTable(r.points ?? [], r.bucket));
    const data = alignSeries(tables, true);
    this.chart.setData(data, true);
    // x positions drawn (points per series after aligning): the number bounded by the pixel budget.
    const n = data[0].length;
    this.$('.chart-empty').hidden = n > 0;
    const src = results[0]?.source;
    this.$('.bucket-info').textContent = results.length ? `${results[0].bucket ? `${results[0].bucket}s buckets` : 'raw'}${src ? ` · ${src}` : ''}` : '';
    // Hooks for the browser test: the panel reports how many points it drew.
    this.el.dataset.points = String(n);
    this.el.dataset.series = String(results.length);
    this.el.dataset.bucket = String(bucket);
    if (n > 0 && !this.drawn) {
      this.drawn = true;
      const mark = document.createElement('i');
      mark.dataset.testid = 'panel-canvas-ready';
      mark.hidden = true;
      this.el.append(mark);
    }
    return n;
  }

  /** A failed readings fetch keeps the last chart; the footer says why it is not moving. */
  showError(message) {
    const f = this.$('.panel-error');
    f.textContent = message ? `⚠ ${message}` : '';
    f.hidden = !message;
  }

  destroy() {
    this.resizeObs.disconnect();
    this.chart?.destroy();
    this.el.remove();
  }
}
