import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, PUBLIC, ROLES } from '../../../cloud/auth/permissions.ts';
import { apiRoutesOf } from '../../../cloud/auth/guard.ts';
import { createApiToken, hashToken } from '../../../cloud/auth/tokens.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// The permission matrix, route by route: every /api route the cloud serves is in the matrix;
// without a token it answers 401, with a role not listed 403, with a listed role it lets the
// request through (which then may be a 400/404 for the dummy input — but never 401/403).

let tdb: TestDatabase;
let f: ApiFixture;

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
});
afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
});

const fill = (route: string) => route.replace(/:id\b/g, '999999').replace(/:sku\b|:item\b/g, 'NO-SUCH-ITEM').replace(/:channel\b/g, 'web');

describe(`permission matrix (${engineLabel})`, () => {
  it('covers every /api route the cloud serves', () => {
    const served = apiRoutesOf(f.app).map((r) => `${r.method} ${r.url}`);
    expect(served.length).toBeGreaterThan(40);
    expect(served.filter((k) => !(k in PERMISSIONS))).toEqual([]);
    // partner master data is served and walked below like every other route
    for (const k of ['GET /api/customers', 'POST /api/customers', 'GET /api/suppliers', 'POST /api/suppliers']) {
      expect(served, k).toContain(k);
      expect(PERMISSIONS[k], k).toBeTruthy();
    }
  });

  it('401 without a token, 403 for roles not listed, through for roles listed — route by route', async () => {
    const served = new Set(apiRoutesOf(f.app).map((r) => `${r.method} ${r.url}`));
    const failures: string[] = [];
    let checked = 0;
    for (const [key, rule] of Object.entries(PERMISSIONS)) {
      if (!served.has(key)) continue;   // demo-only routes are mounted by bin/demo-stack.ts
      const [method, route] = key.split(' ') as [string, string];
      const url = fill(route);
      const body = method === 'GET' ? undefined : {};
      if (rule === PUBLIC) continue;
      const anon = await f.as(null, method, url, body);
      if (anon.status !== 401 || anon.json.code !== 'SP_ERR_UNAUTHENTICATED') failures.push(`${key} without token → ${anon.status}`);
      for (const role of ROLES) {
        const allowed = role === 'admin' || rule.includes(role);
        const r = await f.as(role, method, url, body);
        checked++;
        if (allowed && (r.status === 401 || r.status === 403)) failures.push(`${key} as ${role} → ${r.status} (should pass)`);
        if (!allowed && (r.status !== 403 || r.json.code !== 'SP_ERR_FORBIDDEN')) failures.push(`${key} as ${role} → ${r.status} (should be 403)`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(300);
  });

  it('health, metrics and docs stay open; a wrong or revoked token is a 401', async () => {
    for (const url of ['/api/health', '/metrics', '/docs/json']) expect((await f.app.inject({ url })).statusCode, url).toBe(200);
    const bad = await f.app.inject({ url: '/api/zones', headers: { authorization: 'Bearer sp_not-a-token' } });
    expect(bad.statusCode).toBe(401);
    const { token, info } = await createApiToken(tdb.db, { role: 'viewer', name: 'temp' });
    expect((await f.app.inject({ url: '/api/zones', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    expect((await f.as('admin', 'POST', `/api/tokens/${info.id}/revoke`)).status).toBe(200);
    expect((await f.app.inject({ url: '/api/zones', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
  });

  it('tokens are stored hashed; the secret is shown once', async () => {
    const created = await f.as('admin', 'POST', '/api/tokens', { role: 'qa', name: 'inspector' });
    expect(created.status).toBe(201);
    expect(created.json.token).toMatch(/^sp_/);
    const rows = await tdb.db.query<Record<string, string>>('SELECT * FROM api_tokens WHERE id = $1', [created.json.id]);
    expect(JSON.stringify(rows)).not.toContain(created.json.token);
    expect(rows[0]!.token_hash).toBe(hashToken(created.json.token));
    expect(JSON.stringify((await f.as('admin', 'GET', '/api/tokens')).json)).not.toContain(created.json.token);
    const audit = await f.as('admin', 'GET', '/api/audit?entity=api_token');
    expect(JSON.stringify(audit.json)).not.toContain(created.json.token);
  });

  it('sales sees stock but never cost; finance and purchasing see cost', async () => {
    await seedItem(f, { sku: 'COST-1', costMinor: 1234 });
    const sales = await f.as('sales', 'GET', '/api/items/COST-1');
    expect(sales.status).toBe(200);
    expect(sales.json).not.toHaveProperty('costMinor');
    expect(JSON.stringify((await f.as('sales', 'GET', '/api/items')).json)).not.toContain('costMinor');
    expect((await f.as('sales', 'GET', '/api/stock?item=COST-1')).status).toBe(200);
    expect((await f.as('finance', 'GET', '/api/items/COST-1')).json.costMinor).toBe(1234);
    expect((await f.as('purchasing', 'GET', '/api/items/COST-1')).json.costMinor).toBe(1234);
  });

  it('every write lands in the append-only audit log with who, what, before and after', async () => {
    await f.as('warehouse', 'POST', '/api/locations', { id: 'aud-site', kind: 'site', name: 'Audit site' });
    await seedItem(f, { sku: 'AUD-1', lotTracked: true });
    const lot = await f.as('warehouse', 'POST', '/api/lots', { item: 'AUD-1', code: 'X1' });
    await f.as('qa', 'POST', `/api/lots/${lot.json.id}/status`, { status: 'quarantined', reason: 'smell' });
    const log = (await f.as('finance', 'GET', `/api/audit?entity=lot&entityId=${lot.json.id}`)).json;
    expect(log.map((e: any) => [e.actor, e.role, e.route])).toEqual([
      ['test-qa', 'qa', '/api/lots/:id/status'], ['test-warehouse', 'warehouse', '/api/lots'],
    ]);
    expect(log[0].before.status).toBe('available');
    expect(log[0].after.status).toBe('quarantined');
    expect(log[0].request).toEqual({ status: 'quarantined', reason: 'smell' });
    await expect(tdb.db.query('UPDATE audit_log SET actor = $1', ['someone else'])).rejects.toThrow(/append-only/);
    await expect(tdb.db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
  });
});
