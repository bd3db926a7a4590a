import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScenario, type ScenarioHandle } from '../../simulators/scenario-runner.ts';
import { startControlServer, type ControlServer } from '../../simulators/control-server.ts';
import { startBroker, type TestBroker } from '../helpers/simulators.ts';

// The fault control API over real HTTP on loopback.

let broker: TestBroker;
let sim: ScenarioHandle;
let api: ControlServer;

beforeAll(async () => {
  broker = await startBroker();
  sim = await startScenario('bakery', { mqttUrl: broker.url, modbusPort: 0, publishMs: 1000, seed: 1 });
  api = await startControlServer(sim, { port: 0 });
});

afterAll(async () => {
  await api?.close();
  await sim?.stop();
  await broker?.close();
});

function post(body: string) {
  return fetch(`${api.url}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

describe('control API', () => {
  it('GET /faults shows zones, devices with their values, and no faults', async () => {
    const res = await fetch(`${api.url}/faults`);
    expect(res.status).toBe(200);
    const s = await res.json();
    expect(s.scenario).toBe('bakery');
    expect(s.zones.map((z: { id: string }) => z.id)).toEqual(['chiller', 'freezer']);
    expect(s.devices.map((d: { id: string }) => d.id)).toEqual(['chiller-probe-1', 'chiller-probe-2', 'chiller-door', 'freezer-ctrl']);
    expect(s.devices[0].last).toMatchObject({ temperature: expect.any(Number), battery: expect.any(Number) });
    expect(s.faults).toEqual([]);
  });

  it('POST /faults switches a fault on and off', async () => {
    const on = await post(JSON.stringify({ target: 'chiller', fault: 'compressor_failure', active: true }));
    expect(on.status).toBe(200);
    const body = await on.json();
    expect(body.changes).toEqual([{ target: 'chiller', fault: 'compressor_failure', active: true }]);
    expect(body.status.faults).toEqual([{ target: 'chiller', fault: 'compressor_failure' }]);
    const off = await post(JSON.stringify({ target: 'chiller', fault: 'compressor_failure', active: false }));
    expect((await off.json()).status.faults).toEqual([]);
  });

  it.each([
    ['an unknown fault', { target: 'chiller', fault: 'meltdown', active: true }, 'fault'],
    ['a missing target', { fault: 'dropout', active: true }, 'target'],
    ['an unknown target', { target: 'garage', fault: 'dropout', active: true }, 'target'],
    ['active not a boolean', { target: 'chiller', fault: 'dropout', active: 'yes' }, 'active'],
  ])('rejects %s with a coded 400 naming the field', async (_what, body, field) => {
    const res = await post(JSON.stringify(body));
    expect(res.status).toBe(400);
    const err = await res.json();
    expect(err.code).toBe('SP_ERR_VALIDATION');
    expect(err.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('rejects a body that is not JSON with a coded 400', async () => {
    const res = await post('{"target": "chiller",');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'SP_ERR_VALIDATION', details: [{ field: '(body)' }] });
  });

  it('answers 404 with a code on other paths', async () => {
    const res = await fetch(`${api.url}/nope`);
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe('SP_ERR_NOT_FOUND');
  });
});
