// Display formatting for every page of the web UI: the one place that turns numbers, dates, times
// and durations into text. Locale: the browser's (navigator.language) unless setLocale() chose
// one; that is the single hook for a later ?lang= or stored choice. Clock: 24 h in every locale
// (hourCycle 'h23'): warehouse shifts read 24 h and AM/PM is misread on a wall screen. Dates in
// text carry the month as a word (Dec 5, 2026 / 5 Dec 2026 / 2026年12月5日) so 06/07 can never be
// read two ways; chart axes use ISO order (2026-12-05, 12-05), compact and unambiguous everywhere.

let chosenLocale = null;
const formatters = new Map();

/** Overrides the browser's locale (e.g. from ?lang= or a stored choice); null goes back to it. */
export function setLocale(tag) {
  chosenLocale = tag || null;
  formatters.clear();
}

/** The browser's IANA time zone (a schedule's default), 'UTC' when it cannot say. */
export function browserTimeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** The locale every formatter uses: the chosen one, else the browser's, else the runtime default. */
export function currentLocale() {
  const nav = typeof navigator === 'undefined' ? undefined : navigator.languages?.[0] ?? navigator.language;
  for (const tag of [chosenLocale, nav]) {
    try {
      if (tag && Intl.DateTimeFormat.supportedLocalesOf(tag).length) return tag;
    } catch {
      // not a well-formed language tag: try the next source
    }
  }
  return undefined;
}

function formatter(kind, opts) {
  const key = `${kind}|${JSON.stringify(opts)}`;
  let f = formatters.get(key);
  if (!f) {
    const locale = currentLocale();
    f = kind === 'num' ? new Intl.NumberFormat(locale, opts) : new Intl.DateTimeFormat(locale, { hourCycle: 'h23', ...opts });
    formatters.set(key, f);
  }
  return f;
}

const UNIT_LABEL = { C: '°C', degC: '°C', '°C': '°C', celsius: '°C', pct: '%', '%': '%', dBm: 'dBm', kg: 'kg' };

export function unitLabel(unit) {
  return UNIT_LABEL[unit] ?? unit ?? '';
}

/** −18.0 (−18,0 in de) with a real minus sign: easier to read at a distance than a hyphen. */
export function fmtNum(v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return formatter('num', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v).replace('-', '−');
}

/** A quantity: up to `maxDigits` decimals, none when whole (12, 2.5, 0.125 kg). */
export function fmtQty(v, maxDigits = 3) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return formatter('num', { maximumFractionDigits: maxDigits }).format(v).replace('-', '−');
}

/** the digits after the point a currency has (EUR 2, JPY 0), from Intl */
export function currencyDigits(currency = 'EUR') {
  return formatter('num', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * Minor units as exact decimal text ("1234.5" cents) → major units as exact decimal text
 * ("12.345"): the point moved in the string, never through a binary float (money sums must
 * not pick up 0.30000000000000004).
 */
export function minorToMajor(minor, digits = 2) {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(minor ?? '').trim());
  if (!m) return null;
  const whole = m[2].padStart(digits + 1, '0');
  const int = whole.slice(0, whole.length - digits).replace(/^0+(?=\d)/, '');
  const frac = `${whole.slice(whole.length - digits)}${m[3] ?? ''}`.replace(/0+$/, '');
  const zero = /^0*$/.test(int + frac);
  return `${m[1] && !zero ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

/**
 * Money given in minor units (exact decimal text or an integer) in the locale's currency format:
 * € 1,234.50 / 1.234,50 € / €1,234.50 · ¥ in zh-CN for CNY. `extraDigits` shows more than the
 * currency's own (an average unit cost of 1.1533 €). Intl formats the decimal string exactly.
 */
export function fmtMoney(minor, currency = 'EUR', extraDigits = 0) {
  if (minor === null || minor === undefined || minor === '') return '—';
  const digits = currencyDigits(currency);
  const major = minorToMajor(minor, digits);
  if (major === null) return '—';
  return formatter('num', { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits + extraDigits })
    .format(major).replace('-', '−');
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
const valid = (ms) => ms !== null && ms !== undefined && ms !== '' && Number.isFinite(new Date(ms).getTime());

/** 20:10:18 (or 20:10), local time, 24 h in every locale. */
export function fmtClock(ms, withSeconds = true) {
  if (!ms || !valid(ms)) return '—';
  return formatter('dt', { hour: '2-digit', minute: '2-digit', ...(withSeconds ? { second: '2-digit' } : {}) }).format(new Date(ms));
}

/** Dec 5, 2026 — a calendar date with the month in words. */
export function fmtDate(ms) {
  if (!valid(ms)) return '—';
  return formatter('dt', { year: 'numeric', month: 'short', day: 'numeric' }).format(new Date(ms));
}

/** A date-only value from the API ('2026-07-06', expiry dates): that calendar day, no zone shift. */
export function fmtDay(isoDay) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(isoDay ?? ''));
  if (!m) return isoDay ? String(isoDay) : '—';
  return fmtDate(new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime());
}

/** Dec 5, 2026, 20:10 — date and 24 h time. */
export function fmtDateTime(ms, withSeconds = false) {
  if (!valid(ms)) return '—';
  return formatter('dt', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', ...(withSeconds ? { second: '2-digit' } : {}) }).format(new Date(ms));
}

/** Clock time, prefixed with the date when it is not today (and the year when not this year). */
export function fmtTime(ms, now = Date.now()) {
  if (!ms || !valid(ms)) return '—';
  const d = new Date(ms);
  const n = new Date(now);
  const sameDay = d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate();
  if (sameDay) return fmtClock(ms);
  const year = d.getFullYear() === n.getFullYear() ? {} : { year: 'numeric' };
  return formatter('dt', { ...year, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }).format(d);
}

/** ISO-ordered date for chart axes and file names: 2026-12-05 (local day). */
export function fmtIsoDay(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * A time-axis tick (uPlot `values`): the day (2026-12-05) when ticks are a day or more apart,
 * else 20:10 (20:10:05 below a minute), with the day (12-05) in place of 00:00.
 */
export function fmtAxisTime(ms, incrSec) {
  const d = new Date(ms);
  if (incrSec >= 86400) return fmtIsoDay(ms);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (incrSec < 60) return `${hm}:${pad(d.getSeconds())}`;
  return hm === '00:00' ? fmtIsoDay(ms).slice(5) : hm;
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
