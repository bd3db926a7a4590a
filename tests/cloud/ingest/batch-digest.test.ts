import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { batchDigest, batchDigestV1, sameContent } from '../../../cloud/ingest/batch-digest.ts';
import { storeBatch } from '../../../cloud/ingest/store-batch.ts';
import { GroupCommitter } from '../../../cloud/ingest/group-commit.ts';
import { createCloudMetrics } from '../../../cloud/metrics.ts';
import { PROTOCOL_VERSION, UplinkBatch } from '../../../protocols/uplink/contract.ts';
import { READING_KINDS } from '../../../protocols/reading.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// The digest kept with each batch key (cloud/ingest/batch-digest.ts) is what tells a gateway's
// resend (answered `duplicate`, nothing stored twice) from another batch sent under a used seq
// (refused as a conflict, kept whole). What a site relies on:
//   - a resend, also one rebuilt from the outbox after a restart, is always the same content;
//   - any change to what would be stored is another content;
//   - version 2 (readings hashed as bytes) tells exactly the same batches apart as version 1 did;
//   - a key committed by a cloud before version 2 still recognises its resend after the upgrade,
//     and still refuses another batch under it.

const T0 = Date.parse('2026-12-01T00:00:00Z');
const sensorId = fc.string({ unit: fc.constantFrom('a', 'b', '1', '-', '\t', '\n', '\\', '"', '中', '\u0000'), minLength: 1, maxLength: 6 });
const reading = fc.record({
  sensor: sensorId,
  kind: fc.constantFrom(...READING_KINDS),
  ts: fc.integer({ min: 0, max: 253402300799999 }),
  value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 1, 0.1, 1e-300)),
  quality: fc.constantFrom('good' as const, 'uncertain' as const, 'bad' as const),
});
const batchOf = (readings: UplinkBatch['readings'], alerts: UplinkBatch['alerts'] = []): UplinkBatch =>
  ({ v: PROTOCOL_VERSION, gateway: 'gw', stream: 'st', seq: 1, sentAt: T0, readings, alerts, devices: [], movements: [] });
const aBatch = fc.array(reading, { maxLength: 40 }).map((r) => batchOf(r));

/** one change to one reading's stored fields */
const edit = fc.tuple(fc.nat(), fc.constantFrom('sensor', 'kind', 'ts', 'value', 'quality', 'drop', 'swap'), fc.nat());
function edited(b: UplinkBatch, [at, field, n]: [number, string, number]): UplinkBatch {
  if (b.readings.length === 0) return batchOf([{ sensor: 's', kind: 'temperature', ts: n, value: 1, quality: 'good' }]);
  const readings = b.readings.map((r) => ({ ...r }));
  const i = at % readings.length;
  const r = readings[i]!;
  if (field === 'sensor') r.sensor += 'x';
  if (field === 'kind') r.kind = READING_KINDS[(READING_KINDS.indexOf(r.kind) + 1 + (n % (READING_KINDS.length - 1))) % READING_KINDS.length]!;
  if (field === 'ts') r.ts = r.ts === 0 ? 1 : r.ts - 1;
  if (field === 'value') r.value = r.value === 0 ? Number.MIN_VALUE : r.value * (1 + Number.EPSILON * 4) + (Math.abs(r.value) < 1 ? 1 : 0);
  if (field === 'quality') r.quality = r.quality === 'good' ? 'bad' : 'good';
  if (field === 'drop') readings.splice(i, 1);
  if (field === 'swap') { const j = (i + 1 + n) % readings.length; readings[i] = readings[j]!; readings[j] = r; }
  return batchOf(readings);
}

