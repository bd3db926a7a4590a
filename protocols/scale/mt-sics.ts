import { SpError } from '../errors.ts';
import { parseScaleNumber, toKg, type WeightSample } from './weight-sample.ts';

// Mettler Toledo Standard Interface Command Set (MT-SICS), level 0/1, as spoken by Excellence,
// ICS/IND indicators and most balances on RS-232. Reference: "MT-SICS Interface Command Set",
// Mettler Toledo reference manual 30028564 / 11780711, §2 "Commands and responses":
// https://www.mt.com/dam/non-indexed/po/ind/mt-sics-interface-commands-for-excellence-balances.pdf
//
// Lines end with CR LF. A response is `ID STATUS [value unit]`, the value right-aligned in a
// 10-character field:
//   S S     12.345 kg   stable weight (answer to S, SI or SIR)
//   S D     12.340 kg   dynamic (not yet stable) weight (SI, SIR)
//   S I                 command understood but not executable now (balance busy, still settling)
//   S +  /  S -         overload / underload (weighing range exceeded / pan removed)
//   Z A / Z I / Z + / Z -     zero done / not now / upper / lower limit of the zero range
//   T S   100.00 g      tare taken (value = the tare); T I / T + / T -
//   ES / ET / EL        syntax error / transmission error / logical error

export const MT_SICS_COMMANDS = {
  /** stable weight (waits for stability, then answers S S or S I on timeout) */
  weighStable: 'S',
  /** immediate weight, stable or not */
  weighImmediate: 'SI',
  /** immediate weight, repeated until another command */
  weighRepeat: 'SIR',
  zero: 'Z',
  tare: 'T',
  /** tare immediately (no stability wait) */
  tareImmediate: 'TI',
  /** clear the tare */
  clearTare: 'TAC',
  /** cancel SIR and pending commands */
  reset: '@',
} as const;

export type MtSicsResponse =
  | { type: 'weight'; stable: boolean; value: number; unit: string; kg: number; rawValue: string }
  | { type: 'weight-error'; status: 'I' | '+' | '-'; reason: string }
  | { type: 'zero'; status: 'A' | 'I' | '+' | '-'; reason: string }
  | { type: 'tare'; status: 'S' | 'I' | '+' | '-'; value?: number; unit?: string; kg?: number; reason: string }
  | { type: 'tare-cleared'; status: 'A' | 'I' | 'L'; reason: string }
  | { type: 'error'; code: 'ES' | 'ET' | 'EL'; reason: string };

const WEIGHT_ERRORS = { I: 'not executable now (busy or not stable within the timeout)', '+': 'overload: above the weighing range', '-': 'underload: below the weighing range (pan missing?)' } as const;
const ZERO_STATUS = { A: 'zero set', I: 'zero not executable now (not stable)', '+': 'upper limit of the zero range exceeded', '-': 'lower limit of the zero range exceeded' } as const;
const TARE_STATUS = { S: 'tare taken', I: 'tare not executable now', '+': 'upper limit of the tare range exceeded', '-': 'lower limit of the tare range exceeded' } as const;
const ERRORS = { ES: 'syntax error: the balance did not recognise the command', ET: 'transmission error (parity, framing)', EL: 'logical error: the command cannot be executed' } as const;

function valueAndUnit(rest: string, line: string): { value: number; unit: string; rawValue: string } {
  const m = /^([+-]?\s*[\d.]+)\s+(\S+)\s*$/.exec(rest.trim());
  if (!m) throw new SpError('SP_ERR_DECODE', { field: 'line', reason: `expected "value unit" in ${JSON.stringify(line)}` });
  return { value: parseScaleNumber(m[1]!, 'value'), unit: m[2]!, rawValue: m[1]!.replace(/\s+/g, '') };
}

/** One response line (without or with its CR LF) → what it says. Anything else is SP_ERR_DECODE. */
export function parseMtSicsLine(input: string): MtSicsResponse {
  const line = input.replace(/\r?\n$/, '').replace(/\r$/, '');
  const t = line.trim();
  if (t === 'ES' || t === 'ET' || t === 'EL') return { type: 'error', code: t, reason: ERRORS[t] };
  const tac = /^TAC\s+(A|I|L)$/.exec(t);
  if (tac) {
    const status = tac[1] as 'A' | 'I' | 'L';
    return { type: 'tare-cleared', status, reason: { A: 'tare cleared', I: 'not executable now', L: 'not allowed (certified version?)' }[status] };
  }
  const m = /^(S|SI|SIR|Z|ZI|T|TI)\s+(S|D|I|A|\+|-)(?:\s+(.*))?$/.exec(t);
  if (!m) throw new SpError('SP_ERR_DECODE', { field: 'line', reason: `not an MT-SICS response: ${JSON.stringify(line.slice(0, 60))}` });
  const id = m[1]!;
  const status = m[2]!;
  const rest = m[3] ?? '';
  if (id === 'S' || id === 'SI' || id === 'SIR') {
    if (status === 'S' || status === 'D') {
      const { value, unit, rawValue } = valueAndUnit(rest, line);
      return { type: 'weight', stable: status === 'S', value, unit, kg: toKg(value, unit), rawValue };
    }
    if (status === 'I' || status === '+' || status === '-') return { type: 'weight-error', status, reason: WEIGHT_ERRORS[status] };
  } else if (id === 'Z' || id === 'ZI') {
    if (status === 'A' || status === 'I' || status === '+' || status === '-') return { type: 'zero', status, reason: ZERO_STATUS[status] };
  } else {
    if (status === 'S' || status === 'D') {
      const { value, unit } = valueAndUnit(rest, line);
      return { type: 'tare', status: 'S', value, unit, kg: toKg(value, unit), reason: TARE_STATUS.S };
    }
    if (status === 'I' || status === '+' || status === '-') return { type: 'tare', status, reason: TARE_STATUS[status] };
  }
  throw new SpError('SP_ERR_DECODE', { field: 'status', reason: `"${status}" is not a status of an ${id} response` });
}

/** A weight response (or overload/underload) → a WeightSample; other responses → undefined. */
export function mtSicsToSample(r: MtSicsResponse, ts: number): WeightSample | undefined {
  if (r.type === 'weight') {
    return { ts, kg: r.kg, mode: 'gross', stable: r.stable, overload: false, underload: false, raw: { value: r.rawValue, unit: r.unit } };
  }
  if (r.type === 'weight-error' && r.status !== 'I') {
    return { ts, mode: 'gross', stable: false, overload: r.status === '+', underload: r.status === '-', raw: {} };
  }
  return undefined;
}

/** Formats a weight response the way a balance prints it (simulators): `S S      12.345 kg`. */
export function formatMtSicsWeight(kg: number, stable: boolean, decimals = 3, unit = 'kg'): string {
  return `S ${stable ? 'S' : 'D'} ${kg.toFixed(decimals).padStart(10)} ${unit}`;
}
