import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../simulators/clock.ts';
import { startScenario, type ScenarioHandle } from '../../simulators/scenario-runner.ts';
import { isSpError } from '../../protocols/errors.ts';
import { parseObject, record, startBroker, type Frame, type Recorder, type TestBroker } from '../helpers/simulators.ts';

// The bakery scenario over a real broker: frames a real subscriber receives.

const P1 = 'bakery/chiller/probe-1';
const P2 = 'bakery/chiller/probe-2';
const DOOR = 'bakery/chiller/door';
const HOUR = 3_600_000;

let broker: TestBroker;
let rec: Recorder;
let sim: ScenarioHandle;
const clock = new ManualClock();

/** a frame a strict decoder accepts: the probe's documented shape */
function goodProbe(f: Frame): { ts: number; temperature: number; battery: number } | undefined {
  const o = parseObject(f.payload);
  if (!o || typeof o.ts !== 'number' || typeof o.temperature !== 'number' || typeof o.battery !== 'number') return undefined;
  return o as { ts: number; temperature: number; battery: number };
}

/** frames on `topic` that arrive after this call */
function after(topic: string) {
  const start = rec.on(topic).length;
  return {
    frames: () => rec.on(topic).slice(start),
    wait: (pred: (fs: Frame[]) => boolean) => rec.waitFor(topic, (fs) => pred(fs.slice(start))).then((fs) => fs.slice(start)),
  };
}

beforeAll(async () => {
  broker = await startBroker();
  rec = await record(broker.url, 'bakery/#');
  sim = await startScenario('bakery', { mqttUrl: broker.url, modbusPort: 0, publishMs: 40, clock, seed: 7 });
});

afterAll(async () => {
  await sim?.stop();
  await rec?.close();
  await broker?.close();
});

