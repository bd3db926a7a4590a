import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { copyBinary, pgMicros, PG_EPOCH_MS } from '../../../cloud/ingest/copy-binary.ts';
import { MAX_TS, READING_KINDS, type Reading } from '../../../protocols/reading.ts';

// The binary COPY stream the cloud sends PostgreSQL (cloud/ingest/copy-binary.ts), read back by
// an independent reader written from the PostgreSQL docs' "Binary Format" (BigInt for the int64,
// TextDecoder for text). Every row must carry exactly its reading: a timestamp off by one
// microsecond, a value rounded or a zone swapped would be stored without any error.
// tests/cloud/ingest/copy-ingest.test.ts sends the same stream to a real PostgreSQL.

interface Row { ts: bigint; gateway: string; sensor: string; zone: string; kind: string; value: number; quality: string }

function readCopyBinary(data: Uint8Array): Row[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const text = new TextDecoder('utf-8', { fatal: true });
  expect([...data.subarray(0, 11)]).toEqual([...Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')]);
  expect(view.getInt32(11)).toBe(0); // flags
  expect(view.getInt32(15)).toBe(0); // header extension
  let at = 19;
  const rows: Row[] = [];
  for (;;) {
    const fields = view.getInt16(at); at += 2;
    if (fields === -1) break;
    expect(fields).toBe(7);
    const field = () => { const n = view.getInt32(at); at += 4; const f = data.subarray(at, at + n); at += n; return f; };
    const ts = field(), gateway = field(), sensor = field(), zone = field(), kind = field(), value = field(), quality = field();
    expect(ts.length).toBe(8);
    expect(value.length).toBe(8);
    rows.push({
      ts: new DataView(ts.buffer, ts.byteOffset, 8).getBigInt64(0),
      gateway: text.decode(gateway), sensor: text.decode(sensor), zone: text.decode(zone), kind: text.decode(kind),
      value: new DataView(value.buffer, value.byteOffset, 8).getFloat64(0), quality: text.decode(quality),
    });
  }
  expect(at).toBe(data.length); // nothing after the trailer
  return rows;
}

const micros = (ts: number) => (BigInt(ts) - BigInt(PG_EPOCH_MS)) * 1000n;

const sensorId = fc.oneof(fc.constantFrom('t1', 't2', 'chiller/probe 3', 'café-冷库-1', 'tab\there', 'a\\b'), fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }));
const reading = fc.record({
  sensor: sensorId,
  kind: fc.constantFrom(...READING_KINDS),
  ts: fc.oneof(fc.integer({ min: 0, max: MAX_TS }), fc.constantFrom(0, PG_EPOCH_MS - 1, PG_EPOCH_MS, PG_EPOCH_MS + 1, 2 ** 32, 2 ** 32 * 1000, MAX_TS, Date.parse('2026-12-06T10:00:00.123Z'))),
  value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 4.2, -18.75, Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE)),
  quality: fc.constantFrom('good', 'uncertain', 'bad'),
}) as fc.Arbitrary<Reading>;

describe('binary COPY of readings (cloud/ingest/copy-binary.ts)', () => {
  it('the timestamp is the exact int64 of microseconds since 2000-01-01 UTC, for every ms the contract takes', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_TS }), (ts) => {
      const { hi, lo } = pgMicros(ts);
      expect(Number.isInteger(hi) && hi >= -(2 ** 31) && hi < 2 ** 31).toBe(true);
      expect(Number.isInteger(lo) && lo >= 0 && lo < 2 ** 32).toBe(true);
      expect((BigInt(hi) << 32n) + BigInt(lo)).toBe(micros(ts));
    }), { numRuns: 5000 });
  });

  it('every row carries its own reading, its gateway and its sensor\'s zone (unassigned when none), in order', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ gateway: fc.constantFrom('gw-1', 'gw-été', 'gw 3'), readings: fc.array(reading, { maxLength: 60 }) }), { maxLength: 4 }),
      fc.dictionary(sensorId, fc.string({ minLength: 1, maxLength: 10 })),
      (batches, zoneRecord) => {
        const zones = new Map(Object.entries(zoneRecord));
        const rows = readCopyBinary(copyBinary(batches, zones));
        const expected = batches.flatMap((b) => b.readings.map((r) => ({
          ts: micros(r.ts), gateway: b.gateway, sensor: r.sensor, zone: zones.get(r.sensor) ?? 'unassigned', kind: r.kind, value: r.value, quality: r.quality,
        })));
        expect(rows).toHaveLength(expected.length);
        for (let i = 0; i < rows.length; i++) {
          expect(rows[i]).toEqual(expected[i]);
          expect(Object.is(rows[i]!.value, expected[i]!.value)).toBe(true); // -0 stays -0
        }
      }), { numRuns: 300 });
  });

  it('a sensor reporting two kinds in one batch keeps each reading\'s own kind', () => {
    const readings: Reading[] = [
      { sensor: 's', kind: 'temperature', ts: 1, value: 1, quality: 'good' },
      { sensor: 's', kind: 'humidity', ts: 2, value: 2, quality: 'good' },
      { sensor: 's', kind: 'temperature', ts: 3, value: 3, quality: 'bad' },
    ];
    expect(readCopyBinary(copyBinary([{ gateway: 'g', readings }], new Map([['s', 'z']]))).map((r) => [r.kind, r.value, r.quality, r.zone]))
      .toEqual([['temperature', 1, 'good', 'z'], ['humidity', 2, 'good', 'z'], ['temperature', 3, 'bad', 'z']]);
  });

  it('a batch far bigger than the first guess of its size grows the buffer without losing a byte', () => {
    const long = 'x'.repeat(300); // 4 × 300-byte fields per row, the guess is 64 bytes per row
    const readings: Reading[] = Array.from({ length: 500 }, (_, i) => ({ sensor: `${long}${i}`, kind: 'temperature', ts: PG_EPOCH_MS + i, value: i / 7, quality: 'good' }));
    const rows = readCopyBinary(copyBinary([{ gateway: long, readings }], new Map(readings.map((r) => [r.sensor, long]))));
    expect(rows.map((r) => r.sensor)).toEqual(readings.map((r) => r.sensor));
    expect(rows.map((r) => r.value)).toEqual(readings.map((r) => r.value));
    expect(rows.map((r) => r.ts)).toEqual(readings.map((r) => BigInt(r.ts - PG_EPOCH_MS) * 1000n));
  });

  it('no readings is a valid empty stream (signature, header, trailer)', () => {
    expect(readCopyBinary(copyBinary([], new Map()))).toEqual([]);
    expect(copyBinary([{ gateway: 'g', readings: [] }], new Map())).toHaveLength(21);
  });
});
