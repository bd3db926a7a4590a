import { z } from 'zod';
import { SpError, zodIssuesToDetails } from '../protocols/errors.ts';
import { systemClock, type Clock } from './clock.ts';
import { createRng } from './random.ts';
import { ThermalZone, type ThermalState } from './thermal-model.ts';
import { FaultChange, isZoneFault, type FaultName, type ZoneFault, type DeviceFault } from './faults.ts';
import { MqttProbe } from './devices/mqtt-probe.ts';
import { MqttDoor } from './devices/mqtt-door.ts';
import { ModbusTemperature } from './devices/modbus-temperature.ts';
import { MQTT_URL_PATTERN } from './devices/mqtt-connection.ts';
import type { SimDevice, SimDeviceStatus } from './devices/device.ts';
import type { ScenarioDefinition } from './scenario-types.ts';
import { getScenario } from './scenarios/index.ts';
import { startStockDevices, type StockDevicesHandle } from './stock-devices.ts';

// Runs a scenario: builds one thermal model per zone, one simulated device per device spec,
// starts them on real sockets and lets faults be switched at runtime.

export const ScenarioOptions = z.object({
  mqttUrl: z.string().regex(MQTT_URL_PATTERN, 'must be an mqtt://, mqtts://, ws:// or wss:// URL'),
  modbusHost: z.string().min(1).default('127.0.0.1'),
  /** first Modbus device port (next ones +1); 0 = any free port; default: the scenario's */
  modbusPort: z.number().int().min(0).max(65535).optional(),
  /** probe reporting interval (ms) */
  publishMs: z.number().int().min(10).default(5000),
  /** door contact heartbeat (ms); default max(publishMs, 30 s) */
  doorHeartbeatMs: z.number().int().min(10).optional(),
  /** model seconds per real second (defrost cycles, warm-ups); frame timestamps stay real */
  timeScale: z.number().positive().max(1_000_000).default(1),
  faults: z.array(FaultChange).default([]),
  /** seed for the noise, so a run can be replayed */
  seed: z.number().int().optional(),
  /** run the scenario's stock-moving devices too (dock portal, scales: simulators/stock-devices.ts) */
  stock: z.boolean().default(false),
  /** with `stock`: one demo step (pallet, silo draw, bench load) every this many ms; 0 = none */
  stockActivityMs: z.number().int().min(0).default(0),
  /** with `stock`: directory of the bench balance's pty pair (default: per process under the temp dir) */
  ptyDir: z.string().min(1).optional(),
}).strict();
export type ScenarioOptions = z.infer<typeof ScenarioOptions>;
export type ScenarioOptionsInput = z.input<typeof ScenarioOptions> & {
  /** defaults to the wall clock; tests pass a ManualClock and step it */
  clock?: Clock;
};

export interface ActiveFault {
  target: string;
  fault: FaultName;
}

export interface FaultEvent extends ActiveFault {
  active: boolean;
}

export interface ZoneStatus extends ThermalState {
  id: string;
  name: string;
  setPoint: number;
  faults: ZoneFault[];
}

export interface ScenarioStatus {
  scenario: string;
  startedAt: number;
  timeScale: number;
  zones: ZoneStatus[];
  devices: SimDeviceStatus[];
  /** every active fault, zone faults on zone ids and device faults on device ids */
  faults: ActiveFault[];
}

export interface ScenarioHandle {
  readonly name: string;
  /** port of the first Modbus device (the real one when 0 was asked for), if any */
  readonly modbusPort: number | undefined;
  /** the stock-moving devices, when started with `stock: true` */
  readonly stock?: StockDevicesHandle;
  /** devices left out and why (no socat for the bench balance) */
  readonly notes: string[];
  /**
   * Switches a fault. Zone faults (door_open, compressor_failure) given a device apply to its
   * zone; device faults (dropout, garbage) given a zone apply to every device in it. Returns
   * the changes that actually happened (setting an active fault again changes nothing).
   */
  setFault(target: string, fault: FaultName | string, active: boolean): FaultEvent[];
  /** called once per fault change, whoever made it (CLI flag, HTTP API, code) */
  onFaultChange(listener: (e: FaultEvent) => void): () => void;
  status(): ScenarioStatus;
  stop(): Promise<void>;
}

function parseOptions(input: ScenarioOptionsInput): ScenarioOptions & { clock: Clock } {
  const { clock, ...rest } = input;
  const r = ScenarioOptions.safeParse(rest);
  if (!r.success) throw new SpError('SP_ERR_VALIDATION', zodIssuesToDetails(r.error.issues));
  return { ...r.data, clock: clock ?? systemClock };
}

