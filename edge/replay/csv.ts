import { SpError, type ErrorDetail } from '../../protocols/errors.ts';

// The readings CSV of `stockpulse replay`: a header naming `ts,sensor,value` and optionally
// `door` and `defrost` (any order, extra columns ignored), one reading per line. Pure parsing only.

export interface CsvColumns {
  ts: number;
  sensor: number;
  value: number;
  door: number | undefined;
  /** the zone's defrost output (1/0/on/off/true/false) at that time */
  defrost: number | undefined;
}

/** Splits one CSV line (RFC 4180 quotes: "a,b" and "" inside quotes). */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { fields.push(cur); cur = ''; }
    else cur += ch;
  }
  fields.push(cur);
  return fields;
}

/** Finds the columns by name; throws SP_ERR_INPUT naming what is missing. */
export function parseHeader(line: string): CsvColumns {
  const names = splitCsvLine(line.replace(/^\uFEFF/, '')).map((n) => n.trim().toLowerCase());
  const at = (n: string) => { const i = names.indexOf(n); return i < 0 ? undefined : i; };
  const ts = at('ts');
  const sensor = at('sensor');
  const value = at('value');
  const missing = [['ts', ts], ['sensor', sensor], ['value', value]].filter(([, i]) => i === undefined).map(([n]) => n);
  if (ts === undefined || sensor === undefined || value === undefined) {
    throw new SpError('SP_ERR_INPUT', {
      field: 'line 1',
      reason: `the header must name the columns ts,sensor,value (door, defrost optional); missing ${missing.join(', ')} in "${line.slice(0, 80)}"`,
    });
  }
  return { ts, sensor, value, door: at('door'), defrost: at('defrost') };
}

const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Epoch milliseconds (all digits) or ISO-8601. As in JavaScript, an ISO date-time without an
 * offset is local time, so exports should carry `Z` or `+01:00` to replay the same everywhere.
 */
export function parseTimestamp(text: string): number | undefined {
  const s = text.trim();
  if (/^\d{1,16}$/.test(s)) return Number(s);
  if (!ISO.test(s)) return undefined;
  const ms = Date.parse(s.replace(' ', 'T'));
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

const DOOR_WORDS: Record<string, boolean> = { 1: true, 0: false, open: true, closed: false, true: true, false: false };

/** 1/0/open/closed/true/false (any case); undefined when blank or not one of those. */
export function parseDoor(text: string): boolean | undefined {
  return DOOR_WORDS[text.trim().toLowerCase()];
}

const ON_WORDS: Record<string, boolean> = { 1: true, 0: false, on: true, off: false, true: true, false: false };

/** 1/0/on/off/true/false (any case); undefined when blank or not one of those. */
export function parseOnOff(text: string): boolean | undefined {
  return ON_WORDS[text.trim().toLowerCase()];
}

/** A finite number, or undefined (blank, words, NaN, Infinity). */
export function parseNumber(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

export function inputError(line: number, field: string, reason: string): SpError {
  const detail: ErrorDetail = { field, reason };
  return new SpError('SP_ERR_INPUT', detail, `line ${line}: SP_ERR_INPUT ${field}: ${reason}`);
}
