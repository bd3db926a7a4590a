import { z } from 'zod';
import { ReadingKind } from '../protocols/reading.ts';
import { RegisterPoint } from '../protocols/modbus/register-map.schema.ts';
import { TemperatureProfile } from '../protocols/uplink/contract.ts';
import { UPLINK_LIMITS } from '../protocols/uplink/parse.ts';
import { ByteSize } from './outbox/byte-size.ts';
import { BrokerLinkConfig, EmbeddedBrokerConfig, brokerConfigIssues } from './broker/config.schema.ts';
import { DeviceBrokerFields } from './broker/queue-limits.ts';
import { OutputConfig, outputConfigIssues } from './outputs/config.schema.ts';
import { DefrostConfig, ProductConfig, WarningLevel, coldChainIssues } from './alarm/cold-chain.schema.ts';
import { ModbusScaleDevice, OpcUaDevice, RfidPortalDevice, SerialScaleDevice } from './devices/device-config.schema.ts';

// The gateway's one config file (YAML or JSON). Parsed once at start: every error is listed
// with its path, then the result is frozen. Devices, zones and alarm rules all come from here.

const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, "_", "-" or "." (no spaces or slashes)');

export const AlarmRules = z.object({
  /** an excursion beyond the profile (the critical level) must last this long before it raises an alert (seconds) */
  delaySec: z.number().nonnegative().default(300),
  /** once raised, the value must come back this far inside the band before the alert clears (°C) */
  hysteresis: z.number().nonnegative().default(0.5),
  /** excursions while the door is open are expected for this long (seconds); longer raises door_open */
  doorGraceSec: z.number().nonnegative().default(120),
  /** total time out of band within a rolling window; catches many short excursions */
  cumulative: z.object({
    windowSec: z.number().positive(),
    limitSec: z.number().positive(),
  }).strict().optional(),
  /** an earlier warning level inside the profile's band, with its own delay (rules high_warning / low_warning) */
  warning: WarningLevel.optional(),
}).strict();
export type AlarmRules = z.infer<typeof AlarmRules>;

export const ZoneConfig = z.object({
  id: Id,
  name: z.string().min(1),
  profile: TemperatureProfile.strict().refine((p) => p.low === undefined || p.high === undefined || p.low < p.high, {
    message: 'low must be below high',
  }),
  alarm: AlarmRules.default({ delaySec: 300, hysteresis: 0.5, doorGraceSec: 120 }),
  /** defrost schedule and/or input: high alarms held during defrost + recovery (edge/alarm/cold-chain.schema.ts) */
  defrost: DefrostConfig.optional(),
  /** simulated product temperature: the zone's rules use it instead of the air */
  product: ProductConfig.optional(),
}).strict();
export type ZoneConfig = z.infer<typeof ZoneConfig>;

const PointBase = {
  sensor: Id,
  zone: Id,
  kind: ReadingKind,
  name: z.string().optional(),
};

export const MqttJsonPoint = z.object({
  ...PointBase,
  /** dotted path of the value in the JSON payload; default chosen by kind (see protocols/mqtt-json) */
  field: z.string().min(1).optional(),
}).strict();

export const ModbusPoint = z.object({
  ...PointBase,
  register: RegisterPoint,
}).strict();

const DeviceBase = {
  id: Id,
  name: z.string().optional(),
  /** expected reporting interval; silence for 3× this marks the device offline (seconds) */
  heartbeatSec: z.number().positive().default(60),
};

export const MqttJsonDevice = z.object({
  ...DeviceBase,
  protocol: z.literal('mqtt-json'),
  topic: z.string().min(1),
  points: z.array(MqttJsonPoint).min(1),
}).strict();