describe('bakery scenario over MQTT', () => {
  it('probes publish {ts, temperature, battery} with plausible chiller values', async () => {
    for (const topic of [P1, P2]) {
      const frames = await rec.waitFor(topic, (fs) => fs.length >= 3);
      for (const f of frames) {
        const p = goodProbe(f);
        expect(p, f.payload.toString()).toBeDefined();
        expect(Object.keys(p!).sort()).toEqual(['battery', 'temperature', 'ts']);
        expect(p!.ts).toBe(clock.now());
        expect(p!.temperature).toBeGreaterThan(2.5);
        expect(p!.temperature).toBeLessThan(5.5);
        expect(Math.round(p!.temperature * 100) / 100).toBe(p!.temperature); // 2 decimals
        expect(p!.battery).toBeGreaterThan(0);
        expect(p!.battery).toBeLessThanOrEqual(100);
      }
    }
  });

  it('the door contact reports closed, then open at once when the door is left open', async () => {
    const first = await rec.waitFor(DOOR, (fs) => fs.length >= 1);
    expect(parseObject(first[0]!.payload)).toEqual({ ts: clock.now(), door: 'closed' });
    const next = after(DOOR);
    expect(sim.setFault('chiller', 'door_open', true)).toEqual([{ target: 'chiller', fault: 'door_open', active: true }]);
    const opened = await next.wait((fs) => fs.some((f) => parseObject(f.payload)?.door === 'open'));
    expect(opened.length).toBeGreaterThan(0);
    expect(sim.status().zones.find((z) => z.id === 'chiller')).toMatchObject({ doorOpen: true, faults: ['door_open'] });
    const closed = after(DOOR);
    sim.setFault('chiller-door', 'door_open', false); // a device id reaches its zone
    await closed.wait((fs) => fs.some((f) => parseObject(f.payload)?.door === 'closed'));
    expect(sim.status().faults).toEqual([]);
  });

  it('compressor_failure: with the clock stepped 3 h both probes read above 8 °C; clearing recovers', async () => {
    sim.setFault('chiller', 'compressor_failure', true);
    clock.advance(3 * HOUR);
    // a frame published just before the step may still be in flight: judge the later ones
    for (const topic of [P1, P2]) {
      const fs = await after(topic).wait((xs) => xs.length >= 3);
      for (const f of fs.slice(1)) expect(goodProbe(f)!.temperature).toBeGreaterThan(8);
    }
    expect(sim.status().zones.find((z) => z.id === 'chiller')!.compressorRunning).toBe(false);
    sim.setFault('chiller', 'compressor_failure', false);
    clock.advance(3 * HOUR);
    const fs = await after(P1).wait((xs) => xs.length >= 3);
    for (const f of fs.slice(1)) expect(goodProbe(f)!.temperature).toBeLessThan(8);
  });

  it('dropout silences one probe while the other keeps publishing, until cleared', async () => {
    sim.setFault('chiller-probe-1', 'dropout', true);
    // frames already in flight from probe-1 arrive before probe-2's next one
    await after(P2).wait((fs) => fs.length >= 1);
    const silent = after(P1);
    await after(P2).wait((fs) => fs.length >= 5);
    expect(silent.frames()).toHaveLength(0);
    expect(sim.status().devices.find((d) => d.id === 'chiller-probe-1')!.faults).toEqual(['dropout']);
    sim.setFault('chiller-probe-1', 'dropout', false);
    await silent.wait((fs) => fs.length >= 1);
  });

  it('garbage interleaves malformed frames with good ones, and clearing stops it', async () => {
    sim.setFault('chiller-probe-2', 'garbage', true);
    const fs = await after(P2).wait((xs) => xs.filter((f) => !goodProbe(f)).length >= 4 && xs.filter((f) => goodProbe(f)).length >= 2);
    const bad = fs.filter((f) => !goodProbe(f));
    expect(bad.length).toBeGreaterThanOrEqual(4);
    sim.setFault('chiller-probe-2', 'garbage', false);
    await after(P2).wait((xs) => xs.length >= 1); // drain anything sent before the clear
    const clean = await after(P2).wait((xs) => xs.length >= 4);
    expect(clean.every((f) => goodProbe(f))).toBe(true);
  });

  it('a device fault on a zone applies to every device in it', () => {
    const changes = sim.setFault('chiller', 'dropout', true);
    expect(changes.map((c) => c.target).sort()).toEqual(['chiller-door', 'chiller-probe-1', 'chiller-probe-2']);
    expect(sim.setFault('chiller', 'dropout', true)).toEqual([]); // already on: no change
    sim.setFault('chiller', 'dropout', false);
    expect(sim.status().faults).toEqual([]);
  });

  it('rejects an unknown target or fault with a coded error naming the field', () => {
    const codeOf = (fn: () => unknown) => {
      try { fn(); } catch (e) { return isSpError(e) ? { code: e.code, field: e.details[0]!.field, reason: e.details[0]!.reason } : e; }
      return undefined;
    };
    expect(codeOf(() => sim.setFault('bakehouse', 'dropout', true))).toMatchObject({ code: 'SP_ERR_VALIDATION', field: 'target', reason: expect.stringContaining('chiller') });
    expect(codeOf(() => sim.setFault('chiller', 'meltdown', true))).toMatchObject({ code: 'SP_ERR_VALIDATION', field: 'fault' });
  });
});

describe('scenario registry and options', () => {
  it('an unknown scenario is SP_ERR_NOT_FOUND listing the known ones', async () => {
    await expect(startScenario('brewery', { mqttUrl: 'mqtt://127.0.0.1:1' })).rejects.toMatchObject({
      code: 'SP_ERR_NOT_FOUND', details: [{ field: 'scenario', reason: expect.stringContaining('bakery') }],
    });
  });

  it('bad options are SP_ERR_VALIDATION with every field listed', async () => {
    await expect(startScenario('bakery', { mqttUrl: 'http://x', publishMs: 1, timeScale: -1 })).rejects.toMatchObject({
      code: 'SP_ERR_VALIDATION',
      details: expect.arrayContaining([
        expect.objectContaining({ field: 'mqttUrl' }),
        expect.objectContaining({ field: 'publishMs' }),
        expect.objectContaining({ field: 'timeScale' }),
      ]),
    });
  });
});
