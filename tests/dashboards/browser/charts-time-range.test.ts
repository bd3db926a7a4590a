import { describe, expect, it } from 'vitest';

// The dashboard's window arithmetic (dashboards/web/time-range.js, DOM-free): what the URL says,
// what zoom-out / shift / the fitted default make of it, and the one bucket every panel asks for.
// Runs in Node; the browser behaviour around it is in charts.test.ts.

interface Range { key: string; label: string; ms: number }
interface State { range: Range | null; from: number | null; to: number | null; zones: string[]; refresh: { key: string; ms: number }; explicit?: boolean }
interface TimeRange {
  parseState(search: string): State;
  stateToSearch(state: State, base?: string): string;
  resolveView(state: State, now?: number): { from: number; to: number; live: boolean };
  zoomOut(state: State, now?: number): State;
  shift(state: State, dir: number, now?: number): State;
  absolute(state: State, from: number, to: number): State;
  fitRange(firstTs: number, now?: number): Range;
  pickBucketSec(rangeMs: number, widthPx: number): number;
  MIN_SPAN_MS: number;
}

// a plain .js module (no types): imported by URL so the typecheck does not need allowJs
const t = (await import(new URL('../../../dashboards/web/time-range.js', import.meta.url).href)) as TimeRange;
const MIN = 60_000, HOUR = 60 * MIN;
const now = Date.UTC(2026, 11, 6, 12, 0, 0);

describe('time-range.js', () => {
  it('reads a relative range, an absolute window, zones and refresh from the URL, and writes them back', () => {
    const rel = t.parseState('?range=1h&zone=chiller&zone=freezer&refresh=off');
    expect(rel).toMatchObject({ range: { key: '1h', ms: HOUR }, from: null, zones: ['chiller', 'freezer'], refresh: { key: 'off', ms: 0 }, explicit: true });
    const abs = t.parseState('?from=2026-12-06T10:00:00.000Z&to=2026-12-06T11:30:00.000Z&refresh=5m');
    expect(abs).toMatchObject({ range: null, from: Date.UTC(2026, 11, 6, 10), to: Date.UTC(2026, 11, 6, 11, 30), refresh: { ms: 5 * MIN } });
    expect(t.parseState(`?${t.stateToSearch(abs, 'full=chiller')}`)).toEqual(abs);
    expect(new URLSearchParams(t.stateToSearch(rel, 'full=chiller')).get('full')).toBe('chiller');
    // a custom relative span (the fitted default, a zoomed-out live view) survives the round trip
    expect(t.parseState('?range=23m').range?.ms).toBe(23 * MIN);
  });

  it('ignores nonsense in the URL: from after to, garbage ranges, unknown refresh', () => {
    const s = t.parseState('?from=2026-12-06T11:00:00Z&to=2026-12-06T10:00:00Z&range=banana&refresh=1ms');
    expect(s.range?.key).toBe('6h');
    expect(s.from).toBeNull();
    expect(s.refresh.key).toBe('10s');
    expect(t.parseState('').explicit).toBe(false);
  });

  it('zoom out doubles the window (a live one stays live), shift moves half a window and never past now', () => {
    const live = t.parseState('?range=1h');
    expect(t.zoomOut(live, now).range?.ms).toBe(2 * HOUR);
    const abs = t.absolute(live, now - 4 * HOUR, now - 2 * HOUR);
    expect(t.resolveView(t.zoomOut(abs, now), now)).toEqual({ from: now - 5 * HOUR, to: now - HOUR, live: false });
    expect(t.resolveView(t.shift(abs, -1, now), now)).toEqual({ from: now - 5 * HOUR, to: now - 3 * HOUR, live: false });
    expect(t.resolveView(t.shift(abs, 1, now), now)).toEqual({ from: now - 3 * HOUR, to: now - HOUR, live: false });
    expect(t.resolveView(t.shift(t.shift(abs, 1, now), 1, now), now).to).toBe(now);
    // a zoom never narrower than MIN_SPAN_MS
    const tiny = t.resolveView(t.absolute(live, now - 100, now - 50), now);
    expect(tiny.to - tiny.from).toBe(t.MIN_SPAN_MS);
  });

  it('a young site opens on the span of its data, at least 15 min; an older one on 6 h', () => {
    expect(t.fitRange(now - 5 * MIN, now).ms).toBe(15 * MIN);
    expect(t.fitRange(now - 100 * MIN - 10_000, now).ms).toBe(102 * MIN);
    expect(t.fitRange(now - 3 * 24 * HOUR, now).key).toBe('6h');
    expect(t.fitRange(Number.NaN, now).key).toBe('6h');
  });

  it('one bucket: never more buckets than plot pixels, rounded up to a nice width', () => {
    expect(t.pickBucketSec(15 * MIN, 900)).toBe(1);
    expect(t.pickBucketSec(15 * MIN, 899)).toBe(5);
    expect(t.pickBucketSec(24 * HOUR, 800)).toBe(300);
    for (const [range, px] of [[HOUR, 333], [7 * 24 * HOUR, 1200], [30 * 24 * HOUR, 390]] as const) {
      expect(range / 1000 / t.pickBucketSec(range, px)).toBeLessThanOrEqual(px);
    }
  });
});