export async function startScenario(nameOrDefinition: string | ScenarioDefinition, input: ScenarioOptionsInput): Promise<ScenarioHandle> {
  const def = typeof nameOrDefinition === 'string' ? getScenario(nameOrDefinition) : nameOrDefinition;
  const opts = parseOptions(input);
  const seed = opts.seed ?? Date.now();
  const { clock } = opts;

  const zones = new Map<string, { spec: ScenarioDefinition['zones'][number]; model: ThermalZone; faults: Set<ZoneFault> }>();
  def.zones.forEach((spec, i) => {
    zones.set(spec.id, {
      spec,
      // defrosts at fixed times of day (on the time scale), as the gateway's schedule expects them
      model: new ThermalZone({
        ...spec.model, ...(spec.model.defrost ? { defrost: { ...spec.model.defrost, anchor: 'clock' as const } } : {}),
        timeScale: opts.timeScale, clock, rng: createRng(seed + i * 7919),
      }),
      faults: new Set(),
    });
  });

  const devices = new Map<string, SimDevice>();
  let modbusIndex = 0;
  const basePort = opts.modbusPort ?? def.defaultModbusPort;
  def.devices.forEach((spec, i) => {
    const zone = zones.get(spec.zone);
    if (!zone) throw new SpError('SP_ERR_CONFIG', { field: `devices.${i}.zone`, reason: `unknown zone "${spec.zone}" in scenario ${def.name}` });
    const rng = createRng(seed + 1000 + i * 104_729);
    const common = { id: spec.id, zoneId: spec.zone, zone: zone.model, clock, rng };
    switch (spec.kind) {
      case 'mqtt-probe':
        devices.set(spec.id, new MqttProbe({ ...common, topic: spec.topic, mqttUrl: opts.mqttUrl, publishMs: opts.publishMs, offsetC: spec.offsetC, batteryStart: spec.batteryStart }));
        break;
      case 'mqtt-door':
        devices.set(spec.id, new MqttDoor({ ...common, topic: spec.topic, mqttUrl: opts.mqttUrl, heartbeatMs: opts.doorHeartbeatMs ?? Math.max(opts.publishMs, 30_000) }));
        break;
      case 'modbus-temperature': {
        const port = basePort === 0 ? 0 : basePort + modbusIndex++;
        devices.set(spec.id, new ModbusTemperature({ ...common, host: opts.modbusHost, port, unitId: spec.unitId, offsetC: spec.offsetC }));
        break;
      }
    }
  });

  const listeners = new Set<(e: FaultEvent) => void>();
  const deviceFaults = new Map<string, Set<DeviceFault>>([...devices.keys()].map((id) => [id, new Set<DeviceFault>()]));

  function unknownTarget(target: string): SpError {
    return new SpError('SP_ERR_VALIDATION', {
      field: 'target',
      reason: `unknown target "${target}" (zones: ${[...zones.keys()].join(', ')}; devices: ${[...devices.keys()].join(', ')})`,
    });
  }

  function setFault(target: string, fault: FaultName | string, active: boolean): FaultEvent[] {
    const r = FaultChange.safeParse({ target, fault, active });
    if (!r.success) throw new SpError('SP_ERR_VALIDATION', zodIssuesToDetails(r.error.issues));
    const f = r.data.fault;
    const events: FaultEvent[] = [];
    if (isZoneFault(f)) {
      const zoneId = zones.has(target) ? target : devices.get(target)?.zone;
      const zone = zoneId !== undefined ? zones.get(zoneId) : undefined;
      if (!zone || zoneId === undefined) throw unknownTarget(target);
      if (zone.faults.has(f) !== active) {
        if (active) zone.faults.add(f);
        else zone.faults.delete(f);
        if (f === 'door_open') zone.model.setDoorOpen(active);
        else zone.model.setCompressorFailed(active);
        events.push({ target: zoneId, fault: f, active });
      }
    } else {
      const targets = devices.has(target) ? [target] : zones.has(target) ? [...devices.values()].filter((d) => d.zone === target).map((d) => d.id) : undefined;
      if (!targets) throw unknownTarget(target);
      for (const id of targets) {
        const set = deviceFaults.get(id)!;
        if (set.has(f) === active) continue;
        if (active) set.add(f);
        else set.delete(f);
        devices.get(id)!.setFault(f, active);
        events.push({ target: id, fault: f, active });
      }
    }
    for (const e of events) for (const l of listeners) l(e);
    return events;
  }

  // faults asked for at start are on before the first frame goes out
  for (const f of opts.faults) setFault(f.target, f.fault, f.active);

  const started: SimDevice[] = [];
  try {
    await Promise.all([...devices.values()].map(async (d) => {
      await d.start();
      started.push(d);
    }));
  } catch (e) {
    await Promise.allSettled(started.map((d) => d.stop()));
    throw e;
  }

  // stock devices after the rest; the silo's Modbus port follows the temperature controllers'
  let stock: StockDevicesHandle | undefined;
  if (opts.stock && def.stock) {
    stock = await startStockDevices(def.stock, {
      mqttUrl: opts.mqttUrl, modbusHost: opts.modbusHost, siloPort: basePort === 0 ? 0 : basePort + modbusIndex, ptyDir: opts.ptyDir,
      clock, seed, activityMs: opts.stockActivityMs, gatewayId: def.gatewayId,
    }).catch(async (e) => { await Promise.allSettled(started.map((d) => d.stop())); throw e; });
    for (const d of stock.devices) { devices.set(d.id, d); deviceFaults.set(d.id, new Set()); }
  }

  const startedAt = clock.now();
  const firstModbus = [...devices.values()].find((d): d is ModbusTemperature => d instanceof ModbusTemperature);
  let stopped = false;

  return {
    name: def.name,
    modbusPort: firstModbus?.listenPort,
    ...(stock ? { stock } : {}),
    notes: stock?.notes ?? [],
    setFault,
    onFaultChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    status(): ScenarioStatus {
      const faults: ActiveFault[] = [];
      for (const [id, z] of zones) for (const f of z.faults) faults.push({ target: id, fault: f });
      for (const [id, set] of deviceFaults) for (const f of set) faults.push({ target: id, fault: f });
      return {
        scenario: def.name,
        startedAt,
        timeScale: opts.timeScale,
        zones: [...zones.values()].map(({ spec, model, faults: zf }) => ({
          id: spec.id, name: spec.name, setPoint: model.setPoint, ...model.state(), faults: [...zf].sort(),
        })),
        devices: [...devices.values()].map((d) => d.status()),
        faults,
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      listeners.clear();
      await Promise.allSettled([...devices.values()].filter((d) => !stock?.devices.includes(d)).map((d) => d.stop()));
      await stock?.stop();
    },
  };
}
