import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeMqttJson } from '../../../protocols/mqtt-json/decode.ts';
import { decodeRegisters, parseRegisterPoint } from '../../../protocols/modbus/register-map.ts';
import { parseUplinkBatch } from '../../../protocols/uplink/parse.ts';
import { PROTOCOL_VERSION } from '../../../protocols/uplink/contract.ts';
import { Reading } from '../../../protocols/reading.ts';
import { RUNS, SEED, codedOrValue, params } from '../../helpers/coded.ts';
import { parseEdgeConfig } from '../../../edge/config.ts';
import { parseHeader, parseTimestamp, splitCsvLine } from '../../../edge/replay/index.ts';
import * as frames from '../fixtures/mqtt-json-frames.ts';

// Every decoder and parser that takes bytes from outside, fed random and mutated frames for a
// fixed budget: it either returns a valid result or throws a coded SpError — never anything
// else. FUZZ_RUNS raises the budget (npm run test:fuzz uses 20000 per property).

const realFrames = (Object.values(frames) as unknown[]).filter((v): v is string => typeof v === 'string');

/** a real frame with bytes flipped, cut, duplicated or spliced */
const mutatedFrame = fc.tuple(fc.constantFrom(...realFrames), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'dup', 'insert')), { maxLength: 6 }))
  .map(([frame, edits]) => {
    let b = Buffer.from(frame);
    for (const [pos, byte, op] of edits) {
      const i = b.length ? pos % b.length : 0;
      if (op === 'flip') b[i] = byte;
      else if (op === 'cut') b = b.subarray(0, i);
      else if (op === 'dup') b = Buffer.concat([b, b.subarray(i)]);
      else b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
    }
    return b;
  });

const anyBytes = fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u));
const anyJsonText = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null');
const points = [
  { sensor: 't', kind: 'temperature' as const },
  { sensor: 'd', kind: 'door' as const },
  { sensor: 'b', kind: 'battery' as const },
  { sensor: 'x', kind: 'temperature' as const, field: 'a.b.c' },
];

describe(`fuzz (${RUNS} runs per property, seed ${SEED})`, () => {
  it('mqtt-json decoder: valid readings or SP_ERR_DECODE', () => {
    fc.assert(fc.property(fc.oneof(mutatedFrame, anyBytes, anyJsonText), (payload) => {
      const out = codedOrValue(() => decodeMqttJson(payload, points, 1_764_000_000_000));
      for (const r of out ?? []) expect(Reading.safeParse(r).success).toBe(true);
    }), params);
  });

  it('modbus register decoder: a finite value or a coded error, for any registers and map', () => {
    const map = fc.record({
      address: fc.oneof(fc.integer({ min: -5, max: 70000 }), fc.constant(0)),
      type: fc.oneof(fc.constantFrom('int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'), fc.string()),
      byteOrder: fc.constantFrom('big', 'little', 'middle'),
      wordOrder: fc.constantFrom('big', 'little'),
      scale: fc.oneof(fc.double(), fc.constant(1)),
      offset: fc.oneof(fc.double(), fc.constant(0)),
    }, { requiredKeys: ['address', 'type'] });
    const regs = fc.array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer(), fc.double()), { maxLength: 5 });
    fc.assert(fc.property(regs, map, (r, m) => {
      const v = codedOrValue(() => decodeRegisters(r, m as never));
      if (v !== undefined) expect(Number.isFinite(v)).toBe(true);
    }), params);
    fc.assert(fc.property(fc.jsonValue(), (m) => { codedOrValue(() => parseRegisterPoint(m)); }), params);
  });

  it('uplink batch parser: a batch or SP_ERR_UPLINK_BATCH, never a crash', () => {
    const good = JSON.stringify({
      v: PROTOCOL_VERSION, gateway: 'gw', stream: 's', seq: 3, sentAt: 1,
      readings: [{ sensor: 't', kind: 'temperature', ts: 1, value: 4 }],
      alerts: [{ id: 'a', transition: 'raised', rule: 'high', zone: 'z', severity: 'critical', ts: 2, since: 1, message: 'm' }],
    });
    const mutated = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 32, max: 126 })), { maxLength: 4 }).map((edits) => {
      const b = Buffer.from(good);
      for (const [p, c] of edits) b[p % b.length] = c;
      return b;
    });
    fc.assert(fc.property(fc.oneof(mutated, anyBytes, anyJsonText), (payload) => {
      const r = parseUplinkBatch(payload, 'gw');
      if (r.ok) expect(r.batch.gateway).toBe('gw');
      else expect(r.error.code).toBe('SP_ERR_UPLINK_BATCH');
    }), params);
    expect(parseUplinkBatch(good, 'gw').ok).toBe(true);
  });

  it('edge config parser: a frozen config or SP_ERR_CONFIG listing issues', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), (obj) => {
      codedOrValue(() => parseEdgeConfig(obj, {}));
    }), params);
  });

  it('replay CSV helpers: never throw on any line except coded header errors', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (line) => {
      expect(Array.isArray(splitCsvLine(line))).toBe(true);
      const ts = parseTimestamp(line);
      if (ts !== undefined) expect(Number.isFinite(ts)).toBe(true);
      codedOrValue(() => parseHeader(line));
    }), params);
  });
});
