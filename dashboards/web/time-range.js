// Time range, refresh interval, the URL that holds them, and the bucket choice. Pure functions
// (no DOM) so they can be unit-tested from Node as well as used by the page.
//
// A view is either relative ("the last 6 h", follows now: live) or absolute (from/to in epoch
// ms, fixed). The URL holds exactly one of them: ?range=6h or ?from=…&to=… (ISO 8601), plus
// ?zone= (repeatable) and ?refresh=.

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** Selectable time ranges, shortest first. */
export const RANGES = [
  { key: '15m', label: 'Last 15 min', ms: 15 * MIN },
  { key: '1h', label: 'Last 1 hour', ms: HOUR },
  { key: '6h', label: 'Last 6 hours', ms: 6 * HOUR },
  { key: '24h', label: 'Last 24 hours', ms: DAY },
  { key: '7d', label: 'Last 7 days', ms: 7 * DAY },
  { key: '30d', label: 'Last 30 days', ms: 30 * DAY },
];
export const DEFAULT_RANGE = '6h';
/** Narrowest view: zooming further shows single readings, not a trend. */
export const MIN_SPAN_MS = 10 * SEC;
/** Widest view (the API refuses wider than 400 days). */
export const MAX_SPAN_MS = 366 * DAY;
/** A young site's default view is the span of its data, but never narrower than this. */
export const MIN_FIT_MS = 15 * MIN;

/** Auto refresh choices; ms 0 means off (5s stays for wall screens and older links). */
export const REFRESHES = [
  { key: 'off', label: 'Off', ms: 0 },
  { key: '5s', label: '5s', ms: 5_000 },
  { key: '10s', label: '10s', ms: 10_000 },
  { key: '30s', label: '30s', ms: 30_000 },
  { key: '1m', label: '1m', ms: MIN },
  { key: '5m', label: '5m', ms: 5 * MIN },
];
export const DEFAULT_REFRESH = '10s';

/**
 * Bucket sizes in seconds the API is asked for. Whole minutes/hours line up with the
 * readings_1m / readings_1h aggregates, so the cloud can answer from them instead of raw rows.
 */
export const NICE_BUCKETS_SEC = [1, 5, 10, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400];

const UNIT_MS = { s: SEC, m: MIN, h: HOUR, d: DAY };

/** "15m", "90m", "2h", "7d" → ms; anything else → null. */
export function parseSpan(key) {
  const m = /^(\d{1,6})([smhd])$/.exec(String(key ?? ''));
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  return ms >= MIN_SPAN_MS && ms <= MAX_SPAN_MS ? ms : null;
}

/** ms → the shortest key that says it exactly ("90m", "2h", "45s"). */
export function spanKey(ms) {
  for (const [u, n] of [['d', DAY], ['h', HOUR], ['m', MIN]]) if (ms % n === 0) return `${ms / n}${u}`;
  return `${Math.round(ms / SEC)}s`;
}

export function findRange(key) {
  const preset = RANGES.find((r) => r.key === key);
  if (preset) return preset;
  const ms = parseSpan(key);
  return ms ? { key: spanKey(ms), label: `Last ${spanKey(ms)}`, ms } : RANGES.find((r) => r.key === DEFAULT_RANGE);
}

export function findRefresh(key) {
  return REFRESHES.find((r) => r.key === key) ?? REFRESHES.find((r) => r.key === DEFAULT_REFRESH);
}

