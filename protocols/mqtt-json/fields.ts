import type { ReadingKind } from '../reading.ts';

// Where each kind of value sits in the JSON of real devices, so a config point needs no
// `field` for the common ones. Looked up in order; the first one present wins.
//
//   generic / simulator   {"ts":..,"temperature":4.21,"battery":97}   {"door":"open"}
//   zigbee2mqtt           {"temperature":4.2,"humidity":55,"battery":97,"contact":false}   (contact=false → OPEN)
//   Tasmota tele/SENSOR   {"Time":"..","DS18B20":{"Id":"..","Temperature":4.2},"TempUnit":"C"}
//   Shelly gen2           {"method":"NotifyStatus","params":{"ts":..,"temperature:0":{"id":0,"tC":4.2,"tF":39.6}}}
//                         and the per-component status topic payload {"id":0,"tC":4.2,"tF":39.6}
//
// zigbee2mqtt's `linkquality` is an LQI (0-255), not dBm, so it is NOT a default for `signal`;
// point `field: linkquality` at it explicitly if that is what you want to chart.

export type JsonObject = Record<string, unknown>;

export interface Found {
  value: unknown;
  /** dotted path where the value was found (for messages and the °F check) */
  path: string;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** a path's segments, split once per distinct path (configured fields and the fixed defaults: few) */
const segments = new Map<string, readonly string[]>();
function segmentsOf(path: string): readonly string[] {
  let s = segments.get(path);
  if (!s) {
    s = path.split('.');
    if (segments.size < 10_000) segments.set(path, s);
  }
  return s;
}

/**
 * Dotted-path lookup. Array elements are addressed by index (`sensors.0.value`). Keys that
 * contain a dot cannot be addressed; no device we know of uses them.
 */
export function getPath(root: unknown, path: string): Found | undefined {
  let cur: unknown = root;
  for (const seg of segmentsOf(path)) {
    if (Array.isArray(cur) && /^\d+$/.test(seg)) cur = cur[Number(seg)];
    else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, seg)) cur = cur[seg];
    else return undefined;
  }
  return cur === undefined ? undefined : { value: cur, path };
}

type Locator = { describe: string; find: (root: JsonObject) => Found | undefined };

const at = (path: string): Locator => ({ describe: path, find: (root) => getPath(root, path) });

/** Tasmota nests each sensor's values under its name (`DS18B20`, `DS18B20-1`, `SCD30`, `HX711`...). */
const tasmota = (key: string): Locator => ({
  describe: `<sensor>.${key}`,
  find: (root) => {
    for (const [name, v] of Object.entries(root)) {
      if (isObject(v) && v[key] !== undefined) return { value: v[key], path: `${name}.${key}` };
    }
    return undefined;
  },
});

/** Shelly gen2 names components `type:id`, at the top level of a status or inside `params` of a notification. */
const shelly = (component: string, key: string): Locator => ({
  describe: `${component}:<id>.${key}`,
  find: (root) => {
    const re = new RegExp(`^${component}:\\d+$`);
    for (const [prefix, obj] of [['', root], ['params.', root.params]] as const) {
      if (!isObject(obj)) continue;
      const name = Object.keys(obj).filter((k) => re.test(k)).sort()[0];
      if (name === undefined) continue;
      const hit = getPath(obj[name], key);
      if (hit) return { value: hit.value, path: `${prefix}${name}.${key}` };
    }
    return undefined;
  },
});

const DEFAULTS: Record<ReadingKind, Locator[]> = {
  temperature: [at('temperature'), at('temp'), tasmota('Temperature'), shelly('temperature', 'tC'), at('tC')],
  humidity: [at('humidity'), tasmota('Humidity'), shelly('humidity', 'rh'), at('rh')],
  door: [at('door'), at('contact'), at('open')],
  battery: [at('battery'), shelly('devicepower', 'battery.percent')],
  signal: [at('rssi'), at('signal'), at('wifi.rssi'), at('Wifi.Signal')],
  weight: [at('weight'), tasmota('Weight')],
  setpoint: [at('setpoint'), at('current_heating_setpoint'), at('occupied_heating_setpoint')],
  compressor: [at('compressor')],
  defrost: [at('defrost'), at('defrosting')],
  product_temperature: [at('product_temperature')],
};

/** The first default location of `kind` present in the payload. */
export function findDefault(root: JsonObject, kind: ReadingKind): Found | undefined {
  for (const loc of DEFAULTS[kind]) {
    const hit = loc.find(root);
    if (hit) return hit;
  }
  return undefined;
}

/** Human list of where `kind` is looked for, for "value missing" messages. */
export function describeDefaults(kind: ReadingKind): string {
  return DEFAULTS[kind].map((l) => l.describe).join(', ');
}
