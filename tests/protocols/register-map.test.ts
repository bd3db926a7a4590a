import { describe, expect, it } from 'vitest';
import { decodeRegisters, encodeValue } from '../../protocols/modbus/register-map.ts';

// The layouts a field technician meets on real indicators/controllers, checked against
// hand-computed register values (IEEE-754 20.5 = 0x41A40000).

describe('register map', () => {
  it('float32 in all four byte/word orders', () => {
    expect(decodeRegisters([0x41a4, 0x0000], { address: 0, type: 'float32' })).toBe(20.5);                        // ABCD
    expect(decodeRegisters([0x0000, 0x41a4], { address: 0, type: 'float32', wordOrder: 'little' })).toBe(20.5);   // CDAB
    expect(decodeRegisters([0xa441, 0x0000], { address: 0, type: 'float32', byteOrder: 'little' })).toBe(20.5);   // BADC
    expect(decodeRegisters([0x0000, 0xa441], { address: 0, type: 'float32', byteOrder: 'little', wordOrder: 'little' })).toBe(20.5); // DCBA
  });

  it('signed int16 with scale, int32 across two registers', () => {
    expect(decodeRegisters([0xff47], { address: 0, type: 'int16', scale: 0.1 })).toBeCloseTo(-18.5, 9);
    expect(decodeRegisters([0x0001, 0x0000], { address: 0, type: 'int32' })).toBe(65536);
  });

  it('a scaled integer register keeps the resolution its scale implies, not binary float noise', () => {
    // 65352 = -184 as int16; -184 × 0.1 in binary floating point is -18.400000000000002
    expect(decodeRegisters([65352], { address: 0, type: 'int16', scale: 0.1 })).toBe(-18.4);
    expect(decodeRegisters([123], { address: 0, type: 'uint16', scale: 0.25, offset: -40 })).toBe(-9.25);
    expect(decodeRegisters([0x0012, 0xd687], { address: 0, type: 'int32', scale: 0.001 })).toBe(1234.567); // 1234567
  });

  it('encodeValue is the inverse of decodeRegisters', () => {
    for (const p of [
      { address: 0, type: 'float32', wordOrder: 'little' },
      { address: 0, type: 'int32', scale: 0.001 },
      { address: 0, type: 'float64', byteOrder: 'little' },
      { address: 0, type: 'uint16', scale: 0.5, offset: -40 },
    ] as const) {
      expect(decodeRegisters(encodeValue(12.5, p), p)).toBeCloseTo(12.5, 5);
    }
  });

  it('coded errors: wrong count, out-of-range register, NaN, bad map', () => {
    const code = (fn: () => unknown) => { try { fn(); } catch (e) { return (e as { code: string; details: { field: string }[] }); } throw new Error('no error'); };
    expect(code(() => decodeRegisters([1], { address: 0, type: 'float32' }))).toMatchObject({ code: 'SP_ERR_MODBUS_REGISTERS', details: [{ field: 'registers' }] });
    expect(code(() => decodeRegisters([70000], { address: 0, type: 'uint16' }))).toMatchObject({ code: 'SP_ERR_MODBUS_REGISTERS', details: [{ field: 'registers.0' }] });
    expect(code(() => decodeRegisters([0x7fc0, 0], { address: 0, type: 'float32' }))).toMatchObject({ code: 'SP_ERR_MODBUS_REGISTERS' });
    expect(code(() => decodeRegisters([1], { address: -1, type: 'uint16' }))).toMatchObject({ code: 'SP_ERR_MODBUS_MAP', details: [{ field: 'address' }] });
  });
});
