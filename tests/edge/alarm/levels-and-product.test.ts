import { describe, expect, it } from 'vitest';
import { AlertEvent } from '../../../protocols/uplink/contract.ts';
import type { Reading } from '../../../protocols/reading.ts';
import { EdgeConfig, ZoneConfig } from '../../../edge/config.schema.ts';
import { parseEdgeConfig } from '../../../edge/config.ts';
import { ZoneAlarmMachine, sensorRoutes } from '../../../edge/alarm/index.ts';
import { ProductTemperatures, ThermalMass } from '../../../edge/alarm/product-temperature.ts';
import { buildManifest } from '../../../edge/manifest.ts';
import { isSpError } from '../../../protocols/errors.ts';

// Two levels per side and the software glycol bottle, on event time only.

const s = (sec: number) => sec * 1000;
const MIN = 60_000;

function valid(events: AlertEvent[]): AlertEvent[] {
  for (const e of events) AlertEvent.parse(e);
  return events;
}

const chiller = (alarm: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ZoneConfig.parse({
  id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 }, alarm: { delaySec: 300, hysteresis: 0.5, doorGraceSec: 120, ...alarm }, ...extra,
});

describe('two levels per side', () => {
  it('warning high raises after its own delay, critical high-high after the critical delay; each clears on its own', () => {
    const m = new ZoneAlarmMachine(chiller({ warning: { high: 7, low: 3, delaySec: 900 } }));
    const ev: AlertEvent[] = [];
    ev.push(...m.temperature('chiller-t1', 0, 7.2));          // warning band only
    ev.push(...m.temperature('chiller-t1', s(600), 8.4));     // now past the critical limit too
    ev.push(...valid(m.tick(s(1200))));
    expect(ev.map((e) => [e.rule, e.severity, e.ts, e.since, e.threshold])).toEqual([
      ['high', 'critical', s(900), s(600), 8],
      ['high_warning', 'warning', s(900), 0, 7],
    ]);
    expect(ev[1]!.message).toBe('Chiller: chiller-t1 at 8.4 °C ≥ 7 °C for 15 min (warning)');
    // 7.4: below high − hysteresis (7.5) clears the critical; the warning stays (not ≤ 6.5)
    expect(valid(m.temperature('chiller-t1', s(1300), 7.4)).map((e) => [e.rule, e.transition])).toEqual([['high', 'cleared']]);
    expect(valid(m.temperature('chiller-t1', s(1400), 6.4)).map((e) => [e.rule, e.transition])).toEqual([['high_warning', 'cleared']]);
  });

  it('low side: warning low and critical low-low', () => {
    const m = new ZoneAlarmMachine(chiller({ warning: { low: 3 } }));
    m.temperature('chiller-t1', 0, 1.5);
    expect(valid(m.tick(s(300))).map((e) => [e.rule, e.severity])).toEqual([['low', 'critical'], ['low_warning', 'warning']]);
  });

  it('a config without levels behaves as before: one critical level at the profile', () => {
    const m = new ZoneAlarmMachine(chiller());
    m.temperature('chiller-t1', 0, 7.9);
    expect(m.tick(s(5000))).toEqual([]);
  });

  it('the door grace pauses both levels', () => {
    const m = new ZoneAlarmMachine(chiller({ warning: { high: 7, delaySec: 60 } }));
    m.doorReading('chiller-door', 0, true);
    m.temperature('chiller-t1', s(1), 9);
    expect(m.tick(s(119))).toEqual([]);
  });
});

