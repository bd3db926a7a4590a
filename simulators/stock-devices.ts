import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sgtinFromGtin } from '../protocols/epc/encode.ts';
import type { Clock } from './clock.ts';
import { createRng } from './random.ts';
import type { SimDevice } from './devices/device.ts';
import { RfidPortalSim } from './devices/rfid-portal.ts';
import { ModbusScaleSim } from './devices/modbus-scale.ts';
import { SerialScale } from './devices/serial-scale.ts';
import { ScaleModel } from './devices/scale-model.ts';
import { hasSocat, openPtyPair, type PtyPair } from './devices/pty-pair.ts';
import type { StockDevicesSpec } from './stock-types.ts';

// Runs a scenario's stock-moving devices on real sockets: the dock portal publishes on the
// devices' broker, the silo indicator serves Modbus TCP, the bench balance answers MT-SICS on a
// socat pty. The bench needs socat: without it the balance is left out and `notes` says why
// (the rest of the demo runs as before).
//
// With `activityMs` set the site comes alive on its own, one step per interval: a pallet of
// tagged cases arrives (received against the open PO), the silo feeds the mixer, butter goes on
// and off the bench (put down in a few swings), and once a few cases leave with no shipment
// (the unauthorised-removal alert). The cases' serials differ per run, so a restarted demo
// brings a new pallet rather than one the gateway has just seen.

export interface StockDevicesOptions {
  mqttUrl: string;
  modbusHost: string;
  /** the silo indicator's port (0 = any free port) */
  siloPort: number;
  /** directory of the bench's pty pair (the gateway opens `<dir>/bench-host`) */
  ptyDir?: string;
  clock: Clock;
  seed: number;
  /** one demo step every this many ms; 0 / undefined = devices only, driven by the caller */
  activityMs?: number;
}

export interface StockDevicesHandle {
  devices: SimDevice[];
  portal: RfidPortalSim;
  siloModel: ScaleModel;
  benchModel: ScaleModel | undefined;
  siloPort: number;
  /** why a device was left out (no socat) */
  notes: string[];
  /** the cases of this run's first pallet */
  cases: string[];
  stop(): Promise<void>;
}

/** where the bench's pty pair lives unless told: per process, so two demos never share one */
export const defaultPtyDir = (gatewayId: string): string => join(tmpdir(), `stockpulse-${gatewayId}-${process.pid}`);
/** the demo portal's dedupe window: a pallet parked in the door is one pass for this long */
export const DEMO_DEDUPE_MS = 10_000;
export const benchHostPath = (ptyDir: string): string => join(ptyDir, 'bench-host');
export { hasSocat };

export async function startStockDevices(spec: StockDevicesSpec, o: StockDevicesOptions & { gatewayId: string }): Promise<StockDevicesHandle> {
  const rng = createRng(o.seed + 31);
  const portal = new RfidPortalSim({ id: spec.portal.id, zoneId: spec.portal.zone, mqttUrl: o.mqttUrl, topic: spec.portal.topic, flavour: spec.portal.flavour, clock: o.clock, rng, speed: 2, batch: 4 });
  const siloModel = new ScaleModel({ clock: o.clock, rng, initialKg: spec.silo.initialKg, capacityKg: spec.silo.capacityKg, noiseKg: 0.02, resolutionKg: 0.1, motionBandKg: 0.3 });
  const silo = new ModbusScaleSim({ id: spec.silo.id, zoneId: spec.silo.zone, host: o.modbusHost, port: o.siloPort, unitId: spec.silo.unitId, model: siloModel });
  const devices: SimDevice[] = [portal, silo];
  const notes: string[] = [];
  let pty: PtyPair | undefined;
  let benchModel: ScaleModel | undefined;
  if (hasSocat()) {
    const dir = o.ptyDir ?? defaultPtyDir(o.gatewayId);
    pty = await openPtyPair(dir, { device: 'bench-device', host: 'bench-host' });
    benchModel = new ScaleModel({ clock: o.clock, rng, initialKg: spec.bench.initialKg, noiseKg: 0.0005 });
    devices.push(new SerialScale({ id: spec.bench.id, zoneId: spec.bench.zone, path: pty.devicePath, mode: 'mt-sics', model: benchModel }));
  } else {
    notes.push(`bench scale "${spec.bench.id}" left out: socat is not installed (apt-get install socat); the simulated MT-SICS balance needs a pty pair`);
  }
  const started: SimDevice[] = [];
  try {
    for (const d of devices) { await d.start(); started.push(d); }
  } catch (e) {
    await Promise.allSettled(started.map((d) => d.stop()));
    await pty?.close();
    throw e;
  }
  const serialBase = Math.floor(o.clock.now() / 1000) % 1_000_000_000;
  const cases = Array.from({ length: spec.pallet.cases }, (_, i) => sgtinFromGtin(spec.pallet.gtin, spec.pallet.companyPrefixLength, serialBase + i, 2));

  let timer: NodeJS.Timeout | undefined;
  const timers = new Set<NodeJS.Timeout>();
  let step = 0;
  const steps: (() => Promise<void> | void)[] = [
    () => portal.passPallet(cases, 'in'),
    () => siloModel.load(-25, { swings: 2, periodMs: 700 }),
    () => benchModel?.load(8 * spec.bench.pieceWeightKg, { swings: 3, periodMs: 700, amplitudeKg: 1.5 }),
    // the same cases again: only once the gateway no longer takes them for the pallet that just
    // came in (its dedupe window, DEMO_DEDUPE_MS in the scenario's gateway config)
    () => new Promise<void>((resolve) => {
      const t = setTimeout(() => { timers.delete(t); void portal.passPallet(cases.slice(0, 6), 'out').finally(resolve); }, Math.max(0, DEMO_DEDUPE_MS + 2000 - 3 * (o.activityMs ?? 0)));
      timers.add(t);
    }),
  ];
  // what the script has put on the scales (reading the model would disturb its motion flag)
  let siloKg = spec.silo.initialKg - 25;
  let benchPieces = Math.round(spec.bench.initialKg / spec.bench.pieceWeightKg) + 8;
  const repeating: (() => void)[] = [
    () => { const d = siloKg < 300 ? 900 : -25; siloKg += d; siloModel.load(d, { swings: 2, periodMs: 700 }); },
    () => { const d = benchPieces > 16 ? -6 : 6; benchPieces += d; benchModel?.load(d * spec.bench.pieceWeightKg, { swings: 3, periodMs: 700, amplitudeKg: 1.2 }); },
  ];
  if (o.activityMs) {
    timer = setInterval(() => {
      const run = step < steps.length ? steps[step]! : repeating[(step - steps.length) % repeating.length]!;
      step++;
      void Promise.resolve(run()).catch(() => { /* a stopped device: the next step tries again */ });
    }, o.activityMs);
    timer.unref?.();
  }
  return {
    devices, portal, siloModel, benchModel, siloPort: silo.listenPort, notes, cases,
    async stop() {
      clearInterval(timer);
      for (const t of timers) clearTimeout(t);
      await Promise.allSettled(devices.map((d) => d.stop()));
      await pty?.close();
    },
  };
}
