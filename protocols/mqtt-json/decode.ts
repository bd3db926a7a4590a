import { SpError, type ErrorDetail } from '../errors.ts';
import { MAX_TS, type Quality, type Reading, type ReadingKind } from '../reading.ts';
import { describeDefaults, findDefault, getPath, isObject, type Found, type JsonObject } from './fields.ts';

// Pure decoder: one MQTT JSON payload → canonical Readings. No I/O; the MQTT driver, the
// `decode mqtt-json` CLI and the simulators' tests call it. Formats understood: see fields.ts.
//
// Partial payloads: devices often publish only some values (a zigbee2mqtt door sensor's
// message may carry no temperature, a Tasmota frame lacks battery). So a payload decodes to
// the points that are present; a point that is missing or unusable is reported as a problem,
// not a failure of the whole payload. Only a payload from which NOT ONE point can be read
// throws (SP_ERR_DECODE listing every problem), as do payload-level faults: not JSON, not an
// object, an unparseable timestamp (it would apply to every reading).

export interface MqttJsonPoint {
  sensor: string;
  kind: ReadingKind;
  /** dotted path of the value in the payload; default chosen by kind (fields.ts) */
  field?: string;
}

export interface DecodeProblem extends ErrorDetail {
  sensor: string;
  /** true: the value is simply not in this payload (normal for partial updates); false: present but unusable */
  missing: boolean;
}

export interface DecodedPayload {
  readings: Reading[];
  problems: DecodeProblem[];
}

/** Device timestamp keys, in order of preference; Shelly gen2 notifications carry it in params.ts. */
const TS_KEYS = ['ts', 'timestamp', 'time', 'Time', 'params.ts'];
/** Below this a numeric timestamp is epoch seconds (1e11 s is year 5138; 1e11 ms is 1973). */
const SECONDS_LIMIT = 1e11;

function decodeError(field: string, reason: string): SpError {
  return new SpError('SP_ERR_DECODE', { field, reason });
}

