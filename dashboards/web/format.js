// Display formatting shared by panels, alert list and sensor strip. Times shown in the
// browser's local zone, 24 h clock (warehouse shifts read 24 h).

const UNIT_LABEL = { C: '°C', degC: '°C', '°C': '°C', celsius: '°C', pct: '%', '%': '%', dBm: 'dBm', kg: 'kg' };

export function unitLabel(unit) {
  return UNIT_LABEL[unit] ?? unit ?? '';
}

/** −18.0 with a real minus sign: easier to read at a distance than a hyphen. */
export function fmtNum(v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toFixed(digits).replace('-', '−');
}

export function fmtValue(kind, value, unit) {
  if (value === null || value === undefined) return '—';
  if (kind === 'door') return value >= 0.5 ? 'OPEN' : 'closed';
  if (kind === 'compressor') return value >= 0.5 ? 'on' : 'off';
  const digits = kind === 'signal' || kind === 'battery' ? 0 : 1;
  return `${fmtNum(value, digits)} ${unitLabel(unit)}`.trim();
}

/** "2–8 °C", "≤ −18 °C", "≥ 10 °C", or "no limits". */
export function fmtProfile(profile) {
  const lo = profile?.low;
  const hi = profile?.high;
  const has = (v) => typeof v === 'number' && Number.isFinite(v);
  if (has(lo) && has(hi)) return `${fmtNum(lo, lo % 1 ? 1 : 0)}–${fmtNum(hi, hi % 1 ? 1 : 0)} °C`;
  if (has(hi)) return `≤ ${fmtNum(hi, hi % 1 ? 1 : 0)} °C`;
  if (has(lo)) return `≥ ${fmtNum(lo, lo % 1 ? 1 : 0)} °C`;
  return 'no limits';
}

const pad = (n) => String(n).padStart(2, '0');

export function fmtClock(ms, withSeconds = true) {
  if (!ms) return '—';
  const d = new Date(ms);
  const t = `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ''}`;
  return t;
}

/** Clock time, prefixed with the date when it is not today. */
export function fmtTime(ms, now = Date.now()) {
  if (!ms) return '—';
  const d = new Date(ms);
  const n = new Date(now);
  const sameDay = d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate();
  return sameDay ? fmtClock(ms) : `${pad(d.getDate())}/${pad(d.getMonth() + 1)} ${fmtClock(ms, false)}`;
}

/** Compact duration: 45s, 12m, 3h 05m, 2d 4h. */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function fmtAge(ts, now = Date.now()) {
  if (!ts) return 'never';
  if (now - ts < 5_000) return 'just now';
  return `${fmtDuration(now - ts)} ago`;
}

/** Minimal escaping for the few places that build HTML from API strings. */
export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
