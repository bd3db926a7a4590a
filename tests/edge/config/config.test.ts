import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpError } from '../../../protocols/errors.ts';
import { loadEdgeConfig, parseEdgeConfig } from '../../../edge/config.ts';

const EXAMPLE = new URL('../../../edge/examples/bakery.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sp-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** runs fn, expects an SpError, returns it */
async function rejection(fn: () => unknown): Promise<SpError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SpError);
    return e as SpError;
  }
  throw new Error('expected an SpError');
}

const minimal = () => ({
  gateway: { id: 'gw-1', site: 'site-1' },
  deviceBroker: { url: 'mqtt://127.0.0.1:18830' },
  uplink: { url: 'mqtt://127.0.0.1:18830' },
  zones: [{ id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 } }],
  devices: [{ id: 'p1', protocol: 'mqtt-json', topic: 't/p1', points: [{ sensor: 't1', zone: 'chiller', kind: 'temperature' }] }],
});

describe('the bakery example', () => {
  it('loads with the documented zones, devices and sensors', async () => {
    const c = await loadEdgeConfig(EXAMPLE, {});
    expect(c.gateway).toEqual({ id: 'bakery-gw-1', site: 'bakery-main' });
    expect(c.deviceBroker.url).toBe('mqtt://127.0.0.1:18830');
    expect(c.zones.map((z) => [z.id, z.profile, z.alarm.delaySec, z.alarm.hysteresis, z.alarm.doorGraceSec])).toEqual([
      ['chiller', { low: 2, high: 8 }, 300, 0.5, 120],
      ['freezer', { high: -18 }, 600, 1, 180],
    ]);
    expect(c.zones[0]!.alarm.cumulative).toEqual({ windowSec: 86400, limitSec: 3600 });
    const sensors = c.devices.flatMap((d) => d.points.map((p) => p.sensor));
    expect(sensors.sort()).toEqual(['chiller-door', 'chiller-t1', 'chiller-t1-battery', 'chiller-t2', 'chiller-t2-battery', 'freezer-t1']);
    const modbus = c.devices.find((d) => d.protocol === 'modbus-tcp');
    expect(modbus).toMatchObject({ id: 'freezer-ctrl', host: '127.0.0.1', port: 15020, unitId: 1 });
  });

  it('takes the broker URL from the environment, leaving numbers as numbers', async () => {
    const c = await loadEdgeConfig(EXAMPLE, { MQTT_URL: 'mqtts://broker.example:8883' });
    expect(c.deviceBroker.url).toBe('mqtts://broker.example:8883');
    expect(c.uplink.url).toBe('mqtts://broker.example:8883');
    const modbus = c.devices.find((d) => d.id === 'freezer-ctrl');
    expect(modbus && 'port' in modbus ? modbus.port : undefined).toBe(15020);
  });

  it('is deep-frozen: a pipeline cannot change it under another one', async () => {
    const c = await loadEdgeConfig(EXAMPLE, {});
    expect(() => { (c.zones[0]!.profile as { high?: number }).high = 30; }).toThrow(TypeError);
    expect(() => { (c.devices as unknown[]).push({}); }).toThrow(TypeError);
    expect(() => { (c.gateway as { id: string }).id = 'x'; }).toThrow(TypeError);
    expect(c.zones[0]!.profile.high).toBe(8);
  });
});