/** JSON text → object, or SP_ERR_DECODE on `payload`. */
export function parsePayload(payload: Buffer | Uint8Array | string): JsonObject {
  // Every device frame passes here: the bytes are read where they lie (Buffer.from(aBuffer)
  // would copy them), and the empty-payload check runs only once JSON.parse has refused it.
  const raw = typeof payload === 'string' ? payload : asBuffer(payload).toString('utf8');
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    if (text.trim() === '') throw decodeError('payload', 'empty payload');
    throw decodeError('payload', `not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObject(parsed)) {
    throw decodeError('payload', `not a JSON object (got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed})`);
  }
  return parsed;
}

const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** The device's own timestamp in epoch ms, or `receivedAt` when it sends none. */
export function payloadTimestamp(root: JsonObject, receivedAt: number): number {
  for (const key of TS_KEYS) {
    const hit = getPath(root, key);
    if (!hit || hit.value === null) continue;
    return toEpochMs(hit.value, key);
  }
  return receivedAt;
}

function toEpochMs(v: unknown, field: string): number {
  const bad = (why: string) => decodeError(field, `unparseable timestamp ${JSON.stringify(v)} (${why})`);
  let ms: number;
  if (typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)))) {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw bad('must be a finite, non-negative epoch time');
    ms = n < SECONDS_LIMIT ? n * 1000 : n;
  } else if (typeof v === 'string') {
    // ISO 8601. Tasmota's "Time" has no zone: JS reads that as local time, which is what the
    // device means (it runs on the site's clock, like the gateway).
    ms = Date.parse(v);
    if (Number.isNaN(ms)) throw bad('use epoch ms, epoch s or ISO 8601');
    if (ms < 0) throw bad('before 1970');
  } else {
    throw bad('use epoch ms, epoch s or ISO 8601');
  }
  if (ms > MAX_TS) throw bad('after year 9999: a microsecond or nanosecond clock? send epoch ms');
  return Math.round(ms);
}

const OPEN_WORDS = new Set(['open', 'opened']);
const CLOSED_WORDS = new Set(['closed', 'close', 'shut']);
const TRUE_WORDS = new Set(['true', 'on', '1', 'running', 'yes']);
const FALSE_WORDS = new Set(['false', 'off', '0', 'stopped', 'no']);

/** Numbers, and numeric strings: some zigbee2mqtt converters publish `"battery":"100.00"`. */
function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function toBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  if (typeof v === 'string') {
    const w = v.trim().toLowerCase();
    if (TRUE_WORDS.has(w)) return true;
    if (FALSE_WORDS.has(w)) return false;
  }
  return undefined;
}

const leafKey = (path: string): string => path.slice(path.lastIndexOf('.') + 1);

/** Converts the raw JSON value of one point; returns a reason string when it cannot. */
function convert(kind: ReadingKind, found: Found, root: JsonObject): number | string {
  let { value } = found;
  const leaf = leafKey(found.path);
  switch (kind) {
    case 'door': {
      // "open"/"closed" say what they mean; booleans mean "open" except zigbee2mqtt's
      // `contact`, which is true while the magnet touches, i.e. the door is CLOSED.
      if (typeof value === 'string') {
        const w = value.trim().toLowerCase();
        if (OPEN_WORDS.has(w)) return 1;
        if (CLOSED_WORDS.has(w)) return 0;
      }
      const b = toBool(value);
      if (b === undefined) return `${JSON.stringify(value)} is not a door state (use true/false, 1/0, "open"/"closed")`;
      const open = leaf.toLowerCase() === 'contact' ? !b : b;
      return open ? 1 : 0;
    }
    case 'compressor':
    case 'defrost': {
      const b = toBool(value);
      if (b !== undefined) return b ? 1 : 0;
      const n = toNumber(value);
      return n ?? `${JSON.stringify(value)} is not a ${kind} state (use true/false, "on"/"off" or a number)`;
    }
    default: {
      // Shelly gen2 nests a temperature as {tC, tF} inside other components (switch:0.temperature).
      if ((kind === 'temperature' || kind === 'setpoint' || kind === 'product_temperature') && isObject(value) && value.tC !== undefined) value = value.tC;
      const n = toNumber(value);
      if (n === undefined) return `${JSON.stringify(value)} is not a finite number`;
      if (kind === 'temperature' || kind === 'setpoint' || kind === 'product_temperature') {
        const unit = typeof root.TempUnit === 'string' ? root.TempUnit.trim().toUpperCase() : 'C';
        if (unit === 'F' || leaf === 'tF') return ((n - 32) * 5) / 9;
      }
      return n;
    }
  }
}

/** zigbee2mqtt flags a weak battery with `battery_low: true`: every value of that message is then suspect. */
function payloadQuality(root: JsonObject): Quality {
  return root.battery_low === true ? 'uncertain' : 'good';
}

/**
 * Decodes one payload for a list of points and reports what could not be read.
 * Throws SP_ERR_DECODE only for payload-level faults (not JSON, not an object, bad timestamp).
 */
export function decodeMqttJsonDetailed(payload: Buffer | Uint8Array | string, points: readonly MqttJsonPoint[], receivedAt: number): DecodedPayload {
  const root = parsePayload(payload);
  const ts = payloadTimestamp(root, receivedAt);
  const quality = payloadQuality(root);
  const readings: Reading[] = [];
  const problems: DecodeProblem[] = [];
  for (const p of points) {
    const found = p.field ? getPath(root, p.field) : findDefault(root, p.kind);
    const where = p.field ?? p.kind;
    if (!found) {
      const reason = p.field ? `value missing (no "${p.field}" in payload)` : `value missing (looked for ${describeDefaults(p.kind)})`;
      problems.push({ sensor: p.sensor, field: where, reason, missing: true });
      continue;
    }
    if (found.value === null) {
      problems.push({ sensor: p.sensor, field: found.path, reason: 'value is null (device has no reading)', missing: false });
      continue;
    }
    const v = convert(p.kind, found, root);
    if (typeof v === 'string') {
      problems.push({ sensor: p.sensor, field: found.path, reason: v, missing: false });
      continue;
    }
    readings.push({ sensor: p.sensor, kind: p.kind, ts, value: v, quality });
  }
  return { readings, problems };
}

/**
 * Decodes one payload into the readings of the points present in it. Throws SP_ERR_DECODE
 * when the payload is unusable or not one point could be read (the error lists every point's
 * problem). Use decodeMqttJsonDetailed to also learn which points were missing or bad.
 */
export function decodeMqttJson(payload: Buffer | Uint8Array | string, points: readonly MqttJsonPoint[], receivedAt: number): Reading[] {
  if (points.length === 0) throw decodeError('points', 'no points to decode');
  const { readings, problems } = decodeMqttJsonDetailed(payload, points, receivedAt);
  if (readings.length === 0) {
    throw new SpError('SP_ERR_DECODE', problems.map(({ field, reason }) => ({ field, reason })));
  }
  return readings;
}