describe('the content digest of a batch (cloud/ingest/batch-digest.ts)', () => {
  it('is the same for a resend: another sentAt, -0 read back from the outbox as 0, keys in another order', () => {
    fc.assert(fc.property(aBatch, fc.integer(), (b, sentAt) => {
      const resend: UplinkBatch = { ...b, sentAt, readings: b.readings.map((r) => ({ quality: r.quality, value: r.value === 0 ? 0 : r.value, ts: r.ts, kind: r.kind, sensor: r.sensor })) };
      expect(batchDigest(resend)).toBe(batchDigest(b));
    }));
    const withAlert = (a: UplinkBatch['alerts'][number]) => batchDigest(batchOf([], [a]));
    const alert = { id: 'a1', zone: 'z', rule: 'temp_high', severity: 'critical', state: 'open', at: T0, message: 'm' } as unknown as UplinkBatch['alerts'][number];
    expect(withAlert(alert)).toBe(withAlert(Object.fromEntries(Object.entries(alert).reverse()) as typeof alert));
  });

  it('changes with any change to what would be stored, and tells batches apart exactly as version 1 did', () => {
    fc.assert(fc.property(aBatch, edit, (b, e) => {
      const other = edited(b, e);
      const same1 = batchDigestV1(other) === batchDigestV1(b);
      expect(batchDigest(other) === batchDigest(b)).toBe(same1);
    }), { numRuns: 2000 });
    // and the edits are real changes as a rule (a swap of two equal readings is not one)
    const b = batchOf([{ sensor: 's1', kind: 'temperature', ts: T0, value: 4, quality: 'good' }, { sensor: 's2', kind: 'weight', ts: T0, value: 5, quality: 'good' }]);
    for (const field of ['sensor', 'kind', 'ts', 'value', 'quality', 'drop', 'swap']) expect(batchDigest(edited(b, [0, field, 0])), field).not.toBe(batchDigest(b));
  });

  it('a key kept with a version 1 digest knows its resend and refuses another batch', () => {
    fc.assert(fc.property(aBatch, edit, (b, e) => {
      const other = edited(b, e);
      expect(sameContent(batchDigestV1(b), b, batchDigest(b))).toBe(true);
      expect(sameContent(batchDigestV1(b), other, batchDigest(other))).toBe(batchDigestV1(other) === batchDigestV1(b));
      expect(sameContent(batchDigest(b), other, batchDigest(other))).toBe(batchDigest(other) === batchDigest(b));
    }));
    expect(sameContent(null, batchOf([]), batchDigest(batchOf([])))).toBe(true);
  });
});

describe(`a batch key committed before digest version 2, resent after the upgrade (${engineLabel})`, () => {
  let t: TestDatabase;
  const gateway = 'dg-gw';
  const make = (seq: number, value: number, n: number) => UplinkBatch.parse({
    v: PROTOCOL_VERSION, gateway, stream: 'st', seq, sentAt: T0 + seq,
    readings: Array.from({ length: n }, (_, i) => ({ sensor: 'dg-s1', kind: 'temperature', ts: T0 + seq * 10_000 + i, value: value + i / 10, quality: 'good' })),
    alerts: [],
  });

  beforeAll(async () => {
    t = await testDatabase();
    await registerGateway(t.db, gateway, { site: 'shop' });
  });
  afterAll(async () => t?.cleanup());

  // one small batch (the per-batch path) and one of 300 readings (on PostgreSQL the set-based COPY path of a group)
  it.each([[2, 5], [3, 300]])('seq %i (%i readings): the resend is a duplicate, another batch under the key a conflict', async (seq, n) => {
    const sent = make(seq, 4, n);
    expect((await storeBatch(t.db, sent, [])).status).toBe('committed');
    // what a cloud before version 2 left in the key
    await t.db.query('UPDATE uplink_batches SET digest = $1 WHERE gateway = $2 AND stream = $3 AND seq = $4', [batchDigestV1(sent), gateway, 'st', seq]);
    const committer = new GroupCommitter({ db: t.db, targets: [], metrics: createCloudMetrics(), maxBatches: 8, concurrency: 1 });
    const resend = { ...sent, sentAt: sent.sentAt + 60_000 };
    const forged = make(seq, 9, n);
    expect((await storeBatch(t.db, resend, [])).status).toBe('duplicate');
    expect((await committer.store(resend)).status).toBe('duplicate');
    const refused = await storeBatch(t.db, forged, []);
    expect(refused.status).toBe('rejected');
    expect((await committer.store(forged)).status).toBe('rejected');
    const rows = await t.db.query<{ n: number; v: number }>(`SELECT count(*)::int AS n, min(value)::float8 AS v FROM readings WHERE ts >= to_timestamp(${(T0 + seq * 10_000) / 1000}) AND ts < to_timestamp(${(T0 + seq * 10_000 + n) / 1000})`);
    expect(rows[0]).toEqual({ n, v: 4 });
  });
});
