import type { AlarmRules, EdgeConfigInput } from '../edge/config.schema.ts';
import type { DefrostConfig } from '../edge/alarm/cold-chain.schema.ts';
import { MODBUS_TEMPERATURE_POINTS } from '../simulators/devices/modbus-temperature.ts';
import { getScenario } from '../simulators/scenarios/index.ts';
import type { DeviceSpec, ScenarioAlarmRules, ScenarioDefinition, ScenarioDefrostRules, ZoneSpec } from '../simulators/scenario-types.ts';
import type { StockDevicesSpec } from '../simulators/stock-types.ts';
import { DEMO_DEDUPE_MS, benchHostPath, defaultPtyDir, hasSocat } from '../simulators/stock-devices.ts';

// The edge gateway config that watches a scenario's devices: same ids, same topics, same
// registers. Generated rather than hand-written so the simulator and the gateway cannot drift.
// It lives in bin/ because it is the one place that knows both sides: simulators/ describes a
// site in its own plain types (never importing edge/), and this bridge turns them into the
// gateway's config — tsc checks just below that the two still fit.

/** A compile error here when a scenario's plain type and the edge config's no longer fit (each way). */
type Fits<A extends B, B> = A;
export type ScenarioTypesFitEdge = [
  Fits<ScenarioAlarmRules, AlarmRules>,
  Fits<AlarmRules, ScenarioAlarmRules>,
  Fits<ScenarioDefrostRules, Pick<DefrostConfig, 'maxDurationMin' | 'recoveryMin'>>,
  Fits<Pick<DefrostConfig, 'maxDurationMin' | 'recoveryMin'>, ScenarioDefrostRules>,
];

export interface ScenarioEdgeConfigOptions {
  /** the broker the devices publish to */
  mqttUrl: string;
  /** the broker the gateway sends batches to; default: mqttUrl */
  uplinkUrl?: string;
  modbusHost?: string;
  /** first Modbus device port (as started); default: the scenario's */
  modbusPort?: number;
  /** probe interval the simulator uses (ms); sets the probes' heartbeat */
  publishMs?: number;
  /** door contact heartbeat (ms); default max(publishMs, 30 s) as the runner does */
  doorHeartbeatMs?: number;
  /** Modbus polling interval (ms) */
  pollMs?: number;
  gatewayId?: string;
  /** overrides for every zone's alarm rules (the demo shortens delays to ~60 s) */
  alarm?: Partial<AlarmRules>;
  /** overrides for one zone, applied after `alarm` */
  zoneAlarm?: Record<string, Partial<AlarmRules>>;
  httpPort?: number;
  /** watch the scenario's stock-moving devices too (as the runner's `stock: true` starts them) */
  stock?: boolean;
  /** the bench balance's pty directory, as given to the runner */
  ptyDir?: string;
  /** the runner's time scale: the zones' defrost schedules are in real time (default 1) */
  timeScale?: number;
}

/**
 * The gateway's defrost schedule for a zone whose model defrosts (the runner anchors the cycle
 * to the clock): every cycle, from the first start of the day, with maximum and recovery on the
 * time scale. Undefined when the zone declares no defrost rules, or when the cycle does not
 * divide a day on this time scale (a daily schedule could then not follow it).
 */
export function scenarioDefrost(z: ZoneSpec, timeScale = 1): EdgeConfigInput['zones'][number]['defrost'] {
  const d = z.model.defrost;
  if (!d || !z.defrost) return undefined;
  const periodSec = d.everySec / timeScale;
  const perDay = 86_400 / periodSec;
  if (Math.abs(perDay - Math.round(perDay)) > 1e-9) return undefined;
  const firstSec = Math.round((((d.everySec - ((d.offsetSec ?? 0) % d.everySec)) % d.everySec) / timeScale) * 1000) / 1000;
  if (!Number.isInteger(firstSec)) return undefined;
  const hms = [Math.floor(firstSec / 3600), Math.floor((firstSec % 3600) / 60), firstSec % 60].map((n) => String(n).padStart(2, '0'));
  return {
    everyMin: periodSec / 60,
    firstAt: firstSec % 60 === 0 ? `${hms[0]}:${hms[1]}` : hms.join(':'),
    timeZone: 'UTC',
    maxDurationMin: z.defrost.maxDurationMin / timeScale,
    recoveryMin: z.defrost.recoveryMin / timeScale,
  };
}

function edgeDevice(spec: DeviceSpec, o: Required<Pick<ScenarioEdgeConfigOptions, 'publishMs' | 'doorHeartbeatMs' | 'pollMs' | 'modbusHost'>> & { port: number }): EdgeConfigInput['devices'][number] {
  const base = { id: spec.id, ...(spec.name ? { name: spec.name } : {}) };
  switch (spec.kind) {
    case 'mqtt-probe':
      return {
        ...base, protocol: 'mqtt-json', topic: spec.topic, heartbeatSec: o.publishMs / 1000,
        points: [
          { sensor: spec.sensors.temperature, zone: spec.zone, kind: 'temperature', field: 'temperature' },
          { sensor: spec.sensors.battery, zone: spec.zone, kind: 'battery', field: 'battery' },
        ],
      };
    case 'mqtt-door':
      return {
        ...base, protocol: 'mqtt-json', topic: spec.topic, heartbeatSec: o.doorHeartbeatMs / 1000,
        points: [{ sensor: spec.sensors.door, zone: spec.zone, kind: 'door', field: 'door' }],
      };
    case 'modbus-temperature':
      return {
        ...base, protocol: 'modbus-tcp', host: o.modbusHost, port: o.port, unitId: spec.unitId,
        pollMs: o.pollMs, heartbeatSec: o.pollMs / 1000,
        points: [{ sensor: spec.sensors.temperature, zone: spec.zone, kind: 'temperature', register: { ...MODBUS_TEMPERATURE_POINTS.float } }],
      };
  }
}

