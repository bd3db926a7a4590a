// A panel's legend: per series last / min / max over the window on screen (min of the bucket
// minima, max of the maxima: a one-minute spike inside a 5-minute bucket still counts), then a
// key for what the band, the dashed lines and the shading mean.

import { SERIES_COLORS, THEME } from './chart.js';
import { esc, fmtNum } from './format.js';
import { profileText } from './dash-words.js';
import { t } from './i18n.js';

/** Per sensor {last, min, max} over x in [fromMs, toMs] of an aligned table (see alignSeries). */
export function viewStats(data, nSensors, fromMs, toMs) {
  const xs = data[0] ?? [];
  const out = [];
  for (let i = 0; i < nSensors; i++) {
    const avg = data[1 + i] ?? [], mins = data[1 + nSensors + 2 * i] ?? [], maxs = data[2 + nSensors + 2 * i] ?? [];
    let last = null, min = Infinity, max = -Infinity;
    for (let k = 0; k < xs.length; k++) {
      const t = xs[k] * 1000;
      if (t < fromMs || t > toMs) continue;
      if (avg[k] !== null && avg[k] !== undefined) last = avg[k];
      if (mins[k] !== null && mins[k] !== undefined) min = Math.min(min, mins[k]);
      if (maxs[k] !== null && maxs[k] !== undefined) max = Math.max(max, maxs[k]);
    }
    out.push({ last, min: Number.isFinite(min) ? min : null, max: Number.isFinite(max) ? max : null });
  }
  return out;
}

/**
 * @param {{sensors:{id,label}[], stats:{last,min,max}[], unit:string, profile:{low?,high?}, shading:Set<string>}} m
 * shading: the severities shaded in view ('critical' | 'warning' | 'info').
 */
export function legendHtml({ sensors, stats, unit, profile, shading }) {
  const u = unit ? ` ${esc(unit)}` : '';
  const series = sensors.map((s, i) => {
    const st = stats[i] ?? {};
    return `<li class="lg-series" data-sensor="${esc(s.id)}"><i class="swatch" style="background:${SERIES_COLORS[i % SERIES_COLORS.length]}"></i>
      <span class="lg-name">${esc(s.label)}</span>
      <span class="lg-stat">${esc(t('dash.legend.last'))} <b data-role="last">${fmtNum(st.last)}</b>${u}</span>
      <span class="lg-stat">${esc(t('dash.legend.min'))} <b data-role="min">${fmtNum(st.min)}</b></span>
      <span class="lg-stat">${esc(t('dash.legend.max'))} <b data-role="max">${fmtNum(st.max)}</b></span></li>`;
  });
  const key = [`<li class="lg-key"><i class="swatch swatch-env"></i>${esc(t('dash.legend.band'))}</li>`];
  const hasLimits = typeof profile?.low === 'number' || typeof profile?.high === 'number';
  if (hasLimits) {
    key.push(`<li class="lg-key"><i class="swatch" style="background:${THEME.okBand.replace('0.11', '0.5')}"></i>${esc(t('dash.legend.ok', { profile: profileText(profile) }))}</li>`);
    key.push(`<li class="lg-key"><i class="swatch swatch-dash" style="border-color:${THEME.limit}"></i>${esc(t('dash.legend.limits'))}</li>`);
  }
  for (const sev of ['critical', 'warning', 'info']) {
    if (shading.has(sev)) key.push(`<li class="lg-key" data-shade="${sev}"><i class="swatch" style="background:${THEME.alarmEdge[sev]}"></i>${esc(t(`dash.legend.${sev}`))}</li>`);
  }
  return `<ul class="lg-list">${series.join('')}</ul><ul class="lg-list lg-keys">${key.join('')}</ul>`;
}
