import { SpError } from '../../protocols/errors.ts';
import type { ReadingKind } from '../../protocols/reading.ts';
import type { AlertEvent } from '../../protocols/uplink/contract.ts';
import type { AlarmRules, EdgeConfig, ZoneConfig } from '../config.schema.ts';
import { sensorRoutes } from '../alarm/routing.ts';
import { ProductTemperatures } from '../alarm/product-temperature.ts';
import { ZoneAlarmMachine, type AlertIdFactory } from '../alarm/zone-machine.ts';
import { inputError, parseDoor, parseHeader, parseNumber, parseOnOff, parseTimestamp, splitCsvLine, type CsvColumns } from './csv.ts';
import { ReorderBuffer } from './reorder-buffer.ts';

// `stockpulse replay`: the gateway's own alarm state machines run over recorded readings on the
// readings' timestamps, so a quality manager can see which alerts last month's data would have
// raised under other rule settings. Streams line by line; memory holds the reorder window and
// the machines' state, never the file.

export type AlarmOverrides = Partial<Pick<AlarmRules, 'delaySec' | 'hysteresis' | 'doorGraceSec'>>;

export interface ReplayOptions {
  config: Pick<EdgeConfig, 'zones' | 'devices'>;
  /** the CSV, one line per item (header first); e.g. a readline interface */
  lines: AsyncIterable<string> | Iterable<string>;
  /** applied to every zone, to compare settings on the same data */
  overrides?: AlarmOverrides;
  /** rows may be out of ts order by up to this much (default 300 s) */
  reorderSec?: number;
  idFactory?: AlertIdFactory;
  /** each alert transition, in event-time order; may return a promise (e.g. stdout backpressure) */
  onAlert: (e: AlertEvent) => void | Promise<void>;
  /** each rejected row: an SP_ERR_INPUT with the line number in its message */
  onReject?: (line: number, err: SpError) => void;
}

export interface ReplaySummary {
  /** data rows read (header and blank lines not counted) */
  rows: number;
  /** rows that fed the alarm rules (temperature, door or defrost) */
  replayed: number;
  /** rows of known sensors of other kinds (battery, …): valid, but no rule uses them */
  ignored: number;
  rejected: number;
  raised: number;
  cleared: number;
  /** alerts raised and not cleared when the data ended */
  stillActive: number;
  firstTs: number | undefined;
  lastTs: number | undefined;
}

interface Row {
  line: number;
  ts: number;
  sensor: string;
  zone: string;
  kind: ReadingKind;
  value: number | undefined;
  door: boolean | undefined;
  defrost: boolean | undefined;
}

const RULE_KINDS: ReadonlySet<string> = new Set(['temperature', 'door', 'defrost']);

/** The zones with the given rule parameters replaced (the config itself is frozen and stays as is). */
export function withAlarmOverrides(zones: readonly ZoneConfig[], overrides: AlarmOverrides = {}): ZoneConfig[] {
  const set = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return zones.map((z) => ({ ...z, alarm: { ...z.alarm, ...set } }));
}

