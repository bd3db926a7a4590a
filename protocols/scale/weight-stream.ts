import { SpError } from '../errors.ts';
import { parseScaleNumber, toKg, type WeightSample } from './weight-sample.ts';

// The continuous output of weighing indicators (A&D AD-4329/AD-4401 "standard format", and the
// many indicators that copied it — Yaohua XK3190, Keli, T-Scale): one line per display update,
//   ST,GS,+0012.345kg
//   HDR1 = ST stable | US unstable | OL overload
//   HDR2 = GS gross  | NT net      (TR tare on some models)
//   then the signed, zero-padded figure and the unit (kg, g, t, lb; some pad with spaces).
// A&D format reference: AD-4401 instruction manual §"Data format",
// https://www.aandd.jp/products/manual/weighing_indicators/ad4401.pdf
// During overload the figure is meaningless (often +9999999 or "  OL   "): it is not parsed.

export interface WeightStreamLine {
  state: 'ST' | 'US' | 'OL';
  mode: 'GS' | 'NT' | 'TR';
  value?: number;
  unit?: string;
  kg?: number;
  rawValue?: string;
}

export function parseWeightStreamLine(input: string): WeightStreamLine {
  const line = input.replace(/[\r\n]+$/, '');
  const m = /^\s*(ST|US|OL),(GS|NT|TR),(.*)$/.exec(line);
  if (!m) throw new SpError('SP_ERR_DECODE', { field: 'line', reason: `not an "ST|US|OL,GS|NT,±value unit" line: ${JSON.stringify(line.slice(0, 60))}` });
  const state = m[1] as WeightStreamLine['state'];
  const mode = m[2] as WeightStreamLine['mode'];
  if (state === 'OL') return { state, mode };
  const v = /^([+-]?[\s\d.]*\d[\d.]*)\s*([A-Za-z]+)\s*$/.exec(m[3]!);
  if (!v) throw new SpError('SP_ERR_DECODE', { field: 'value', reason: `expected a signed figure and a unit, got ${JSON.stringify(m[3])}` });
  const value = parseScaleNumber(v[1]!, 'value');
  const unit = v[2]!;
  return { state, mode, value, unit, kg: toKg(value, unit), rawValue: v[1]!.replace(/\s+/g, '') };
}

export function weightStreamToSample(l: WeightStreamLine, ts: number): WeightSample | undefined {
  if (l.mode === 'TR') return undefined; // a tare echo, not a weighing
  const mode = l.mode === 'NT' ? 'net' : 'gross';
  if (l.state === 'OL') return { ts, mode, stable: false, overload: true, underload: false, raw: {} };
  return { ts, kg: l.kg, mode, stable: l.state === 'ST', overload: false, underload: false, raw: { value: l.rawValue, unit: l.unit } };
}

/** `ST,GS,+0012.345kg` for simulators: figure zero-padded to 8 characters plus sign. */
export function formatWeightStreamLine(kg: number | undefined, o: { stable: boolean; net?: boolean; overload?: boolean; decimals?: number }): string {
  const mode = o.net ? 'NT' : 'GS';
  if (o.overload || kg === undefined) return `OL,${mode},+9999999kg`;
  const d = o.decimals ?? 3;
  const sign = kg < 0 ? '-' : '+';
  return `${o.stable ? 'ST' : 'US'},${mode},${sign}${Math.abs(kg).toFixed(d).padStart(8, '0')}kg`;
}