/** A plain object that EdgeConfig (edge/config.schema.ts) accepts, for scenario `name`. */
export function scenarioEdgeConfig(nameOrDefinition: string | ScenarioDefinition, o: ScenarioEdgeConfigOptions): EdgeConfigInput {
  const def = typeof nameOrDefinition === 'string' ? getScenario(nameOrDefinition) : nameOrDefinition;
  const publishMs = o.publishMs ?? 5000;
  const basePort = o.modbusPort ?? def.defaultModbusPort;
  let modbusIndex = 0;
  const devOpts = {
    publishMs,
    doorHeartbeatMs: o.doorHeartbeatMs ?? Math.max(publishMs, 30_000),
    pollMs: o.pollMs ?? 2000,
    modbusHost: o.modbusHost ?? '127.0.0.1',
  };
  const gatewayId = o.gatewayId ?? def.gatewayId;
  const stock = o.stock && def.stock ? stockEdge(def.stock, { ...devOpts, ptyDir: o.ptyDir ?? defaultPtyDir(def.gatewayId) }) : undefined;
  return {
    gateway: { id: gatewayId, site: def.site },
    // fixed client ids: a restarted gateway takes over its own session instead of adding one
    // the scenario's broker is aedes, which queues without a per-client cap (0 = no limit)
    deviceBroker: { url: o.mqttUrl, clientId: `${gatewayId}-devices`, queue: { maxMessages: 0 } },
    uplink: { url: o.uplinkUrl ?? o.mqttUrl, clientId: `${gatewayId}-uplink` },
    zones: [...def.zones.map((z): EdgeConfigInput['zones'][number] => {
      const defrost = scenarioDefrost(z, o.timeScale);
      const alarm: AlarmRules = z.alarm;
      return {
        id: z.id,
        name: z.name,
        profile: { ...z.profile },
        alarm: { ...alarm, ...(alarm.cumulative ? { cumulative: { ...alarm.cumulative } } : {}), ...o.alarm, ...o.zoneAlarm?.[z.id] },
        ...(defrost ? { defrost } : {}),
      };
    }), ...(stock ? stock.zones : [])],
    devices: def.devices.map((d) => edgeDevice(d, { ...devOpts, port: d.kind === 'modbus-temperature' ? basePort + modbusIndex++ : 0 }))
      .concat(stock ? stock.devices(basePort === 0 ? 0 : basePort + def.devices.filter((d) => d.kind === 'modbus-temperature').length) : []),
    ...(o.httpPort !== undefined ? { http: { port: o.httpPort } } : {}),
  };
}

/**
 * The gateway's side of a scenario's stock devices: their zones (no temperature profile) and the
 * portal, silo and bench devices. The bench needs socat's pty (as in the runner): without it it
 * is left out here too.
 */
function stockEdge(s: StockDevicesSpec, o: { pollMs: number; modbusHost: string; ptyDir: string }) {
  const zones: EdgeConfigInput['zones'] = s.zones.map((z) => ({ id: z.id, name: z.name, profile: {} }));
  // scales report what their bin holds every 15 s (count drift); every change carries it anyway
  const countEveryMs = 15_000;
  const devices = (siloPort: number): EdgeConfigInput['devices'] => [
    {
      id: s.portal.id, name: s.portal.name, protocol: 'rfid-portal', topic: s.portal.topic, format: s.portal.flavour, zone: s.portal.zone,
      outside: [1], inside: [2], dedupeWindowMs: DEMO_DEDUPE_MS,
      // a reader reports only while tags pass (the simulated one sends no keepalives): a quiet dock is not an offline reader
      heartbeatSec: 86_400,
    },
    {
      id: s.silo.id, name: s.silo.name, protocol: 'modbus-scale', host: o.modbusHost, port: siloPort, unitId: s.silo.unitId, pollMs: Math.min(o.pollMs, 500), timeoutMs: 1000,
      points: [{ sensor: s.silo.sensor, zone: s.silo.zone, kind: 'weight' }],
      weighing: { item: { sku: s.silo.sku }, bin: s.silo.bin, changeToleranceKg: 2, stableBandKg: 0.2, stableMinMs: 800, countEveryMs },
    },
    ...(hasSocat() ? [{
      id: s.bench.id, name: s.bench.name, protocol: 'serial-scale' as const, path: benchHostPath(o.ptyDir), mode: 'mt-sics' as const, pollMs: 200, timeoutMs: 1000,
      points: [{ sensor: s.bench.sensor, zone: s.bench.zone, kind: 'weight' as const }],
      weighing: { item: { sku: s.bench.sku }, bin: s.bench.bin, pieceWeightKg: s.bench.pieceWeightKg, stableMinMs: 600, countEveryMs },
    }] : []),
  ];
  return { zones, devices };
}
