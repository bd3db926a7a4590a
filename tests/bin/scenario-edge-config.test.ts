import { describe, expect, it } from 'vitest';
import { EdgeConfig } from '../../edge/config.schema.ts';
import { scenarioEdgeConfig } from '../../bin/scenario-edge-config.ts';
import { encodeValue, decodeRegisters } from '../../protocols/modbus/register-map.ts';
import { MODBUS_TEMPERATURE_POINTS } from '../../simulators/devices/modbus-temperature.ts';

// The generated gateway config must be one the gateway accepts, and watch what the simulator sends.

const base = { mqttUrl: 'mqtt://127.0.0.1:18830', modbusPort: 15020, publishMs: 2000 };

describe('scenarioEdgeConfig(bakery)', () => {
  it('is valid against EdgeConfig', () => {
    const r = EdgeConfig.safeParse(scenarioEdgeConfig('bakery', base));
    expect(r.success ? [] : r.error.issues).toEqual([]);
  });

  it('has the agreed sensor ids, topics and Modbus endpoint', () => {
    const cfg = EdgeConfig.parse(scenarioEdgeConfig('bakery', base));
    const sensors = cfg.devices.flatMap((d) => d.points.map((p) => p.sensor)).sort();
    expect(sensors).toEqual(['chiller-door', 'chiller-t1', 'chiller-t1-battery', 'chiller-t2', 'chiller-t2-battery', 'freezer-t1']);
    const topics = cfg.devices.flatMap((d) => (d.protocol === 'mqtt-json' ? [d.topic] : []));
    expect(topics).toEqual(['bakery/chiller/probe-1', 'bakery/chiller/probe-2', 'bakery/chiller/door']);
    const ctrl = cfg.devices.find((d) => d.id === 'freezer-ctrl');
    expect(ctrl).toMatchObject({ protocol: 'modbus-tcp', host: '127.0.0.1', port: 15020, unitId: 1 });
    expect(cfg.devices.find((d) => d.id === 'chiller-probe-1')!.heartbeatSec).toBe(2);
  });

  it('carries the zone rules', () => {
    const cfg = EdgeConfig.parse(scenarioEdgeConfig('bakery', base));
    expect(cfg.zones).toEqual([
      { id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 }, alarm: { delaySec: 300, hysteresis: 0.5, doorGraceSec: 120, cumulative: { windowSec: 86_400, limitSec: 3600 } } },
      {
        id: 'freezer', name: 'Freezer', profile: { high: -18 }, alarm: { delaySec: 600, hysteresis: 1, doorGraceSec: 180 },
        // the same schedule as edge/examples/bakery.yaml: 01:00, 07:00, 13:00, 19:00 UTC
        defrost: { everyMin: 360, firstAt: '01:00', timeZone: 'UTC', maxDurationMin: 45, recoveryMin: 30, windowMin: 15, minRiseC: 2 },
      },
    ]);
  });

  it('puts the freezer\'s defrost schedule on the simulator\'s time scale', () => {
    const at30 = EdgeConfig.parse(scenarioEdgeConfig('bakery', { ...base, timeScale: 30 })).zones[1]!.defrost;
    // a 6 h cycle is 12 min at 30×, the first at 01:00 / 30 = 2 min past midnight
    expect(at30).toMatchObject({ everyMin: 12, firstAt: '00:02', maxDurationMin: 1.5, recoveryMin: 1 });
    expect(EdgeConfig.parse(scenarioEdgeConfig('bakery', { ...base, timeScale: 3600 })).zones[1]!.defrost).toMatchObject({ everyMin: 0.1, firstAt: '00:00:01' });
    // a cycle that does not divide a day cannot be a daily schedule: left out, not approximated
    expect(EdgeConfig.parse(scenarioEdgeConfig('bakery', { ...base, timeScale: 7 })).zones[1]!.defrost).toBeUndefined();
  });

  it('accepts alarm overrides for all zones and per zone', () => {
    const cfg = EdgeConfig.parse(scenarioEdgeConfig('bakery', { ...base, alarm: { delaySec: 60 }, zoneAlarm: { freezer: { doorGraceSec: 30 } } }));
    expect(cfg.zones.map((z) => z.alarm.delaySec)).toEqual([60, 60]);
    expect(cfg.zones[1]!.alarm).toMatchObject({ hysteresis: 1, doorGraceSec: 30 });
    expect(cfg.zones[0]!.alarm.cumulative).toEqual({ windowSec: 86_400, limitSec: 3600 });
  });

  it('reads the freezer register the way the simulator writes it', () => {
    const cfg = EdgeConfig.parse(scenarioEdgeConfig('bakery', base));
    const ctrl = cfg.devices.find((d) => d.id === 'freezer-ctrl');
    if (ctrl?.protocol !== 'modbus-tcp') throw new Error('freezer-ctrl is not a Modbus TCP device');
    const regs = encodeValue(-21.25, MODBUS_TEMPERATURE_POINTS.float);
    expect(decodeRegisters(regs, ctrl.points[0]!.register)).toBeCloseTo(-21.25, 5);
  });

  it('an unknown scenario is a coded error listing the known ones', () => {
    expect(() => scenarioEdgeConfig('brewery', base)).toThrow(expect.objectContaining({ code: 'SP_ERR_NOT_FOUND', message: expect.stringContaining('bakery') }));
  });
});
