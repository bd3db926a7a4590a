import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import type { Reading } from '../../../protocols/reading.ts';
import { ZoneConfig } from '../../../edge/config.schema.ts';
import { loadEdgeConfig, parseEdgeConfig } from '../../../edge/config.ts';
import { gatewayAlarms, sensorRoutes, zoneAlarms } from '../../../edge/alarm/index.ts';

// The rxjs wrapper on virtual time: readings carry the virtual time as their ts, the ticker
// uses the scheduler's clock, so a delay completes when a probe goes quiet.

const EXAMPLE = new URL('../../../edge/examples/bakery.yaml', import.meta.url).pathname;

const reading = (sensor: string, kind: Reading['kind'], ts: number, value: number): Reading => ({ sensor, kind, ts, value, quality: 'good' });

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('zoneAlarms operator', () => {
  it('raises on a scheduler tick when the probe stops reporting', () => {
    const zone = ZoneConfig.parse({ id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 }, alarm: { delaySec: 5, hysteresis: 0.5, doorGraceSec: 120 } });
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      // two readings out of band, then silence
      const source = cold('a 1999ms b', {
        a: reading('chiller-t1', 'temperature', 0, 9),
        b: reading('chiller-t1', 'temperature', 2000, 9.3),
      });
      const alerts = source.pipe(zoneAlarms(zone, { tickMs: 1000 }));
      expectObservable(alerts, '^ 9999ms !').toBe('5000ms r', {
        r: {
          id: 'chiller:high:chiller-t1:5000', transition: 'raised', rule: 'high', zone: 'chiller', sensor: 'chiller-t1',
          severity: 'critical', ts: 5000, since: 0, value: 9.3, threshold: 8,
          message: 'Chiller: chiller-t1 at 9.3 °C ≥ 8 °C for 5 s',
        },
      });
    });
  });

  it('routes a mixed stream by the config: each zone by its own rules, other kinds and unknown sensors ignored', async () => {
    const config = await loadEdgeConfig(EXAMPLE, {});
    expect(sensorRoutes(config).get('freezer-t1')).toEqual({ zone: 'freezer', kind: 'temperature' });
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = cold('a b c d e', {
        a: reading('chiller-t1', 'temperature', 0, 9), // chiller: delay 300 s
        b: reading('freezer-t1', 'temperature', 1, -15), // freezer: high −18 °C, delay 600 s
        c: reading('chiller-t1-battery', 'battery', 2, 5),
        d: reading('stranger', 'temperature', 3, 40),
        e: reading('chiller-door', 'door', 4, 0),
      });
      const alerts = source.pipe(gatewayAlarms(config, { tickMs: 1000, idFactory: () => 'id' }));
      const rule = (zone: string, t: number, since: number) => expect.objectContaining({ zone, ts: t, since, transition: 'raised' });
      expectObservable(alerts, '^ 700s !').toBe('300s a 300999ms b', {
        a: rule('chiller', 300_000, 0),
        b: rule('freezer', 600_001, 1),
      });
    });
  });
});

describe('gatewayAlarms: defrost input', () => {
  it('a zone with a point of kind defrost takes its periods from it: the controller\'s signal holds the high alarm', () => {
    const config = parseEdgeConfig({
      gateway: { id: 'gw', site: 'site' }, deviceBroker: { url: 'mqtt://127.0.0.1:1' }, uplink: { url: 'mqtt://127.0.0.1:1' },
      zones: [{ id: 'freezer', name: 'Freezer', profile: { high: -18 }, alarm: { delaySec: 60 }, defrost: { maxDurationMin: 45, recoveryMin: 5 } }],
      devices: [{ id: 'ctrl', protocol: 'mqtt-json', topic: 't', points: [
        { sensor: 'freezer-t1', zone: 'freezer', kind: 'temperature' },
        { sensor: 'freezer-defrost', zone: 'freezer', kind: 'defrost', field: 'defrost' },
      ] }],
    });
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = cold('a b 299998ms c d', {
        a: reading('freezer-defrost', 'defrost', 0, 1),
        b: reading('freezer-t1', 'temperature', 1, -13),
        c: reading('freezer-defrost', 'defrost', 300_000, 0),
        d: reading('freezer-t1', 'temperature', 300_001, -21),
      });
      const alerts = source.pipe(gatewayAlarms(config, { tickMs: 1000, idFactory: () => 'id' }));
      expectObservable(alerts, '^ 1000s !').toBe('r 599999ms c', {
        r: expect.objectContaining({ rule: 'defrost', transition: 'raised', severity: 'info', ts: 0 }),
        c: expect.objectContaining({ rule: 'defrost', transition: 'cleared', ts: 600_000, value: 300 }),
      });
    });
  });
});
