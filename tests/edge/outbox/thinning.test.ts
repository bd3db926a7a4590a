import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import { SqliteOutbox } from '../../../edge/outbox/sqlite-outbox.ts';
import { planThinning } from '../../../edge/outbox/thinning.ts';
import type { OutboxEntry } from '../../../edge/outbox/queue.ts';
import type { Reading } from '../../../protocols/reading.ts';
import { alert, drain, tempDir } from './helpers.ts';

// At its byte cap the outbox gives up detail, never events: old raw readings become per-minute
// min/max/avg (three 'uncertain' readings at the minute's start); alerts, device events and
// manifests all survive; past that it keeps accepting and says it is over cap.

const tmp = tempDir();
afterAll(() => tmp.remove());
const T0 = 1_790_000_040_000; // not on a minute boundary, so minutes are split mid-way
const MINUTE = 60_000;

function capturingLog() {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'info' }, new Writable({ write(chunk, _e, cb) { lines.push(JSON.parse(chunk.toString())); cb(); } }));
  return { log, lines };
}

describe('thinning plan', () => {
  it('folds 4+ readings of a sensor and minute into min, max, avg at the minute start; leaves smaller groups alone', () => {
    const rows = [
      { id: 1, sensor: 'a', kind: 'temperature', ts: 60_000, value: 4, quality: 'good' },
      { id: 2, sensor: 'a', kind: 'temperature', ts: 70_000, value: 2, quality: 'good' },
      { id: 3, sensor: 'b', kind: 'temperature', ts: 70_000, value: 9, quality: 'good' },
      { id: 4, sensor: 'a', kind: 'temperature', ts: 80_000, value: 6, quality: 'uncertain' },
      { id: 5, sensor: 'a', kind: 'temperature', ts: 90_000, value: 99, quality: 'bad' },
      { id: 6, sensor: 'a', kind: 'temperature', ts: 119_999, value: 3, quality: 'good' },
      { id: 7, sensor: 'a', kind: 'temperature', ts: 120_000, value: 5, quality: 'good' },
    ];
    const plan = planThinning(rows);
    expect(plan.folded).toBe(5);
    expect(plan.rewrite).toEqual([
      { id: 1, ts: 60_000, value: 2, quality: 'uncertain' },
      { id: 2, ts: 60_000, value: 6, quality: 'uncertain' },
      { id: 4, ts: 60_000, value: 15 / 4, quality: 'uncertain' }, // the bad 99 is left out
    ]);
    expect(plan.remove).toEqual([5, 6]);
  });
});

describe('SqliteOutbox at its byte cap', () => {
  it('thins old readings to per-minute min/max/avg, keeps every alert, counts and logs it', () => {
    const { log, lines } = capturingLog();
    const o = SqliteOutbox.open(tmp.path('cap.sqlite'), { maxBytes: 64 * 1024, log });
    const sensors = ['chiller-t1', 'chiller-t2', 'freezer-t1'];
    const appended: Reading[] = [];
    let alerts = 0;
    // 20 minutes of 1 Hz readings from three sensors (~190 KiB raw), appended in 100 ms-like groups
    for (let s = 0; s < 20 * 60; s += 10) {
      const group: OutboxEntry[] = [];
      for (let k = s; k < s + 10; k++) {
        for (const [i, sensor] of sensors.entries()) {
          const reading: Reading = { sensor, kind: 'temperature', ts: T0 + k * 1000, value: 2 + i + Math.sin(k / 7), quality: 'good' };
          appended.push(reading);
          group.push({ type: 'reading', reading });
        }
      }
      if (s % 60 === 0) group.push(alert(alerts++));
      o.append(group);
    }
    expect(o.thinned()).toBeGreaterThan(0);
    expect(o.bytes()).toBeLessThanOrEqual(64 * 1024);
    expect(o.overCap()).toBe(false);
    expect(lines.some((l) => /folded \d+ old raw readings/.test(l.msg))).toBe(true);

    const { entries } = drain(o);
    expect(entries.filter((e) => e.type === 'alert').map((e) => (e.type === 'alert' ? e.alert.id : ''))).toEqual([...Array(alerts).keys()].map((i) => `a-${i}`));
    const readings = entries.flatMap((e) => (e.type === 'reading' ? [e.reading] : []));
    const summaries = readings.filter((r) => r.quality === 'uncertain');
    expect(summaries.length).toBeGreaterThan(0);
    expect(readings.length).toBeLessThan(appended.length);
    // each summarised (sensor, minute) is exactly min, max, avg of what was appended for it...
    const bucket = (r: Reading) => `${r.sensor}@${Math.floor(r.ts / MINUTE) * MINUTE}`;
    const summarised = new Map<string, number[]>();
    for (const r of summaries) summarised.set(bucket(r), [...(summarised.get(bucket(r)) ?? []), r.value]);
    for (const [key, values] of summarised) {
      const raw = appended.filter((r) => bucket(r) === key).map((r) => r.value);
      expect(values).toHaveLength(3);
      expect(values[0]).toBeCloseTo(Math.min(...raw), 9);
      expect(values[1]).toBeCloseTo(Math.max(...raw), 9);
      expect(values[2]).toBeCloseTo(raw.reduce((a, b) => a + b, 0) / raw.length, 9);
      expect(summaries.filter((r) => bucket(r) === key).every((r) => r.ts % MINUTE === 0)).toBe(true);
    }
    // ...and it was the oldest that went: the newest minutes arrive as measured
    const newest = appended.slice(-sensors.length * 60);
    expect(readings.slice(-newest.length)).toEqual(newest);
    // every appended reading is either delivered as is, or inside a summarised minute
    const delivered = new Set(readings.filter((r) => r.quality === 'good').map((r) => `${r.sensor}@${r.ts}`));
    expect(appended.every((r) => delivered.has(`${r.sensor}@${r.ts}`) || summarised.has(bucket(r)))).toBe(true);
    o.close();
  });

  it('never drops alerts or device events: with nothing to thin it keeps accepting and reports over-cap', () => {
    const { log, lines } = capturingLog();
    const o = SqliteOutbox.open(tmp.path('over.sqlite'), { maxBytes: 4096, log });
    const entries: OutboxEntry[] = [];
    for (let i = 0; i < 100; i++) {
      entries.push(alert(i), { type: 'device', device: { device: `d${i}`, ts: i, state: 'offline' } });
    }
    for (let i = 0; i < 200; i += 20) o.append(entries.slice(i, i + 20));
    expect(o.overCap()).toBe(true);
    expect(o.bytes()).toBeGreaterThan(4096);
    expect(o.depth()).toBe(200);
    expect(lines.some((l) => l.level === 40 && /over its byte cap/.test(l.msg))).toBe(true);
    expect(drain(o).entries).toEqual(entries);
    expect(o.overCap()).toBe(false);
    o.close();
  });
});
