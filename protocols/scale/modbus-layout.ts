import { z } from 'zod';
import { RegisterPoint } from '../modbus/register-map.schema.ts';
import { SpError } from '../errors.ts';
import type { WeightSample } from './weight-sample.ts';

// A weighing indicator's Modbus map: gross / net / tare values, a status word whose bits say
// motion / overload / net mode, and a command register that zeroes or tares when written.
// Indicators differ only in addresses, types and bit positions (Mettler IND570 "Modbus TCP
// shared data", Rinstrum R400 "Modbus registers", Flintec FT-11, Keli D12 all follow this
// pattern), so the layout is data and the default is stockpulse's own documented map, which the
// simulator serves (docs/devices.md):
//
//   holding 0–1  gross   int32, big word order, grams   (kg = raw × 0.001)
//   holding 2–3  net     int32, grams
//   holding 4–5  tare    int32, grams
//   holding 6    status  bit0 motion, bit1 overload, bit2 net mode, bit3 underload
//   holding 8    command write 1 = zero, 2 = tare, 3 = clear tare

const Bit = z.number().int().min(0).max(15);

export const ScaleModbusLayout = z.object({
  gross: RegisterPoint.default({ address: 0, area: 'holding', type: 'int32', byteOrder: 'big', wordOrder: 'big', scale: 0.001, offset: 0 }),
  net: RegisterPoint.optional().default({ address: 2, area: 'holding', type: 'int32', byteOrder: 'big', wordOrder: 'big', scale: 0.001, offset: 0 }),
  tare: RegisterPoint.optional().default({ address: 4, area: 'holding', type: 'int32', byteOrder: 'big', wordOrder: 'big', scale: 0.001, offset: 0 }),
  status: z.object({
    address: z.number().int().min(0).max(65535).default(6),
    area: z.enum(['holding', 'input']).default('holding'),
    motionBit: Bit.default(0),
    overloadBit: Bit.default(1),
    netBit: Bit.default(2),
    underloadBit: Bit.optional().default(3),
  }).strict().default({ address: 6, area: 'holding', motionBit: 0, overloadBit: 1, netBit: 2, underloadBit: 3 }),
  command: z.object({
    address: z.number().int().min(0).max(65535).default(8),
    zero: z.number().int().min(0).max(65535).default(1),
    tare: z.number().int().min(0).max(65535).default(2),
    clearTare: z.number().int().min(0).max(65535).default(3),
  }).strict().default({ address: 8, zero: 1, tare: 2, clearTare: 3 }),
}).strict();
export type ScaleModbusLayout = z.infer<typeof ScaleModbusLayout>;
export type ScaleModbusLayoutInput = z.input<typeof ScaleModbusLayout>;

export const DEFAULT_SCALE_LAYOUT: ScaleModbusLayout = ScaleModbusLayout.parse({});

/** decoded register values of one poll (gross, net, tare in kg; status as the raw word) */
export interface ScaleRegisterValues {
  gross: number;
  net?: number;
  tare?: number;
  status: number;
}

export function decodeScaleStatus(word: number, layout: ScaleModbusLayout = DEFAULT_SCALE_LAYOUT): { motion: boolean; overload: boolean; net: boolean; underload: boolean } {
  if (!Number.isInteger(word) || word < 0 || word > 0xffff) throw new SpError('SP_ERR_MODBUS_REGISTERS', { field: 'status', reason: `${word} is not a 16-bit register value` });
  const bit = (b: number | undefined) => b !== undefined && ((word >> b) & 1) === 1;
  const s = layout.status;
  return { motion: bit(s.motionBit), overload: bit(s.overloadBit), net: bit(s.netBit), underload: bit(s.underloadBit) };
}

/** One poll's values → a WeightSample. The displayed weight is net in net mode, gross otherwise. */
export function scaleSampleFromRegisters(v: ScaleRegisterValues, ts: number, layout: ScaleModbusLayout = DEFAULT_SCALE_LAYOUT): WeightSample {
  const st = decodeScaleStatus(v.status, layout);
  const mode = st.net ? 'net' : 'gross';
  const shown = mode === 'net' && v.net !== undefined ? v.net : v.gross;
  const round = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 1e9) / 1e9);
  const bad = st.overload || st.underload;
  return {
    ts, mode, stable: !st.motion && !bad, overload: st.overload, underload: st.underload,
    ...(bad ? {} : { kg: round(shown) }),
    grossKg: round(v.gross), ...(v.net === undefined ? {} : { netKg: round(v.net) }), ...(v.tare === undefined ? {} : { tareKg: round(v.tare) }),
    raw: { value: String(shown), unit: 'kg' },
  };
}