describe('config: levels, defrost and product are checked with every other mistake', () => {
  const base = (zone: Record<string, unknown>, points: Record<string, unknown>[] = []) => ({
    gateway: { id: 'gw', site: 'site' },
    deviceBroker: { url: 'mqtt://127.0.0.1:1' },
    uplink: { url: 'mqtt://127.0.0.1:1' },
    zones: [{ id: 'freezer', name: 'Freezer', profile: { high: -18 }, ...zone }],
    devices: [{ id: 'ctrl', protocol: 'mqtt-json', topic: 't', points: [{ sensor: 'freezer-t1', zone: 'freezer', kind: 'temperature' }, ...points] }],
  });
  const fields = (raw: unknown): string[] => {
    try {
      parseEdgeConfig(raw);
      return [];
    } catch (e) {
      if (!isSpError(e)) throw e;
      return e.details.map((d) => `${d.field}: ${d.reason}`);
    }
  };

  it('lists each mistake with its path', () => {
    const problems = fields(base({
      alarm: { warning: { high: -15 } },
      defrost: { at: ['2:00', '25:00'], maxDurationMin: 45, recoveryMin: 30, timeZone: 'Mars/Olympus' },
    }));
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^zones\.0\.defrost\.at\.0: /),
      expect.stringMatching(/^zones\.0\.defrost\.at\.1: /),
      expect.stringMatching(/^zones\.0\.defrost\.timeZone: an IANA time zone/),
      'zones.0.alarm.warning.high: the warning must come first: below profile.high (-18)',
    ]));
  });

  it('defrost needs a schedule or a defrost point; a defrost point needs a defrost declaration', () => {
    expect(fields(base({ defrost: { maxDurationMin: 45, recoveryMin: 30 } }))).toEqual([
      'zones.0.defrost: give a schedule (at or everyMin) and/or a point of kind "defrost" in this zone',
    ]);
    expect(fields(base({}, [{ sensor: 'freezer-defrost', zone: 'freezer', kind: 'defrost', field: 'defrost' }]))).toEqual([
      'zones.0.defrost: zone "freezer" has a defrost point: declare defrost (maxDurationMin, recoveryMin) to use it',
    ]);
    const ok = parseEdgeConfig(base({ defrost: { maxDurationMin: 45, recoveryMin: 30 } }, [{ sensor: 'freezer-defrost', zone: 'freezer', kind: 'defrost', field: 'defrost' }]));
    expect(ok.zones[0]!.defrost).toMatchObject({ timeZone: 'UTC', windowMin: 15, minRiseC: 2 });
  });

  it('a simulated product sensor is routed, listed in the manifest, and may not clash with a configured sensor', () => {
    const cfg: EdgeConfig = parseEdgeConfig(base({ product: { tauMin: 30 } }));
    expect(sensorRoutes(cfg).get('freezer-t1-product')).toEqual({ zone: 'freezer', kind: 'product_temperature' });
    expect(buildManifest(cfg).sensors).toContainEqual(expect.objectContaining({ id: 'freezer-t1-product', zone: 'freezer', kind: 'product_temperature', unit: '°C' }));
    expect(fields(base({ product: { tauMin: 30 } }, [{ sensor: 'freezer-t1-product', zone: 'freezer', kind: 'temperature' }]))).toEqual(expect.arrayContaining([
      'devices.0.points.0.sensor: its simulated product sensor "freezer-t1-product" is already a configured sensor',
    ]));
  });
});

describe('simulated product temperature (first-order thermal mass)', () => {
  it('follows T_p += (T_air − T_p)·(1 − e^(−Δt/τ)) with the air held between readings', () => {
    const m = new ThermalMass(10);
    expect(m.update(0, -20)).toBe(-20);
    // a step to −10 °C: after one τ the product has gone 63.2 % of the way
    expect(m.update(MIN, -10)).toBe(-20);
    expect(m.update(11 * MIN, -10)).toBeCloseTo(-10 - 10 * Math.exp(-1), 9);
    // the same in many small steps: exact for any step size
    const fine = new ThermalMass(10);
    fine.update(0, -20);
    for (let k = 0; k < 600; k++) fine.update(MIN + k * 1000, -10);
    expect(fine.update(11 * MIN, -10)).toBeCloseTo(-10 - 10 * Math.exp(-1), 9);
    // out-of-order readings change nothing
    expect(m.update(5 * MIN, 30)).toBeCloseTo(-10 - 10 * Math.exp(-1), 9);
  });

  it('the rules read the product: a 20-min defrost spike of the air raises nothing with τ = 60 min', () => {
    const zone = ZoneConfig.parse({ id: 'freezer', name: 'Freezer', profile: { high: -18 }, alarm: { delaySec: 600 }, product: { tauMin: 60 } });
    const cfg = { zones: [zone], devices: [{ id: 'c', protocol: 'mqtt-json' as const, topic: 't', heartbeatSec: 60, points: [{ sensor: 'freezer-t1', zone: 'freezer', kind: 'temperature' as const }] }] };
    const products = new ProductTemperatures(cfg);
    const m = new ZoneAlarmMachine(zone);
    const events: AlertEvent[] = [];
    let maxProduct = -Infinity;
    for (let k = 0; k <= 120; k++) {
      const air: Reading = { sensor: 'freezer-t1', kind: 'temperature', ts: k * MIN, value: k >= 30 && k < 50 ? -12 : -21, quality: 'good' };
      for (const r of products.withProducts([air])) {
        if (r.kind === 'product_temperature') maxProduct = Math.max(maxProduct, r.value);
        events.push(...valid(m.reading(r)));
      }
    }
    expect(events).toEqual([]);
    expect(maxProduct).toBeLessThan(-18);
    expect(maxProduct).toBeGreaterThan(-21);
    // the air alone would have raised
    const air = new ZoneAlarmMachine(ZoneConfig.parse({ ...zone, product: undefined }));
    for (let k = 0; k <= 120; k++) events.push(...air.temperature('freezer-t1', k * MIN, k >= 30 && k < 50 ? -12 : -21));
    expect(events.map((e) => e.rule)).toEqual(['high', 'high']);
  });
});
