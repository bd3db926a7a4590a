import { describe, expect, it } from 'vitest';
import { formatMtSicsWeight, mtSicsToSample, parseMtSicsLine } from '../../protocols/scale/mt-sics.ts';
import { formatWeightStreamLine, parseWeightStreamLine, weightStreamToSample } from '../../protocols/scale/weight-stream.ts';
import { DEFAULT_SCALE_LAYOUT, ScaleModbusLayout, decodeScaleStatus, scaleSampleFromRegisters } from '../../protocols/scale/modbus-layout.ts';
import { decodeRegisters, encodeValue } from '../../protocols/modbus/register-map.ts';
import { isSpError } from '../../protocols/errors.ts';

function code(fn: () => unknown): string | undefined {
  try { fn(); } catch (e) { return isSpError(e) ? `${e.code} ${e.details[0]!.field}` : String(e); }
  return undefined;
}

// MT-SICS response lines as printed in the MT-SICS reference manual (§2.2 "S – Stable weight
// value", "SI – Weight value immediately", "Z – Zero", "T – Tare"):
// https://www.mt.com/dam/non-indexed/po/ind/mt-sics-interface-commands-for-excellence-balances.pdf
describe('MT-SICS', () => {
  it('S S / S D with the value right-aligned in 10 characters', () => {
    expect(parseMtSicsLine('S S     100.00 g\r\n')).toEqual({ type: 'weight', stable: true, value: 100, unit: 'g', kg: 0.1, rawValue: '100.00' });
    expect(parseMtSicsLine('S D     129.07 g')).toMatchObject({ type: 'weight', stable: false, kg: 0.12907 });
    expect(parseMtSicsLine('S S      12.345 kg')).toMatchObject({ stable: true, kg: 12.345 });
    expect(parseMtSicsLine('S S     -0.25 lb').type === 'weight' && (parseMtSicsLine('S S     -0.25 lb') as { kg: number }).kg).toBeCloseTo(-0.1133980925, 9);
  });

  it('S I / S + / S - and their samples', () => {
    expect(parseMtSicsLine('S I')).toMatchObject({ type: 'weight-error', status: 'I' });
    expect(mtSicsToSample(parseMtSicsLine('S I'), 1)).toBeUndefined();
    expect(mtSicsToSample(parseMtSicsLine('S +'), 1)).toMatchObject({ overload: true, stable: false }); // and no kg;
    expect(mtSicsToSample(parseMtSicsLine('S -'), 1)).toMatchObject({ underload: true });
    expect(mtSicsToSample(parseMtSicsLine('S +'), 1)).not.toHaveProperty('kg');
    expect(mtSicsToSample(parseMtSicsLine('S S      12.345 kg'), 7)).toEqual({ ts: 7, kg: 12.345, mode: 'gross', stable: true, overload: false, underload: false, raw: { value: '12.345', unit: 'kg' } });
  });

  it('zero, tare and error answers', () => {
    expect(parseMtSicsLine('Z A')).toMatchObject({ type: 'zero', status: 'A' });
    expect(parseMtSicsLine('Z I')).toMatchObject({ type: 'zero', status: 'I' });
    expect(parseMtSicsLine('T S     100.00 g')).toMatchObject({ type: 'tare', status: 'S', kg: 0.1 });
    expect(parseMtSicsLine('T +')).toMatchObject({ type: 'tare', status: '+' });
    expect(parseMtSicsLine('ES')).toMatchObject({ type: 'error', code: 'ES' });
    expect(parseMtSicsLine('EL')).toMatchObject({ type: 'error', code: 'EL' });
  });

  it('the simulator format parses back', () => {
    expect(parseMtSicsLine(formatMtSicsWeight(1.5, false))).toMatchObject({ stable: false, kg: 1.5 });
  });

  it('garbage → SP_ERR_DECODE', () => {
    expect(code(() => parseMtSicsLine('hello'))).toBe('SP_ERR_DECODE line');
    expect(code(() => parseMtSicsLine('S S abc kg'))).toBe('SP_ERR_DECODE line');
    expect(code(() => parseMtSicsLine('S S 12.3 parsecs'))).toBe('SP_ERR_DECODE unit');
    expect(code(() => parseMtSicsLine('Z D'))).toBe('SP_ERR_DECODE status');
  });
});

