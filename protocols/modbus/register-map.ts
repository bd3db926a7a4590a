import { SpError } from '../errors.ts';
import { REGISTER_WIDTH, RegisterPoint, type RegisterPointInput } from './register-map.schema.ts';
import { zodIssuesToDetails } from '../errors.ts';

// Pure conversion between 16-bit Modbus registers and engineering values. No I/O here:
// the polling driver, the `decode modbus` CLI and the simulators all call these.

export { REGISTER_WIDTH, RegisterPoint };

/** Validates a register map entry, listing every problem (SP_ERR_MODBUS_MAP). */
export function parseRegisterPoint(input: unknown): RegisterPoint {
  const r = RegisterPoint.safeParse(input);
  if (!r.success) throw new SpError('SP_ERR_MODBUS_MAP', zodIssuesToDetails(r.error.issues));
  return r.data;
}

/** Lays the registers out as the big-endian byte sequence of the value (ABCD...). */
function toCanonicalBytes(registers: readonly number[], point: RegisterPoint): Buffer {
  const ordered = point.wordOrder === 'little' ? [...registers].reverse() : [...registers];
  const buf = Buffer.alloc(ordered.length * 2);
  ordered.forEach((reg, i) => {
    const hi = (reg >> 8) & 0xff;
    const lo = reg & 0xff;
    buf[i * 2] = point.byteOrder === 'little' ? lo : hi;
    buf[i * 2 + 1] = point.byteOrder === 'little' ? hi : lo;
  });
  return buf;
}

function fromCanonicalBytes(buf: Buffer, point: RegisterPoint): number[] {
  const regs: number[] = [];
  for (let i = 0; i < buf.length; i += 2) {
    const hi = buf[i]!;
    const lo = buf[i + 1]!;
    regs.push(point.byteOrder === 'little' ? (lo << 8) | hi : (hi << 8) | lo);
  }
  return point.wordOrder === 'little' ? regs.reverse() : regs;
}

/**
 * Decodes the registers of one point. `registers` holds exactly the point's registers
 * (REGISTER_WIDTH[type] of them), starting at `point.address`.
 */
export function decodeRegisters(registers: readonly number[], pointInput: RegisterPointInput | RegisterPoint): number {
  const point = parseRegisterPoint(pointInput);
  const width = REGISTER_WIDTH[point.type];
  if (registers.length !== width) {
    throw new SpError('SP_ERR_MODBUS_REGISTERS', {
      field: 'registers',
      reason: `${point.type} needs ${width} register(s), got ${registers.length}`,
    });
  }
  registers.forEach((r, i) => {
    if (!Number.isInteger(r) || r < 0 || r > 0xffff) {
      throw new SpError('SP_ERR_MODBUS_REGISTERS', { field: `registers.${i}`, reason: `${r} is not a 16-bit register value (0..65535)` });
    }
  });
  const buf = toCanonicalBytes(registers, point);
  let raw: number;
  switch (point.type) {
    case 'int16': raw = buf.readInt16BE(0); break;
    case 'uint16': raw = buf.readUInt16BE(0); break;
    case 'int32': raw = buf.readInt32BE(0); break;
    case 'uint32': raw = buf.readUInt32BE(0); break;
    // float32 carries ~7 significant digits; print -20.9797, not -20.979700088500977
    case 'float32': raw = Number(buf.readFloatBE(0).toPrecision(7)); break;
    case 'float64': raw = buf.readDoubleBE(0); break;
    case 'bool': raw = buf.readUInt16BE(0) !== 0 ? 1 : 0; break;
  }
  if (point.bit !== undefined) raw = (buf.readUInt16BE(0) >> point.bit) & 1;
  if (!Number.isFinite(raw)) {
    throw new SpError('SP_ERR_MODBUS_REGISTERS', { field: 'registers', reason: `${point.type} decodes to ${raw} (NaN/Infinity: sensor fault or wrong word order?)` });
  }
  const value = raw * point.scale + point.offset;
  if (!Number.isFinite(value)) {
    throw new SpError('SP_ERR_MODBUS_MAP', { field: 'scale', reason: `${raw} × ${point.scale} + ${point.offset} overflows (check scale and offset)` });
  }
  // An integer register times 0.1 has one decimal of resolution: -184 × 0.1 is -18.4, not the
  // binary float -18.400000000000002 (which would be stored and served as is).
  return point.type === 'float32' || point.type === 'float64' ? value : roundTo(value, Math.max(decimals(point.scale), decimals(point.offset)));
}

/** decimal places a configured number is written with (0.1 → 1, 0.25 → 2, 1e-3 → 3) */
function decimals(n: number): number {
  const [mantissa, exp] = Math.abs(n).toExponential().split('e');
  const frac = mantissa!.split('.')[1]?.length ?? 0;
  return Math.max(0, frac - Number(exp));
}

function roundTo(value: number, places: number): number {
  return places > 15 ? value : Number(value.toFixed(places));
}

/** The inverse of decodeRegisters: the registers a device would hold for `value`. */
export function encodeValue(value: number, pointInput: RegisterPointInput | RegisterPoint): number[] {
  const point = parseRegisterPoint(pointInput);
  const raw = (value - point.offset) / point.scale;
  const buf = Buffer.alloc(REGISTER_WIDTH[point.type] * 2);
  const int = Math.round(raw);
  switch (point.type) {
    case 'int16': buf.writeInt16BE(int, 0); break;
    case 'uint16': buf.writeUInt16BE(int, 0); break;
    case 'int32': buf.writeInt32BE(int, 0); break;
    case 'uint32': buf.writeUInt32BE(int, 0); break;
    case 'float32': buf.writeFloatBE(raw, 0); break;
    case 'float64': buf.writeDoubleBE(raw, 0); break;
    case 'bool': buf.writeUInt16BE(int !== 0 ? 1 : 0, 0); break;
  }
  if (point.bit !== undefined) buf.writeUInt16BE(int !== 0 ? 1 << point.bit : 0, 0);
  return fromCanonicalBytes(buf, point);
}
