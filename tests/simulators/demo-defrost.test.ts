import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ModbusSerial from 'modbus-serial';
import { ManualClock } from '../../simulators/clock.ts';
import { startScenario, type ScenarioHandle } from '../../simulators/scenario-runner.ts';
import { scenarioEdgeConfig } from '../../bin/scenario-edge-config.ts';
import { parseEdgeConfig } from '../../edge/config.ts';
import { ZoneAlarmMachine } from '../../edge/alarm/index.ts';
import type { ZoneConfig } from '../../edge/config.schema.ts';
import type { AlertEvent } from '../../protocols/uplink/contract.ts';
import { decodeRegisters } from '../../protocols/modbus/register-map.ts';
import { MODBUS_TEMPERATURE_POINTS } from '../../simulators/devices/modbus-temperature.ts';
import { startBroker, type TestBroker } from '../helpers/simulators.ts';

// The demo's freezer as `npm start` runs it (time scale 30, alarm delay 60 s): its defrosts
// (−21 → −13 °C every 12 real minutes) used to raise a critical "High temp" each time. The
// gateway config the demo builds now carries the matching schedule. The freezer is read over
// Modbus TCP, as the gateway reads it, every 2 s of a stepped clock, into the zone's rules.

const ModbusRTU = ModbusSerial.default;
const TIME_SCALE = 30;
const STEP_MS = 2000;
const START = Date.UTC(2026, 11, 5, 20, 0, 0); // defrosts at 20:02, 20:14, … (00:02 + k × 12 min)

let broker: TestBroker;
let sim: ScenarioHandle;
let master: InstanceType<typeof ModbusRTU>;
const clock = new ManualClock(START);
let freezer: ZoneConfig;

beforeAll(async () => {
  broker = await startBroker();
  sim = await startScenario('bakery', { mqttUrl: broker.url, modbusPort: 0, publishMs: 60_000, clock, seed: 11, timeScale: TIME_SCALE });
  master = new ModbusRTU();
  await master.connectTCP('127.0.0.1', { port: sim.modbusPort! });
  master.setID(1);
  master.setTimeout(1000);
  // what bin/demo-stack.ts gives the gateway
  const cfg = parseEdgeConfig(scenarioEdgeConfig('bakery', {
    mqttUrl: broker.url, modbusPort: sim.modbusPort, publishMs: 2000, pollMs: 2000, alarm: { delaySec: 60, doorGraceSec: 60 }, timeScale: TIME_SCALE,
  }));
  freezer = cfg.zones.find((z) => z.id === 'freezer')!;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (master?.isOpen ? master.close(() => resolve()) : resolve()));
  await sim?.stop();
  await broker?.close();
});

async function freezerT1(): Promise<number> {
  const regs = (await master.readHoldingRegisters(0, 2)).data;
  return decodeRegisters(regs, MODBUS_TEMPERATURE_POINTS.float);
}

/** steps the clock for `ms`, reading the freezer each step into every machine; returns the readings */
async function run(ms: number, machines: { m: ZoneAlarmMachine; out: AlertEvent[] }[], during?: (t: number) => void): Promise<{ t: number; v: number }[]> {
  const seen: { t: number; v: number }[] = [];
  for (let left = ms; left > 0; left -= STEP_MS) {
    clock.advance(STEP_MS);
    during?.(clock.now());
    const v = await freezerT1();
    seen.push({ t: clock.now(), v });
    for (const x of machines) x.out.push(...x.m.temperature('freezer-t1', clock.now(), v));
  }
  return seen;
}

describe('the demo freezer\'s defrost', () => {
  const withSchedule = { m: undefined as unknown as ZoneAlarmMachine, out: [] as AlertEvent[] };
  const without = { m: undefined as unknown as ZoneAlarmMachine, out: [] as AlertEvent[] };

  it('over two demo hours (ten defrosts) raises nothing but the defrost records; without the schedule it cries wolf', async () => {
    expect(freezer.defrost).toMatchObject({ everyMin: 12, firstAt: '00:02' });
    withSchedule.m = new ZoneAlarmMachine(freezer);
    without.m = new ZoneAlarmMachine({ ...freezer, defrost: undefined });
    const seen = await run(2 * 3_600_000, [withSchedule, without]);
    // the defrosts really happen: above −18 °C for about a minute, ten times
    expect(Math.max(...seen.map((s) => s.v))).toBeGreaterThan(-15);
    const warm = seen.filter((s) => s.v >= -18);
    expect(new Set(warm.map((s) => Math.floor((s.t - START) / 720_000))).size).toBe(10);
    expect(warm.every((s) => (s.t - START) % 720_000 >= 120_000 && (s.t - START) % 720_000 < 240_000)).toBe(true);

    expect(withSchedule.out.filter((e) => e.rule !== 'defrost')).toEqual([]);
    const records = withSchedule.out.filter((e) => e.rule === 'defrost');
    expect(records).toHaveLength(20); // ten raised, ten cleared
    expect(records.every((e) => e.severity === 'info')).toBe(true);
    expect(records.filter((e) => e.transition === 'raised').map((e) => (e.ts - START) % 720_000)).toEqual(new Array(10).fill(120_000));
    // the same data without the schedule: the false critical alarms of issue 13
    expect(without.out.filter((e) => e.rule === 'high' && e.transition === 'raised').length).toBeGreaterThanOrEqual(9);
  });

  it('a compressor that dies during a defrost: the freezer does not recover and defrost_overrun (critical) is raised', async () => {
    // the next defrost starts at 22:02; the compressor fails 20 s into it
    const next = START + 2 * 3_600_000 + 120_000;
    await run(next - clock.now(), [withSchedule]);
    const before = withSchedule.out.length;
    await run(10 * 60_000, [withSchedule], (t) => { if (t === next + 20_000) sim.setFault('freezer', 'compressor_failure', true); });
    const after = withSchedule.out.slice(before);
    const overrun = after.find((e) => e.rule === 'defrost_overrun');
    // hold: 45 model min max + 30 model min recovery = 2.5 real minutes after the start
    expect(overrun).toMatchObject({ transition: 'raised', severity: 'critical', ts: next + 150_000, since: next });
    // and the high alarm follows its delay after the hold
    expect(after.find((e) => e.rule === 'high')).toMatchObject({ transition: 'raised', since: next + 150_000, ts: next + 210_000 });
    sim.setFault('freezer', 'compressor_failure', false);
  });
});
