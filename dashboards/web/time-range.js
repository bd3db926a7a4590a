// Time range, refresh interval and bucket choice. Pure functions (no DOM) so they can be
// unit-tested from Node as well as used by the page.

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Selectable time ranges, shortest first. */
export const RANGES = [
  { key: '15m', label: 'Last 15 min', ms: 15 * MIN },
  { key: '1h', label: 'Last 1 hour', ms: HOUR },
  { key: '6h', label: 'Last 6 hours', ms: 6 * HOUR },
  { key: '24h', label: 'Last 24 hours', ms: 24 * HOUR },
  { key: '7d', label: 'Last 7 days', ms: 7 * 24 * HOUR },
];
export const DEFAULT_RANGE = '6h';

/** Auto refresh choices; ms 0 means off. */
export const REFRESHES = [
  { key: 'off', label: 'Off', ms: 0 },
  { key: '5s', label: '5s', ms: 5_000 },
  { key: '10s', label: '10s', ms: 10_000 },
  { key: '30s', label: '30s', ms: 30_000 },
  { key: '1m', label: '1m', ms: MIN },
];
export const DEFAULT_REFRESH = '10s';

/**
 * Bucket sizes in seconds the API is asked for. Whole minutes/hours line up with the
 * readings_1m / readings_1h aggregates, so the cloud can answer from them instead of raw rows.
 */
export const NICE_BUCKETS_SEC = [1, 5, 10, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400];

export function findRange(key) {
  return RANGES.find((r) => r.key === key) ?? RANGES.find((r) => r.key === DEFAULT_RANGE);
}

export function findRefresh(key) {
  return REFRESHES.find((r) => r.key === key) ?? REFRESHES.find((r) => r.key === DEFAULT_REFRESH);
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

/** The window to query, ending now. Aligned to the bucket so consecutive polls hit the same buckets. */
export function windowFor(rangeMs, bucketSec, now = Date.now()) {
  const step = bucketSec * 1000;
  const to = now;
  // ceil, not floor: an extra leading bucket would break the "no more points than pixels" budget.
  const from = Math.ceil((now - rangeMs) / step) * step;
  return { from, to };
}