describe('validation lists every problem with its path', () => {
  it('reports three different mistakes at once', async () => {
    const cfg = minimal() as Record<string, any>;
    cfg.uplink.url = 'http://cloud'; // wrong scheme
    cfg.zones[0].profile.high = '8'; // string, not a number
    cfg.devices[0].points[0].kind = 'temprature'; // typo
    const err = await rejection(() => parseEdgeConfig(cfg, {}));
    expect(err.code).toBe('SP_ERR_CONFIG');
    expect(err.details.map((d) => d.field).sort()).toEqual(['devices.0.points.0.kind', 'uplink.url', 'zones.0.profile.high']);
    expect(err.message).toContain('uplink.url');
  });

  it('refuses a batch size the cloud would refuse, and a window outside 1–64', async () => {
    const cfg = minimal() as Record<string, any>;
    cfg.uplink.batchMaxItems = 10_000;
    cfg.uplink.window = 0;
    const err = await rejection(() => parseEdgeConfig(cfg, {}));
    expect(err.details.map((d) => d.field).sort()).toEqual(['uplink.batchMaxItems', 'uplink.window']);
    expect(err.details.find((d) => d.field === 'uplink.batchMaxItems')!.reason).toMatch(/at most 5000: the cloud refuses a larger batch/);
  });

  it('lists cross-reference mistakes: unknown zone and duplicate sensor', async () => {
    const cfg = minimal() as Record<string, any>;
    cfg.devices.push({ id: 'p2', protocol: 'mqtt-json', topic: 't/p2', points: [
      { sensor: 't1', zone: 'chiller', kind: 'temperature' },
      { sensor: 't2', zone: 'freezer', kind: 'temperature' },
    ] });
    const err = await rejection(() => parseEdgeConfig(cfg, {}));
    expect(err.details).toEqual([
      { field: 'devices.1.points.0.sensor', reason: 'duplicate sensor id "t1"' },
      { field: 'devices.1.points.1.zone', reason: 'unknown zone "freezer" (zones: chiller)' },
    ]);
  });

  it('a missing environment variable without default is listed with the other issues', async () => {
    const cfg = minimal() as Record<string, any>;
    cfg.uplink.password = '${CLOUD_PASSWORD}';
    cfg.deviceBroker.url = '${DEVICE_MQTT}';
    cfg.gateway.id = 'has space';
    const err = await rejection(() => parseEdgeConfig(cfg, { CLOUD_PASSWORD_OTHER: 'x' }));
    expect(err.details.map((d) => d.field).sort()).toEqual(['deviceBroker.url', 'gateway.id', 'uplink.password']);
    expect(err.details.find((d) => d.field === 'uplink.password')!.reason).toContain('CLOUD_PASSWORD is not set');
  });

  it('substitutes inside strings, with defaults and a $${ escape', () => {
    const cfg = minimal() as Record<string, any>;
    cfg.uplink.username = 'gw-${SITE:-none}';
    cfg.uplink.password = '${PASS}';
    cfg.zones[0].name = 'Costs $${PRICE}';
    const c = parseEdgeConfig(cfg, { PASS: 's3cret', SITE: '' });
    expect(c.uplink.username).toBe('gw-none'); // empty counts as unset, as in sh
    expect(c.uplink.password).toBe('s3cret');
    expect(c.zones[0]!.name).toBe('Costs ${PRICE}');
  });
});

describe('files', () => {
  it('a missing file names the path', async () => {
    const missing = join(dir, 'nope.yaml');
    const err = await rejection(() => loadEdgeConfig(missing));
    expect(err.code).toBe('SP_ERR_CONFIG');
    expect(err.details).toEqual([{ field: missing, reason: 'config file not found' }]);
  });

  it('a YAML syntax error gives line and column', async () => {
    const p = file('broken.yaml', 'gateway:\n  id: gw-1\n  site: [a, b\nzones: []\n');
    const err = await rejection(() => loadEdgeConfig(p));
    expect(err.code).toBe('SP_ERR_CONFIG');
    expect(err.details[0]!.field).toMatch(/^broken\.yaml:\d+:\d+$/);
    expect(err.details[0]!.reason).toMatch(/^YAML syntax error/);
  });

  it('a duplicated key is an error, not a silent overwrite', async () => {
    const p = file('dup.yaml', 'gateway: { id: a, site: b }\ngateway: { id: c, site: d }\n');
    const err = await rejection(() => loadEdgeConfig(p));
    expect(err.details[0]!.field).toBe('dup.yaml:2:1');
  });

  it('reads JSON files, and reports JSON syntax errors with line and column', async () => {
    const good = file('gw.json', JSON.stringify(minimal(), null, 2));
    expect((await loadEdgeConfig(good, {})).gateway.id).toBe('gw-1');
    const bad = file('bad.json', '{\n  "gateway": {,\n}');
    const err = await rejection(() => loadEdgeConfig(bad));
    expect(err.details[0]!.field).toBe('bad.json:2:15');
  });

  it('an empty file is reported, not crashed on', async () => {
    const err = await rejection(() => loadEdgeConfig(file('empty.yaml', '# nothing\n')));
    expect(err.details).toEqual([{ field: '(root)', reason: 'config is empty' }]);
  });
});

describe('field and cross-reference mistakes together', () => {
  it('lists an invalid URL and a point naming an unknown zone in one report', async () => {
    const { parseEdgeConfig } = await import('../../../edge/config.ts');
    const cfg = {
      gateway: { id: 'gw', site: 's' },
      deviceBroker: { url: 'http://nope' },
      uplink: { url: 'mqtt://127.0.0.1:1' },
      zones: [{ id: 'chiller', name: 'Chiller', profile: { high: 8 } }],
      devices: [{ id: 'p', protocol: 'mqtt-json', topic: 't', points: [{ sensor: 's1', zone: 'freezer', kind: 'temperature' }] }],
    };
    let fields: string[] = [];
    try {
      parseEdgeConfig(cfg, {});
    } catch (e) {
      fields = (e as { details: { field: string }[] }).details.map((d) => d.field);
    }
    expect(fields).toEqual(expect.arrayContaining(['deviceBroker.url', 'devices.0.points.0.zone']));
    expect(fields).toHaveLength(2);
  });
});
