import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeEpc } from '../../../protocols/epc/decode.ts';
import { decodeReaderMessage } from '../../../protocols/rfid/reader-events.ts';
import { READER_FORMATS } from '../../../protocols/rfid/tag-read.ts';
import { parseMtSicsLine } from '../../../protocols/scale/mt-sics.ts';
import { parseWeightStreamLine } from '../../../protocols/scale/weight-stream.ts';
import { ExpectedDocumentsMessage } from '../../../protocols/uplink/expected-documents.ts';
import { RUNS, SEED, codedOrValue, params } from '../../helpers/coded.ts';
import * as readerFrames from '../fixtures/reader-frames.ts';

// The stock devices' decoders (EPC, RFID reader events, MT-SICS, the continuous weight stream)
// fed random and mutated input for a fixed budget: a result or a coded SpError, never anything
// else, never a hang. Same budget knobs as decoders.fuzz.test.ts (FUZZ_RUNS, FUZZ_SEED).

const frames = (Object.values(readerFrames) as unknown[]).filter((v): v is string => typeof v === 'string');
const mutate = (seeds: string[]) => fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()), { maxLength: 6 }))
  .map(([s, edits]) => {
    let b = Buffer.from(s);
    for (const [pos, byte, cut] of edits) {
      const i = b.length ? pos % b.length : 0;
      if (cut) b = b.subarray(0, i);
      else b[i] = byte;
    }
    return b;
  });
const hexish = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), maxLength: 80 }),
  fc.string({ maxLength: 60 }),
  fc.constantFrom('3074257BF7194E4000001A85', '36'.padEnd(50, '0'), '3114257BF4B7A3B8', 'urn:epc:id:sgtin:0614141.812345.6789'),
);
const scaleLines = ['S S      12.345 kg', 'S D       0.100 g', 'S I', 'S +', 'S -', 'SI S     100.00 lb', 'ST,GS,+0012.345kg', 'US,NT,-0000.500 g', 'OL,GS,+9999.999kg'];

describe(`fuzz: stock-device decoders (${RUNS} runs per property, seed ${SEED})`, () => {
  it('EPC: a decoded identity or raw hex with a reason, or a coded error', () => {
    fc.assert(fc.property(hexish, (s) => {
      const d = codedOrValue(() => decodeEpc(s));
      if (d) expect(typeof d).toBe('object');
    }), params);
  });

  it('RFID reader events (Impinj, Zebra, generic): tag reads or a coded error', () => {
    const input = fc.oneof(mutate(frames), fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')), fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)));
    fc.assert(fc.property(fc.constantFrom(...READER_FORMATS), input, (format, payload) => {
      const reads = codedOrValue(() => decodeReaderMessage(format, payload, 'r1', 1_790_000_000_000));
      for (const r of reads ?? []) expect(typeof r.epc).toBe('string');
    }), params);
  });

  it('MT-SICS and the weight stream: a parsed line or a coded error', () => {
    const line = fc.oneof(mutate(scaleLines).map((b) => b.toString('latin1')), fc.string({ maxLength: 40 }));
    fc.assert(fc.property(line, (l) => {
      codedOrValue(() => parseMtSicsLine(l));
      codedOrValue(() => parseWeightStreamLine(l));
    }), params);
  });

  // (the uplink readings fast path is fuzzed against zod itself in tests/cloud/ingest/fast-readings.test.ts)
  it('the open-documents message a gateway receives: a verdict, never a throw', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
      const r = ExpectedDocumentsMessage.safeParse(v); // a zod verdict, never a throw
      expect(typeof r.success).toBe('boolean');
    }), params);
  });
});