// Continuous output, A&D "standard format" (AD-4401 manual, "Data format"): header 1 ST/US/OL,
// header 2 GS/NT, sign, 7 digits + point, unit.
describe('continuous weight stream', () => {
  it('ST/US, GS/NT, units and padding', () => {
    expect(parseWeightStreamLine('ST,GS,+0012.345kg\r\n')).toEqual({ state: 'ST', mode: 'GS', value: 12.345, unit: 'kg', kg: 12.345, rawValue: '+0012.345' });
    expect(parseWeightStreamLine('US,NT,-0000.120kg')).toMatchObject({ state: 'US', mode: 'NT', kg: -0.12 });
    expect(parseWeightStreamLine('ST,GS,+  1234.5 g')).toMatchObject({ kg: 1.2345 });
    expect(weightStreamToSample(parseWeightStreamLine('US,NT,+0001.000kg'), 5)).toMatchObject({ ts: 5, mode: 'net', stable: false, kg: 1 });
  });

  it('OL: overload, the figure is not parsed', () => {
    expect(parseWeightStreamLine('OL,GS,+9999999kg')).toEqual({ state: 'OL', mode: 'GS' });
    expect(weightStreamToSample(parseWeightStreamLine('OL,GS,   OL   '), 1)).toMatchObject({ overload: true, stable: false });
    expect(weightStreamToSample(parseWeightStreamLine('OL,GS,   OL   '), 1)).not.toHaveProperty('kg');;
  });

  it('format ↔ parse', () => {
    expect(formatWeightStreamLine(12.345, { stable: true })).toBe('ST,GS,+0012.345kg');
    expect(parseWeightStreamLine(formatWeightStreamLine(-3.2, { stable: false, net: true }))).toMatchObject({ state: 'US', mode: 'NT', kg: -3.2 });
  });

  it('garbage → SP_ERR_DECODE', () => {
    expect(code(() => parseWeightStreamLine('ST;GS;+1kg'))).toBe('SP_ERR_DECODE line');
    expect(code(() => parseWeightStreamLine('ST,GS,kg'))).toBe('SP_ERR_DECODE value');
    expect(code(() => parseWeightStreamLine('ST,GS,+1.2.3kg'))).toBe('SP_ERR_DECODE value');
    expect(code(() => parseWeightStreamLine('\u0000\u00ff'))).toBe('SP_ERR_DECODE line');
  });
});

describe('Modbus scale layout', () => {
  it('default map: int32 grams at 0/2/4, status word at 6', () => {
    const L = DEFAULT_SCALE_LAYOUT;
    const regs = encodeValue(12.345, L.gross);
    expect(decodeRegisters(regs, L.gross)).toBeCloseTo(12.345, 9);
    expect(L.command).toEqual({ address: 8, zero: 1, tare: 2, clearTare: 3 });
  });

  it('status bits: motion, overload, net, underload', () => {
    expect(decodeScaleStatus(0b0000)).toEqual({ motion: false, overload: false, net: false, underload: false });
    expect(decodeScaleStatus(0b0101)).toEqual({ motion: true, overload: false, net: true, underload: false });
    const custom = ScaleModbusLayout.parse({ status: { address: 10, motionBit: 7, overloadBit: 8, netBit: 9 } });
    expect(decodeScaleStatus(1 << 7, custom).motion).toBe(true);
    expect(code(() => decodeScaleStatus(70000))).toBe('SP_ERR_MODBUS_REGISTERS status');
  });

  it('registers → sample: net mode shows net, motion = unstable, overload has no weight', () => {
    expect(scaleSampleFromRegisters({ gross: 25.5, net: 20.5, tare: 5, status: 0b100 }, 9)).toEqual({
      ts: 9, mode: 'net', stable: true, overload: false, underload: false, kg: 20.5, grossKg: 25.5, netKg: 20.5, tareKg: 5, raw: { value: '20.5', unit: 'kg' },
    });
    expect(scaleSampleFromRegisters({ gross: 25.5, status: 0b001 }, 9)).toMatchObject({ mode: 'gross', stable: false, kg: 25.5 });
    expect(scaleSampleFromRegisters({ gross: 9999, status: 0b010 }, 9)).toMatchObject({ overload: true, stable: false }); // and no kg;
  });

  it('layout typos are rejected by name', () => {
    expect(ScaleModbusLayout.safeParse({ status: { motionbit: 1 } }).success).toBe(false);
    expect(ScaleModbusLayout.safeParse({ status: { motionBit: 16 } }).success).toBe(false);
  });
});
