import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { inPieces, parseFrameJson, PIECE_BYTES } from '../../protocols/uplink/frame-json.ts';
import { parseUplinkBatch } from '../../protocols/uplink/parse.ts';

// protocols/uplink/frame-json.ts parses an uplink frame with its readings cut in pieces, found
// by byte searches that a hostile gateway can fool. What the cloud relies on: whatever the bytes,
// the result is exactly what JSON.parse of the whole frame gives (or the same SyntaxError), so a
// frame cannot mean one thing to the fast path and another to the contract. Small piece sizes
// put many cuts in small frames.

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

function outcome(parse: () => unknown): Outcome {
  try {
    return { ok: true, value: parse() };
  } catch (e) {
    return { ok: false, error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

function expectSameAsJsonParse(frame: Buffer, pieceBytes: number): void {
  const whole = outcome(() => JSON.parse(frame.toString('utf8')));
  const pieces = outcome(() => parseFrameJson(frame, pieceBytes));
  expect(pieces).toStrictEqual(whole);
}

// ids built from the characters that could fool the byte searches: braces, brackets, commas,
// quotes, backslashes, multi-byte UTF-8, control characters (escaped as \u00XX by JSON.stringify)
const nasty = fc.string({ unit: fc.constantFrom('a', '7', '-', '}', ']', '[', '{', ',', '"', ':', '\\', ' ', 'é', '中', '😀', '\n', '\u0001', 'readings'), maxLength: 12 });
const plain = fc.string({ unit: fc.constantFrom('a', 'b', '7', '-', '_', 'é', '中'), minLength: 1, maxLength: 10 });

const reading = (id: fc.Arbitrary<string>) => fc.record({
  sensor: id,
  kind: fc.constantFrom('temperature', 'weight', 'humidity'),
  ts: fc.integer({ min: 0, max: 253402300799999 }),
  value: fc.double({ noNaN: true, noDefaultInfinity: true }),
  quality: fc.constantFrom('good', 'uncertain', 'bad'),
}, { requiredKeys: ['sensor', 'kind', 'ts', 'value'] });

const frame = (id: fc.Arbitrary<string>, note: fc.Arbitrary<string> = nasty) => fc.record({
  v: fc.constant(1),
  gateway: id,
  stream: id,
  seq: fc.integer({ min: 1, max: 1e9 }),
  sentAt: fc.integer({ min: 0, max: 2e12 }),
  readings: fc.array(reading(id), { maxLength: 60 }),
  alerts: fc.array(fc.record({ rule: id, sensor: id, note }), { maxLength: 3 }),
  devices: fc.array(fc.record({ device: id, state: fc.constantFrom('up', 'down') }), { maxLength: 3 }),
}).map((f) => Buffer.from(JSON.stringify(f)));

// what a hostile gateway would splice in to make the cuts land somewhere else
const SNIPPETS = ['},{"', '}]', '},', ',', ']', '[', '"', '\\', '\\u0072', '"readings":', '"readings":[]', '"readings":[{"sensor":"x"}]', ',"readings":[]', '{"readings":[]}', ' ', '},,{"', '}],"x":[{"', '\u00e9', '\xff'];

const mutated = fc.tuple(frame(nasty), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...SNIPPETS), fc.nat({ max: 6 })), { minLength: 1, maxLength: 4 }))
  .map(([f, edits]) => {
    let b = f;
    for (const [where, snippet, cut] of edits) {
      const at = where % (b.length + 1);
      b = Buffer.concat([b.subarray(0, at), Buffer.from(snippet, snippet === '\xff' ? 'latin1' : 'utf8'), b.subarray(Math.min(b.length, at + cut))]);
    }
    return b;
  });

describe('an uplink frame parsed with its readings in pieces (protocols/uplink/frame-json.ts)', () => {
  it('gives exactly what JSON.parse gives, for honest frames with any ids', () => {
    fc.assert(fc.property(frame(nasty), fc.integer({ min: 1, max: 400 }), (f, pieceBytes) => expectSameAsJsonParse(f, pieceBytes)), { numRuns: 400 });
  });

  it('gives exactly what JSON.parse gives, or the same error, for frames a hostile gateway edited', () => {
    fc.assert(fc.property(mutated, fc.integer({ min: 1, max: 300 }), (f, pieceBytes) => expectSameAsJsonParse(f, pieceBytes)), { numRuns: 3000 });
  });

  it('cuts an honest frame in pieces (the path is taken, not always the fallback)', () => {
    fc.assert(fc.property(frame(plain, plain).filter((f) => JSON.parse(f.toString()).readings.length >= 2), (f) => {
      const fast = inPieces(f, 1);
      expect(fast).not.toBeUndefined();
      expect(fast).toStrictEqual(JSON.parse(f.toString('utf8')));
    }), { numRuns: 200 });
  });

  it('falls back to the whole frame where a cut could change what the frame says', () => {
    const big = (n: number) => Array.from({ length: n }, (_, i) => `{"sensor":"s${i}","kind":"temperature","ts":${i},"value":1}`).join(',');
    const cases: Record<string, string> = {
      // JSON.parse keeps the last of two keys; the first one found is not it
      'the key twice': `{"readings":[${big(50)}],"readings":[]}`,
      // a key spelled with an escape is the same key to JSON.parse
      'the key spelled with \\u': `{"readings":[${big(50)}],"read\\u0069ngs":[]}`,
      'the key nested, not top level': `{"m":{"readings":[${big(50)}]},"readings2":[]}`,
      'the key inside a string': `{"k":"\\"readings\\":[${big(3)}]","readings":[]}`,
      'the key with a space before its colon': `{"readings" :[${big(50)}]}`,
      'a stray comma at a cut': `{"readings":[${big(20)},,${big(20)}]}`,
      'a trailing comma': `{"readings":[${big(50)},]}`,
      'an array that does not close': `{"readings":[${big(50)}`,
      'a "}]" inside an id': `{"readings":[${big(30)},{"sensor":"a}]b","kind":"weight","ts":1,"value":2},${big(30)}],"alerts":[]}`,
      'readings followed by more arrays': `{"readings":[${big(50)}],"alerts":[{"a":"}]"}],"devices":[{"d":"},{\\"x"}]}`,
    };
    for (const [name, text] of Object.entries(cases)) {
      const f = Buffer.from(text);
      for (const pieceBytes of [1, 37, 200, PIECE_BYTES]) {
        const whole = outcome(() => JSON.parse(text));
        expect(outcome(() => parseFrameJson(f, pieceBytes)), `${name}, pieces of ${pieceBytes}`).toStrictEqual(whole);
      }
    }
  });

  it('a 2 000-reading frame through the contract: the same batch as before, parsed in pieces', () => {
    const readings = Array.from({ length: 2000 }, (_, i) => ({ sensor: `冷库-s${i % 25}`, kind: 'temperature', ts: 1_761_955_200_000 + i * 1000, value: (i % 97) / 7, quality: 'good' }));
    const text = JSON.stringify({ v: 1, gateway: 'gw-1', stream: 'gw-1/a', seq: 9, sentAt: 1_761_955_300_000, readings, alerts: [], devices: [], movements: [] });
    const f = Buffer.from(text);
    expect(f.length).toBeGreaterThan(3 * PIECE_BYTES);
    expect(inPieces(f, PIECE_BYTES)).toStrictEqual(JSON.parse(text));
    const parsed = parseUplinkBatch(f, 'gw-1');
    expect(parsed.ok).toBe(true);
    expect(parsed.ok && parsed.batch.readings).toStrictEqual(readings);
  });
});
