// Devices/sensors strip: every sensor with its last value and how long ago it was seen.
// Grey when stale (> 3 min): the first sign of a dead battery or a cut link.

import { esc } from './format.js';
import { ago, kindText, valueText } from './dash-words.js';
import { t } from './i18n.js';
import { outOfRange, STALE_MS } from './status.js';

export function renderSensorStrip(root, sensors, zonesById, now = Date.now()) {
  const sorted = [...sensors].sort((a, b) => (a.zone + a.id).localeCompare(b.zone + b.id));
  root.innerHTML = sorted
    .map((s) => {
      const zone = zonesById.get(s.zone);
      const stale = !s.lastTs || now - s.lastTs > STALE_MS;
      let state = stale ? 'stale' : 'ok';
      if (!stale && s.kind === 'temperature' && zone && outOfRange(s.lastValue, zone.profile)) state = 'excursion';
      if (!stale && s.kind === 'door' && s.lastValue >= 0.5) state = 'excursion';
      return `<li class="sensor-chip sensor-${state}" data-testid="sensor-chip" data-sensor="${esc(s.id)}" title="${esc(t('dash.sensor.via', { protocol: s.protocol, gateway: s.gateway }))}">
        <span class="sc-name">${esc(s.name ?? s.id)}</span>
        <span class="sc-zone">${esc(zone?.name ?? s.zone)} · ${esc(kindText(s.kind))}</span>
        <span class="sc-value">${esc(s.lastTs ? valueText(s.kind, s.lastValue, s.unit) : '—')}</span>
        <span class="sc-age">${stale ? '⚠ ' : ''}${esc(ago(s.lastTs, now))}</span>
      </li>`;
    })
    .join('');
}