export async function replayReadings(opts: ReplayOptions): Promise<ReplaySummary> {
  const routes = sensorRoutes(opts.config);
  const zones = withAlarmOverrides(opts.config.zones, opts.overrides);
  // The machines are made once the header is known: a defrost column is the zones' defrost input.
  let machines = new Map<string, ZoneAlarmMachine>();
  const makeMachines = (defrostColumn: boolean) => {
    const withInput = (zone: string) => defrostColumn || [...routes.values()].some((r) => r.zone === zone && r.kind === 'defrost');
    machines = new Map(zones.map((z) => [z.id, new ZoneAlarmMachine(z, { idFactory: opts.idFactory, defrostInput: withInput(z.id) })] as const));
  };
  // A door (defrost) column row sets the zone's door (defrost output): it is the zone's own sensor of that kind if the config has one.
  const sourceOf = (zone: string, kind: 'door' | 'defrost') => [...routes].find(([, r]) => r.zone === zone && r.kind === kind)?.[0] ?? `${zone}.${kind}`;
  const doorSource = new Map(zones.map((z) => [z.id, sourceOf(z.id, 'door')]));
  const defrostSource = new Map(zones.map((z) => [z.id, sourceOf(z.id, 'defrost')]));
  // zones with a simulated product: their rules read it, derived here from the air rows as the gateway does
  const products = new ProductTemperatures({ zones, devices: opts.config.devices });
  const buffer = new ReorderBuffer<Row>((opts.reorderSec ?? 300) * 1000);
  const summary: ReplaySummary = { rows: 0, replayed: 0, ignored: 0, rejected: 0, raised: 0, cleared: 0, stillActive: 0, firstTs: undefined, lastTs: undefined };

  const reject = (err: SpError) => {
    summary.rejected++;
    opts.onReject?.(Number(/^line (\d+)/.exec(err.message)?.[1] ?? 0), err);
  };

  const emit = async (events: AlertEvent[]) => {
    for (const e of events) {
      if (e.transition === 'raised') summary.raised++;
      else summary.cleared++;
      const pending = opts.onAlert(e);
      if (pending) await pending;
    }
  };

  const apply = async (row: Row) => {
    summary.firstTs ??= row.ts;
    summary.lastTs = row.ts;
    // Time reaches every zone first, so a delay completing in a quiet zone is reported in order.
    const due: AlertEvent[] = [];
    for (const m of machines.values()) due.push(...m.tick(row.ts));
    if (due.length > 1) due.sort((a, b) => a.ts - b.ts);
    await emit(due);
    const m = machines.get(row.zone)!;
    if (row.door !== undefined) await emit(m.doorReading(doorSource.get(row.zone)!, row.ts, row.door));
    if (row.defrost !== undefined) await emit(m.defrostReading(defrostSource.get(row.zone)!, row.ts, row.defrost));
    // a recorded product temperature is derived again from the air, as the gateway does
    if (row.value === undefined || row.kind === 'product_temperature') return;
    const reading = { sensor: row.sensor, kind: row.kind, ts: row.ts, value: row.value, quality: 'good' as const };
    await emit(m.reading(reading));
    const product = products.derive(reading);
    if (product) await emit(m.reading(product));
  };

  let columns: CsvColumns | undefined;
  let lineNo = 0;
  for await (const raw of opts.lines) {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    if (!columns) {
      columns = parseHeader(line); // a file without a header is unusable: this one throws
      makeMachines(columns.defrost !== undefined);
      continue;
    }
    summary.rows++;
    const row = parseRow(line, lineNo, columns, routes);
    if (row instanceof SpError) { reject(row); continue; }
    if (row.ts < buffer.watermark) {
      reject(inputError(lineNo, 'ts', `${new Date(row.ts).toISOString()} is ${Math.ceil((buffer.watermark - row.ts) / 1000)} s before rows already replayed; sort the file by ts or raise --reorder`));
      continue;
    }
    if (RULE_KINDS.has(row.kind) || row.door !== undefined || row.defrost !== undefined) summary.replayed++;
    else summary.ignored++;
    for (const r of buffer.push(row)) await apply(r);
  }
  if (!columns) throw inputError(1, 'line 1', 'the file is empty: expected a header ts,sensor,value[,door][,defrost] and rows');
  for (const r of buffer.drain()) await apply(r);
  for (const m of machines.values()) summary.stillActive += m.activeAlerts().length;
  return summary;
}

function parseRow(line: string, lineNo: number, c: CsvColumns, routes: ReturnType<typeof sensorRoutes>): Row | SpError {
  const f = splitCsvLine(line);
  const need = Math.max(c.ts, c.sensor, c.value) + 1;
  if (f.length < need) return inputError(lineNo, 'row', `expected at least ${need} columns, got ${f.length}`);
  const tsText = f[c.ts]!.trim();
  const ts = parseTimestamp(tsText);
  if (ts === undefined) return inputError(lineNo, 'ts', `"${tsText.slice(0, 40)}" is neither ISO-8601 nor epoch milliseconds`);
  const sensor = f[c.sensor]!.trim();
  const route = routes.get(sensor);
  if (!route) return inputError(lineNo, 'sensor', `unknown sensor "${sensor.slice(0, 60)}" (not in the config)`);

  const doorText = c.door === undefined ? '' : (f[c.door] ?? '').trim();
  const door = doorText === '' ? undefined : parseDoor(doorText);
  if (doorText !== '' && door === undefined) return inputError(lineNo, 'door', `"${doorText.slice(0, 20)}" is not 1/0/open/closed/true/false`);

  const defrostText = c.defrost === undefined ? '' : (f[c.defrost] ?? '').trim();
  const defrost = defrostText === '' ? undefined : parseOnOff(defrostText);
  if (defrostText !== '' && defrost === undefined) return inputError(lineNo, 'defrost', `"${defrostText.slice(0, 20)}" is not 1/0/on/off/true/false`);

  const valueText = f[c.value]!.trim();
  let value: number | undefined;
  if (valueText === '') {
    if (door === undefined && defrost === undefined) return inputError(lineNo, 'value', 'value is empty');
  } else if (route.kind === 'door' && parseDoor(valueText) !== undefined) {
    value = parseDoor(valueText) ? 1 : 0;
  } else if (route.kind === 'defrost' && parseOnOff(valueText) !== undefined) {
    value = parseOnOff(valueText) ? 1 : 0;
  } else {
    value = parseNumber(valueText);
    if (value === undefined) return inputError(lineNo, 'value', `"${valueText.slice(0, 40)}" is not a number`);
  }
  return { line: lineNo, ts, sensor, zone: route.zone, kind: route.kind, value, door, defrost };
}