export const ModbusTcpDevice = z.object({
  ...DeviceBase,
  protocol: z.literal('modbus-tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
  unitId: z.number().int().min(0).max(255).default(1),
  pollMs: z.number().int().min(50).default(2000),
  timeoutMs: z.number().int().min(50).default(1000),
  points: z.array(ModbusPoint).min(1),
}).strict();

/** slaves on an RS-485 line behind a serial port; devices with the same path share the line (and its settings) */
export const ModbusRtuDevice = z.object({
  ...DeviceBase,
  protocol: z.literal('modbus-rtu'),
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(9600),
  /** Modbus over serial line spec default is even; many devices ship 8N1 — check the device's manual */
  parity: z.enum(['none', 'even', 'odd']).default('even'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  unitId: z.number().int().min(1).max(247).default(1),
  pollMs: z.number().int().min(50).default(2000),
  timeoutMs: z.number().int().min(50).default(500),
  points: z.array(ModbusPoint).min(1),
}).strict();

export const DeviceConfig = z.discriminatedUnion('protocol', [MqttJsonDevice, ModbusTcpDevice, ModbusRtuDevice, RfidPortalDevice, SerialScaleDevice, ModbusScaleDevice, OpcUaDevice]);
export type DeviceConfig = z.infer<typeof DeviceConfig>;
export type MqttJsonDeviceConfig = z.infer<typeof MqttJsonDevice>;
export type ModbusTcpDeviceConfig = z.infer<typeof ModbusTcpDevice>;
export type ModbusRtuDeviceConfig = z.infer<typeof ModbusRtuDevice>;

/** url, username, password, clientId, and TLS files (ca, cert, key): see edge/broker/config.schema.ts */
export const BrokerConfig = BrokerLinkConfig;

export const StorageConfig = z.object({
  /** folder of the edge store (relative to the working directory); created at start */
  dir: z.string().min(1).default('./data/edge'),
  /** byte cap of the outbox (bytes, or e.g. "256 MiB"); past it old raw readings are thinned, nothing else */
  maxBytes: ByteSize.default(256 * 1024 * 1024),
  /** full: every append fsynced (survives power loss); normal: readings fsynced at checkpoints only (see edge/outbox/db.ts) */
  fsync: z.enum(['full', 'normal']).default('full'),
}).strict();

export const EdgeConfig = z.object({
  gateway: z.object({ id: Id, site: Id }).strict(),
  /** where the devices publish (often a broker on the gateway itself) */
  deviceBroker: BrokerConfig.extend(DeviceBrokerFields).strict(),
  /** the link to the cloud */
  uplink: BrokerConfig.extend({
    flushMs: z.number().int().min(10).default(1000),
    // never more than the cloud takes in one frame: a bigger batch would be refused whole, every time
    batchMaxItems: z.number().int().min(1).max(UPLINK_LIMITS.maxItems, `at most ${UPLINK_LIMITS.maxItems}: the cloud refuses a larger batch (SP_ERR_TOO_LARGE)`).default(2000),
    ackTimeoutMs: z.number().int().min(100).default(5000),
    /** batches in flight at once (the seq window); 1 = stop-and-wait. More hides the broker round trip when catching up after an outage */
    window: z.number().int().min(1).max(64).default(8),
    /** nothing acknowledged for this long (s) while entries wait: /status degraded, alert uplink_stalled */
    stallAfterSec: z.number().min(1).max(86_400).default(120),
  }).strict(),
  zones: z.array(ZoneConfig).min(1),
  devices: z.array(DeviceConfig),
  /** the durable outbox and dead letters: one SQLite file per gateway, <dir>/<gateway.id>.sqlite */
  storage: StorageConfig.default({ dir: './data/edge', maxBytes: 256 * 1024 * 1024, fsync: 'full' }),
  /** the gateway's GET /metrics and GET /status; port 0 = any free port; host default 0.0.0.0 */
  http: z.object({ port: z.number().int().min(0).max(65535).default(0), host: z.string().min(1).optional() }).strict().optional(),
  /** an MQTT broker hosted by the gateway for its devices (users, topic ACLs, TLS); see docs/security.md */
  broker: EmbeddedBrokerConfig.optional(),
  /** local alarm outputs (site broker topic, LAN webhook, relay, log); they work with the cloud down */
  outputs: z.array(OutputConfig).optional(),
}).strict().superRefine((cfg, ctx) => {
  for (const issue of crossReferenceIssues(cfg)) ctx.addIssue({ code: 'custom', ...issue });
});

const asArray = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter((x) => x && typeof x === 'object') : []);

/**
 * Checks that need several parts of the config together (unique ids, points naming known
 * zones). Tolerant of partly invalid input, so the loader can report these alongside field
 * errors in one go instead of one class of mistake per run.
 */
export function crossReferenceIssues(raw: unknown): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const cfg = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const zoneIds = new Set<string>();
  (Array.isArray(cfg.zones) ? cfg.zones : []).forEach((z: unknown, i: number) => {
    const id = (z as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return;
    if (zoneIds.has(id)) issues.push({ path: ['zones', i, 'id'], message: `duplicate zone id "${id}"` });
    zoneIds.add(id);
  });
  const deviceIds = new Set<string>();
  const sensorIds = new Set<string>();
  (Array.isArray(cfg.devices) ? cfg.devices : []).forEach((d: unknown, i: number) => {
    const dev = (d && typeof d === 'object' ? d : {}) as Record<string, unknown>;
    if (typeof dev.id === 'string') {
      if (deviceIds.has(dev.id)) issues.push({ path: ['devices', i, 'id'], message: `duplicate device id "${dev.id}"` });
      deviceIds.add(dev.id);
    }
    asArray(dev.points).forEach((p, j) => {
      if (typeof p.sensor === 'string') {
        if (sensorIds.has(p.sensor)) issues.push({ path: ['devices', i, 'points', j, 'sensor'], message: `duplicate sensor id "${p.sensor}"` });
        sensorIds.add(p.sensor);
      }
      if (typeof p.zone === 'string' && !zoneIds.has(p.zone)) {
        issues.push({ path: ['devices', i, 'points', j, 'zone'], message: `unknown zone "${p.zone}" (zones: ${[...zoneIds].join(', ')})` });
      }
    });
  });
  issues.push(...brokerConfigIssues(cfg), ...outputConfigIssues(cfg), ...coldChainIssues(cfg));
  return issues;
}
export type EdgeConfig = z.infer<typeof EdgeConfig>;
export type EdgeConfigInput = z.input<typeof EdgeConfig>;
