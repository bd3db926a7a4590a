import { SpError } from '../errors.ts';

// One weighing as any scale reports it, after its dialect (MT-SICS, continuous stream, Modbus
// registers) has been decoded. Weights are in kg; the device's own figure and unit are kept
// as evidence for the movement they may become.

export interface WeightSample {
  /** epoch ms of the reading (receive time: scales send no clock) */
  ts: number;
  /** the displayed value in kg (gross or net as `mode` says); undefined when over/under load */
  kg?: number;
  /** gross / net / tare in kg when the device reports them separately (Modbus indicators) */
  grossKg?: number;
  netKg?: number;
  tareKg?: number;
  mode: 'gross' | 'net';
  /** the device's own stability flag (MT-SICS S/D, stream ST/US, Modbus motion bit) */
  stable: boolean;
  overload: boolean;
  underload: boolean;
  /** figure and unit exactly as the device sent them */
  raw: { value?: string; unit?: string };
}

/** kg per unit for the units scales actually send (MT-SICS unit list; indicator streams) */
export const KG_PER_UNIT: Record<string, number> = {
  kg: 1, g: 0.001, mg: 0.000001, t: 1000, lb: 0.45359237, oz: 0.028349523125,
};

/** value in `unit` → kg; units are case-insensitive ("KG", "Kg"); an unknown unit is SP_ERR_DECODE */
export function toKg(value: number, unit: string, field = 'unit'): number {
  const f = KG_PER_UNIT[unit.toLowerCase()];
  if (f === undefined) throw new SpError('SP_ERR_DECODE', { field, reason: `unit "${unit}" is not a weight unit this gateway converts (${Object.keys(KG_PER_UNIT).join(', ')})` });
  // round away binary noise (0.001 × 12345 = 12.345000000000001)
  return Math.round(value * f * 1e9) / 1e9;
}

/** A decimal as scales print it: sign, optional spaces after the sign, digits with one dot. */
export function parseScaleNumber(s: string, field: string): number {
  const t = s.replace(/\s+/g, '');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) throw new SpError('SP_ERR_DECODE', { field, reason: `"${s.trim()}" is not a weight figure` });
  return Number(t);
}
