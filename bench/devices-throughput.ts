// Device-layer throughput, measured (not asserted): run with
//   npx tsx bench/devices-throughput.ts
// 1. portal: simulated tag reads/s the pass tracker + document matcher turn into passes (pure, one core);
// 2. Modbus TCP scale: polls/s of the shared poller against the loopback simulator (pollMs 0);
// 3. OPC UA: data changes/s delivered through one subscription from the loopback fridge server;
// 4. Modbus RTU: polls/s over a socat pty line (real RTU framing) with 3 slaves, 1 of them dead.
import { PassTracker } from '../edge/rfid/pass-tracker.ts';
import { DocumentMatcher } from '../edge/rfid/pass-to-movements.ts';
import { PortalConfig } from '../edge/rfid/portal-config.ts';
import { crossingReads } from '../simulators/devices/portal-model.ts';
import { createRng } from '../simulators/random.ts';
import { sgtinFromGtin } from '../protocols/epc/encode.ts';
import { ModbusScaleDriver } from '../edge/devices/scale/modbus-scale-driver.ts';
import { ModbusScaleSim } from '../simulators/devices/modbus-scale.ts';
import { ScaleModel } from '../simulators/devices/scale-model.ts';
import { OpcUaFridge, OPCUA_FRIDGE_NODES } from '../simulators/devices/opcua-fridge.ts';
import { OpcUaSubscriptionDriver } from '../edge/devices/opcua/subscription-driver.ts';
import { ThermalZone } from '../simulators/thermal-model.ts';
import { systemClock } from '../simulators/clock.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModbusRtuPoller } from '../edge/devices/modbus/rtu-poller.ts';
import { ModbusRtuBusSim } from '../simulators/devices/modbus-rtu-bus.ts';
import { hasSocat } from '../simulators/devices/pty-pair.ts';

/** events/s of a running counter: wait `warmMs` (connections up, first values in), then count over `measureMs` */
async function ratePerSecond(count: () => number, warmMs: number, measureMs: number): Promise<number> {
  await new Promise((r) => setTimeout(r, warmMs));
  const n0 = count();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, measureMs));
  return (count() - n0) / ((performance.now() - t0) / 1000);
}

async function portal(): Promise<void> {
  const cfg = PortalConfig.parse({ id: 'dock', zone: 'dock', readers: [{ device: 'r', outside: [1], inside: [2] }], passGapMs: 1000 });
  const rng = createRng(1);
  const passesWanted = 200;
  const reads = [];
  for (let p = 0; p < passesWanted; p++) {
    const epcs = Array.from({ length: 40 }, (_, i) => sgtinFromGtin('80614141123458', 7, p * 100 + i, 2));
    for (const r of crossingReads({ epcs, direction: p % 2 ? 'out' : 'in', rng })) reads.push({ reader: 'r', epc: r.epc, antenna: r.antenna, rssi: r.rssi, ts: p * 10_000 + r.at, count: 1 });
  }
  const tracker = new PassTracker(cfg);
  const matcher = new DocumentMatcher('bench');
  const t0 = performance.now();
  let passes = 0;
  for (const r of reads) for (const p of tracker.ingest(r)) { passes++; matcher.match(p, cfg); }
  for (const p of tracker.flush()) { passes++; matcher.match(p, cfg); }
  const s = (performance.now() - t0) / 1000;
  console.log(`portal: ${reads.length} reads → ${passes} passes of 40 tags in ${s.toFixed(2)} s = ${Math.round(reads.length / s)} reads/s, ${Math.round(passes / s)} passes/s`);
}

async function modbus(): Promise<void> {
  const model = new ScaleModel({ clock: systemClock, rng: createRng(2), initialKg: 100 });
  const sim = new ModbusScaleSim({ id: 'f', zoneId: 'z', host: '127.0.0.1', port: 0, unitId: 1, model });
  await sim.start();
  let n = 0;
  const drv = new ModbusScaleDriver({ id: 'f', host: '127.0.0.1', port: sim.listenPort, unitId: 1, pollMs: 0, timeoutMs: 1000, onSample: () => { n++; } });
  await drv.start();
  const rate = await ratePerSecond(() => n, 500, 3000);
  await drv.stop();
  await sim.stop();
  console.log(`modbus scale: ${Math.round(rate)} polls/s (gross+net+tare+status in one request, loopback)`);
}

async function opcua(): Promise<void> {
  const zone = new ThermalZone({ setPoint: 4, ambient: 20, coolingTauSec: 600, doorTauSec: 900, failureTauSec: 3600, clock: systemClock, rng: createRng(3), timeScale: 1 });
  const sim = new OpcUaFridge({ id: 'f', zoneId: 'z', zone, port: 0 });
  await sim.start();
  let n = 0;
  const drv = new OpcUaSubscriptionDriver({ id: 'f', endpoint: sim.endpoint, samplingMs: 100, points: [{ sensor: 't', kind: 'temperature', nodeId: OPCUA_FRIDGE_NODES.temperature }, { sensor: 'sp', kind: 'setpoint', nodeId: OPCUA_FRIDGE_NODES.setpoint }], onReading: () => { n++; } });
  await drv.start();
  const rate = await ratePerSecond(() => n, 2000, 3000);
  await drv.stop();
  await sim.stop();
  console.log(`opc ua: ${rate.toFixed(1)} data changes/s over one subscription (2 items, 100 ms sampling; only changed values are published)`);
}

async function modbusRtu(): Promise<void> {
  if (!hasSocat()) return console.log('modbus rtu: skipped — socat is not installed (apt-get install socat)');
  const dir = mkdtempSync(join(tmpdir(), 'sp-rtu-bench-'));
  const bus = new ModbusRtuBusSim(dir, 115200);
  for (const unit of [1, 2, 3]) bus.slaves.set(unit, { registers: () => [0x4060, 0x0000, 35], silent: unit === 3 });
  await bus.start();
  const n = new Map<string, number>();
  const point = { sensor: 't', kind: 'temperature' as const, register: { address: 0, type: 'float32' as const } };
  const dev = (id: string, unitId: number) => ({ id, path: bus.hostPath, baudRate: 115200, parity: 'none' as const, dataBits: 8 as const, stopBits: 1 as const, unitId, pollMs: 0, timeoutMs: 100, points: [point] });
  const drv = new ModbusRtuPoller({ devices: [dev('u1', 1), dev('u2', 2), dev('u3', 3)], onReading: (_r, id) => n.set(id, (n.get(id) ?? 0) + 1) });
  await drv.start();
  await new Promise((r) => setTimeout(r, 1000));
  const n0 = new Map(n);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 3000));
  const s = (performance.now() - t0) / 1000;
  const rate = (id: string) => Math.round(((n.get(id) ?? 0) - (n0.get(id) ?? 0)) / s);
  await drv.stop();
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`modbus rtu: ${rate('u1')} + ${rate('u2')} polls/s from the two live slaves on one 115200-baud pty line while slave 3 is dead (on backoff); pollMs 0`);
}

await portal();
await modbus();
await opcua();
await modbusRtu();
process.exit(0);
