import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseUplinkBatch } from '../../../protocols/uplink/parse.ts';
import { PROTOCOL_VERSION, UplinkBatch } from '../../../protocols/uplink/contract.ts';
import { READING_KINDS } from '../../../protocols/reading.ts';
import { zodIssuesToDetails } from '../../../protocols/errors.ts';

// The uplink parser checks readings with a plain loop (protocols/uplink/fast-readings.ts) instead
// of zod, for speed. It must accept exactly what the zod contract accepts, give the same batch,
// and reject with the same coded details: checked here against the schema itself on generated
// batches mixing valid and invalid readings.

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);

const field = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: good as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: fc.anything() });
const reading = fc.record({
  sensor: field(fc.oneof(fc.string({ minLength: 1 }), fc.constant(''))),
  kind: field(fc.oneof(fc.constantFrom(...READING_KINDS), fc.string())),
  ts: field(fc.oneof(fc.integer({ min: 0 }), fc.integer({ min: -5, max: 5 }), fc.constant(2 ** 60), fc.double())),
  value: field(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer())),
  quality: field(fc.constantFrom('good', 'uncertain', 'bad', 'perfect')),
  extra: fc.anything(),
}, { requiredKeys: [] });
const validReading = fc.record({
  sensor: fc.string({ minLength: 1 }), kind: fc.constantFrom(...READING_KINDS), ts: fc.maxSafeNat(),
  value: fc.double({ noNaN: true, noDefaultInfinity: true }), quality: fc.constantFrom('good', 'uncertain', 'bad'),
}, { requiredKeys: ['sensor', 'kind', 'ts', 'value'] });
// all-valid arrays (the fast path's output must equal zod's) and mixed ones (it must step aside)
const readings = fc.oneof(
  { weight: 4, arbitrary: fc.array(validReading, { maxLength: 20 }) },
  { weight: 4, arbitrary: fc.array(fc.oneof({ weight: 9, arbitrary: validReading as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: reading }), { maxLength: 20 }) },
  { weight: 1, arbitrary: fc.anything() },
);
const alerts = fc.oneof({ weight: 5, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.anything(), { maxLength: 2 }) });

describe('uplink parser: fast readings check ≡ zod contract', () => {
  it('same verdict, same batch, same error details as UplinkBatch.safeParse', () => {
    fc.assert(fc.property(readings, alerts, (rs, as) => {
      const payload = JSON.stringify({ v: PROTOCOL_VERSION, gateway: 'gw', stream: 's', seq: 1, sentAt: 1, readings: rs, alerts: as });
      const ours = parseUplinkBatch(payload, 'gw');
      const ref = UplinkBatch.safeParse(JSON.parse(payload));
      expect(ours.ok).toBe(ref.success);
      if (ours.ok && ref.success) expect(ours.batch).toStrictEqual(ref.data);
      if (!ours.ok && !ref.success) expect(ours.error.details).toEqual(zodIssuesToDetails(ref.error.issues).slice(0, 20));
    }), { numRuns: RUNS });
  });

  it('a valid batch keeps every reading, drops unknown keys and defaults quality to good', () => {
    const r = parseUplinkBatch(JSON.stringify({ v: 1, gateway: 'gw', stream: 's', seq: 1, sentAt: 1, alerts: [],
      readings: [{ sensor: 'a', kind: 'temperature', ts: 5, value: -0.5, junk: true }, { sensor: 'b', kind: 'door', ts: 6, value: 1, quality: 'bad' }] }), 'gw');
    expect(r.ok && r.batch.readings).toStrictEqual([
      { sensor: 'a', kind: 'temperature', ts: 5, value: -0.5, quality: 'good' },
      { sensor: 'b', kind: 'door', ts: 6, value: 1, quality: 'bad' },
    ]);
  });
});
