import { describe, expect, it } from 'vitest';
import { cleanId, cleanJson, cleanText, escapeUnstorable, isCleanText, MAX_ID, MAX_TEXT } from '../../protocols/text.ts';
import { cleanDeviceEvent, cleanReading } from '../../protocols/uplink/clean.ts';

// What "storable" means (issue #11): no NUL or other C0 control but tab/newline/CR, no lone
// UTF-16 surrogate, capped; clean text comes back unchanged (the same object on the hot path).

describe('cleanText', () => {
  it('leaves clean text alone, pairs and emoji included', () => {
    for (const s of ['', 'chiller 4.2 °C', 'tab\tnew\nline\r', '冷库 😀', 'x'.repeat(MAX_TEXT)]) {
      expect(cleanText(s)).toBe(s);
    }
    expect(isCleanText('a\u0000b')).toBe(false);
  });

  it('turns NUL, other C0 controls and lone surrogates into U+FFFD', () => {
    expect(cleanText('\u0000bad')).toBe('\uFFFDbad');
    expect(cleanText('a\u0001\u001b[31mb')).toBe('a\uFFFD\uFFFD[31mb');
    expect(cleanText('x\ud800y\udc00z')).toBe('x\uFFFDy\uFFFDz');
    expect(cleanText('\udc00\ud800')).toBe('\uFFFD\uFFFD'); // reversed pair is two lone halves
    expect(cleanText('ok😀')).toBe('ok😀');
  });

  it('caps length without splitting a surrogate pair, and a 1 MB string costs milliseconds', () => {
    expect(cleanText('x'.repeat(MAX_TEXT + 10))).toBe('x'.repeat(MAX_TEXT - 1) + '…');
    const emoji = cleanText('a' + '😀'.repeat(5000));
    expect(emoji.length).toBeLessThanOrEqual(MAX_TEXT);
    expect(cleanText(emoji)).toBe(emoji); // no lone half at the cut
    const started = performance.now();
    expect(cleanText('\u0000'.repeat(1 << 20))).toHaveLength(MAX_TEXT);
    expect(performance.now() - started).toBeLessThan(500);
    expect(cleanId('s'.repeat(1000))).toHaveLength(MAX_ID);
  });

  it('cleans every string of a JSON value, keys included, and bounds its depth', () => {
    expect(cleanJson({ 'k\u0000': ['v\ud800', 1, null, { x: 'ok' }] })).toEqual({ 'k\uFFFD': ['v\uFFFD', 1, null, { x: 'ok' }] });
    let deep: unknown = 'leaf';
    for (let i = 0; i < 20; i++) deep = [deep];
    expect(JSON.stringify(cleanJson(deep)).length).toBeGreaterThan(0);
  });

  it('escapeUnstorable keeps everything, as readable escapes, for dead letters', () => {
    expect(escapeUnstorable('\u0000bad\ud800😀\t')).toBe('\\u0000bad\\ud800😀\t');
    expect(escapeUnstorable('clean')).toBe('clean');
  });
});

describe('uplink messages', () => {
  it('a decode error quoting the device\'s NUL is made storable; a clean reading is not copied', () => {
    const e = cleanDeviceEvent({ device: 'door', ts: 1, state: 'failed', error: { code: 'SP_ERR_DECODE', message: 'payload: not JSON (Unexpected token \u0000 in "\u0000bad")' } });
    expect(e.error!.message).not.toMatch(/\u0000/);
    const r = { sensor: 't1', kind: 'temperature' as const, ts: 1, value: 4, quality: 'good' as const };
    expect(cleanReading(r)).toBe(r);
    expect(cleanReading({ ...r, sensor: '' }).sensor).toBe('\uFFFD'); // required ids stay non-empty
  });
});
