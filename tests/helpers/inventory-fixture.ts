import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApi } from '../../cloud/api/server.ts';
import { createCloudMetrics } from '../../cloud/metrics.ts';
import { createApiToken } from '../../cloud/auth/tokens.ts';
import { ROLES, type Role } from '../../cloud/auth/permissions.ts';
import type { Db } from '../../cloud/db/engine.ts';

// The cloud API on a test database (no broker needed) with one token per role, and a small
// caller that speaks as a role: what the inventory and auth tests share.

export interface ApiFixture {
  app: FastifyInstance;
  tokens: Record<Role, string>;
  as(role: Role | null, method: string, url: string, body?: unknown): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

export async function apiFixture(db: Db): Promise<ApiFixture> {
  const app = await buildApi({ db, log: pino({ level: 'silent' }), metrics: createCloudMetrics(), mqttConnected: () => true });
  await app.ready();
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) tokens[role] = (await createApiToken(db, { role, name: `test-${role}` })).token;
  const as: ApiFixture['as'] = async (role, method, url, body) => {
    const res = await app.inject({
      method: method as 'GET', url,
      headers: role ? { authorization: `Bearer ${tokens[role]}` } : {},
      ...(body === undefined ? {} : { payload: body as object }),
    });
    let json: any = null;
    try { json = res.json(); } catch { json = res.body; }
    return { status: res.statusCode, json };
  };
  return { app, tokens, as, close: () => app.close() };
}

/** a site with a chiller zone and two bins, and a dry store */
export async function seedLocations(f: ApiFixture): Promise<void> {
  for (const l of [
    { id: 'site-1', kind: 'site', name: 'Bakery' },
    { id: 'chiller', kind: 'zone', parent: 'site-1', name: 'Chiller', iotZone: 'chiller', tempLow: 2, tempHigh: 8 },
    { id: 'bin-a', kind: 'bin', parent: 'chiller', name: 'Bin A' },
    { id: 'bin-b', kind: 'bin', parent: 'chiller', name: 'Bin B' },
    { id: 'dry', kind: 'zone', parent: 'site-1', name: 'Dry store' },
  ]) {
    const r = await f.as('warehouse', 'POST', '/api/locations', l);
    if (r.status !== 201) throw new Error(`seed location ${l.id}: ${r.status} ${JSON.stringify(r.json)}`);
  }
}

export async function seedItem(f: ApiFixture, item: Record<string, unknown>): Promise<void> {
  const r = await f.as('purchasing', 'POST', '/api/items', { name: String(item.sku), unit: 'pcs', ...item });
  if (r.status !== 201) throw new Error(`seed item: ${r.status} ${JSON.stringify(r.json)}`);
}
