// Durations, ages, sensor values and temperature profiles in the chosen language, for the
// dashboard and the alert strip. format.js keeps the numbers and clocks (locale-aware already) and
// stays free of i18n.js (i18n.js imports it: the other way round would be an import cycle that
// runs setLocale before format.js exists); the words around the numbers come from the catalogues.
// English output is exactly format.js's (45s, 3m 05s, 2h 04m, 1d 3h, "5m 00s ago").
import { fmtNum, unitLabel } from './format.js';
import { t } from './i18n.js';

const pad = (n) => String(n).padStart(2, '0');

/** compact duration: 45s, 3m 05s, 2h 04m, 1d 3h (45秒, 3分05秒, 2小时04分, 1天3小时) */
export function span(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return t('common.none');
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return t('dash.dur.s', { s });
  const m = Math.floor(s / 60);
  if (m < 60) return t('dash.dur.ms', { m, s: pad(s % 60) });
  const h = Math.floor(m / 60);
  if (h < 24) return t('dash.dur.hm', { h, m: pad(m % 60) });
  return t('dash.dur.dh', { d: Math.floor(h / 24), h: h % 24 });
}

/** how long ago: never / just now / 3m 05s ago */
export function ago(ts, now = Date.now()) {
  if (!ts) return t('dash.age.never');
  if (now - ts < 5_000) return t('dash.age.justNow');
  return t('dash.age.ago', { span: span(now - ts) });
}

/** a sensor's value: door OPEN/closed, compressor on/off, else the number and its unit */
export function valueText(kind, value, unit) {
  if (value === null || value === undefined) return t('common.none');
  if (kind === 'door') return value >= 0.5 ? t('dash.value.doorOpen') : t('dash.value.doorClosed');
  if (kind === 'compressor') return value >= 0.5 ? t('dash.value.on') : t('dash.value.off');
  const digits = kind === 'signal' || kind === 'battery' ? 0 : 1;
  return `${fmtNum(value, digits)} ${unitLabel(unit)}`.trim();
}

/** "2–8 °C", "≤ −18 °C", "≥ 10 °C", or "no limits" */
export function profileText(profile) {
  const lo = profile?.low;
  const hi = profile?.high;
  const has = (v) => typeof v === 'number' && Number.isFinite(v);
  const n = (v) => fmtNum(v, v % 1 ? 1 : 0);
  if (has(lo) && has(hi)) return `${n(lo)}–${n(hi)} °C`;
  if (has(hi)) return `≤ ${n(hi)} °C`;
  if (has(lo)) return `≥ ${n(lo)} °C`;
  return t('dash.profile.none');
}

/** a sensor kind as a word (temperature → 温度); an unknown kind shows as it is */
export function kindText(kind) {
  const k = t(`dash.kind.${kind}`);
  return k === `dash.kind.${kind}` ? kind : k;
}