/** ISO 8601 or epoch ms → ms; anything else → null. */
function parseTime(v) {
  if (v === null || v === undefined || v === '') return null;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * The page state from a query string. `explicit` says whether the URL chose the range (else the
 * page fits the range to the data it finds).
 * @returns {{range:{key,label,ms}|null, from:number|null, to:number|null, zones:string[], refresh:{key,label,ms}, explicit:boolean}}
 */
export function parseState(search) {
  const p = new URLSearchParams(search);
  const from = parseTime(p.get('from'));
  const to = parseTime(p.get('to'));
  const zones = p.getAll('zone').flatMap((z) => z.split(',')).map((z) => z.trim()).filter(Boolean);
  const refresh = findRefresh(p.get('refresh') ?? DEFAULT_REFRESH);
  if (from !== null && to !== null && from < to && to - from <= MAX_SPAN_MS) {
    return { range: null, from, to, zones, refresh, explicit: true };
  }
  const key = p.get('range');
  return { range: findRange(key ?? DEFAULT_RANGE), from: null, to: null, zones, refresh, explicit: key !== null };
}

/** The query string for a state (other parameters of `base` are kept). */
export function stateToSearch(state, base = '') {
  const p = new URLSearchParams(base);
  for (const k of ['range', 'from', 'to', 'zone', 'refresh']) p.delete(k);
  if (state.range) p.set('range', state.range.key);
  else {
    p.set('from', new Date(state.from).toISOString());
    p.set('to', new Date(state.to).toISOString());
  }
  for (const z of state.zones) p.append('zone', z);
  p.set('refresh', state.refresh.key);
  return p.toString();
}

/** The window on screen: [from, to] in ms and whether it follows now. */
export function resolveView(state, now = Date.now()) {
  if (state.range) return { from: now - state.range.ms, to: now, live: true };
  return { from: state.from, to: state.to, live: false };
}

/** An absolute state [from, to], clamped to sane spans (zoom never goes below MIN_SPAN_MS). */
export function absolute(state, from, to) {
  let a = Math.round(Math.min(from, to));
  let b = Math.round(Math.max(from, to));
  if (b - a < MIN_SPAN_MS) {
    const mid = (a + b) / 2;
    a = Math.round(mid - MIN_SPAN_MS / 2);
    b = a + MIN_SPAN_MS;
  }
  if (b - a > MAX_SPAN_MS) a = b - MAX_SPAN_MS;
  return { ...state, range: null, from: a, to: b };
}

/** Zoom out ×2 around the centre; a live view stays live (and ends now). */
export function zoomOut(state, now = Date.now()) {
  const { from, to, live } = resolveView(state, now);
  const span = Math.min(MAX_SPAN_MS, (to - from) * 2);
  if (live) return { ...state, range: findRange(spanKey(Math.round(span / MIN) * MIN || MIN)) };
  const mid = (from + to) / 2;
  // never into the future: a window past now would be half empty
  const end = Math.min(now, mid + span / 2);
  return absolute(state, end - span, end);
}

/** Shift by half a window: dir −1 = earlier, +1 = later (never past now). */
export function shift(state, dir, now = Date.now()) {
  const { from, to } = resolveView(state, now);
  const span = to - from;
  let a = from + dir * span / 2;
  if (a + span > now) a = now - span;
  return absolute(state, a, a + span);
}

/**
 * The default relative range for data starting at `firstTs`: the span of the data (whole
 * minutes, at least MIN_FIT_MS) when that is shorter than the default, else the default.
 */
export function fitRange(firstTs, now = Date.now()) {
  const def = findRange(DEFAULT_RANGE);
  if (!Number.isFinite(firstTs) || firstTs >= now) return def;
  const span = Math.max(MIN_FIT_MS, Math.ceil((now - firstTs) / MIN) * MIN + MIN);
  return span < def.ms ? findRange(spanKey(span)) : def;
}

/**
 * The bucket (seconds) for a panel: never more points than pixels, i.e.
 * ceil(range / width), rounded UP to the next nice interval (rounding down would
 * overshoot the pixel budget).
 */
export function pickBucketSec(rangeMs, widthPx) {
  const px = Math.max(1, Math.floor(widthPx));
  const raw = Math.ceil(rangeMs / 1000 / px);
  for (const b of NICE_BUCKETS_SEC) if (b >= raw) return b;
  // Beyond a day per pixel: whole days.
  return Math.ceil(raw / 86400) * 86400;
}

/** The window to query. Aligned to the bucket so consecutive polls hit the same buckets. */
export function windowFor(rangeMs, bucketSec, now = Date.now()) {
  const step = bucketSec * 1000;
  const to = now;
  // ceil, not floor: an extra leading bucket would break the "no more points than pixels" budget.
  const from = Math.ceil((now - rangeMs) / step) * step;
  return { from, to };
}
