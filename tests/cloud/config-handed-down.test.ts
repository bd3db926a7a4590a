import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../cloud/api/server.ts';
import { createCloudMetrics } from '../../cloud/metrics.ts';
import { createApiToken } from '../../cloud/auth/tokens.ts';
import { cloudConfigFromEnv } from '../../cloud/config.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../helpers/db.ts';

// A value set in the environment reaches the rule that uses it through the config handed down
// (not through a module-level read): here the purchase-order approval threshold, set low, makes
// a small order need the second approval that the default (500000) would not ask for.

let tdb: TestDatabase;
let app: FastifyInstance;
let token: string;

const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
  const res = await app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, json: res.json() };
};

beforeAll(async () => {
  tdb = await testDatabase();
  const config = cloudConfigFromEnv({ MQTT_URL: 'mqtt://127.0.0.1:1', STOCKPULSE_PO_APPROVAL_THRESHOLD_MINOR: '1000' });
  app = await buildApi({ db: tdb.db, log: pino({ level: 'silent' }), metrics: createCloudMetrics(), mqttConnected: () => true, settings: config });
  await app.ready();
  token = (await createApiToken(tdb.db, { role: 'admin', name: 'config-test' })).token;
  expect((await call('POST', '/api/items', { sku: 'FLOUR', name: 'Flour', unit: 'pcs' })).status).toBe(201);
  expect((await call('POST', '/api/suppliers', { id: 'mill', name: 'Mill' })).status).toBe(201);
});
afterAll(async () => {
  await app?.close();
  await tdb?.cleanup();
});

describe(`cloud config handed down (${engineLabel})`, () => {
  it('STOCKPULSE_PO_APPROVAL_THRESHOLD_MINOR from the config decides who must approve', async () => {
    const submit = async (qty: number) => {
      const po = (await call('POST', '/api/purchase-orders', { supplier: 'mill', lines: [{ item: 'FLOUR', qty, priceMinor: 100 }] })).json;
      const r = await call('POST', `/api/purchase-orders/${po.id}/submit`, {});
      expect(r.status).toBe(200);
      return r.json.data.requiredApprovals;
    };
    expect(await submit(5)).toEqual(['finance']);                 // 500 ≤ 1000
    expect(await submit(20)).toEqual(['finance', 'warehouse']);   // 2000 > 1000 (the default 500000 would ask finance only)
  });
});
