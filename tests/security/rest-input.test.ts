import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { engineLabel, testDatabase, type TestDatabase } from '../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../helpers/inventory-fixture.ts';
import { startDemoStack, type DemoStack } from '../../bin/demo-stack.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Issue #11 item 7, replayed against the real API (fastify inject, real database): every bad
// input a caller can send is a 400 SP_ERR_VALIDATION naming the field, never a 500, and nothing
// is stored; a quantity at the documented limit reads back exactly; the demo's helper routes
// need a token like every other /api route.

let tdb: TestDatabase;
let f: ApiFixture;

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  await seedLocations(f);
  await seedItem(f, { sku: 'FLOUR' });
});
afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
});

const count = async (table: string) => Number((await tdb.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);

/** the answer is a 400 SP_ERR_VALIDATION whose details name `field` */
function expect400(r: { status: number; json: any }, field: string) {
  expect(r.status, JSON.stringify(r.json)).toBe(400);
  expect(r.json.code).toBe('SP_ERR_VALIDATION');
  expect(r.json.details.map((d: { field: string }) => d.field)).toContain(field);
}

const receipt = (extra: Record<string, unknown>) => ({ kind: 'receipt', item: 'FLOUR', to: 'bin-a', qty: 1, ...extra });

describe(`REST bad input is a 400 naming the field (${engineLabel})`, () => {
  it('a NUL in any string: movement note, item name, token name, reservation ref, even a query', async () => {
    const before = { movements: await count('movements'), items: await count('items'), tokens: await count('api_tokens'), holds: await count('reservations') };
    await f.as('warehouse', 'POST', '/api/movements', receipt({ qty: 5, idempotencyKey: 'stock-for-hold' }));
    before.movements += 1;
    expect400(await f.as('warehouse', 'POST', '/api/movements', receipt({ note: 'forklift\u0000' })), 'body.note');
    expect400(await f.as('purchasing', 'POST', '/api/items', { sku: 'NUL-1', name: 'rye\u0000flour', unit: 'kg' }), 'body.name');
    expect400(await f.as('admin', 'POST', '/api/tokens', { role: 'viewer', name: 'tablet\u0000' }), 'body.name');
    expect400(await f.as('sales', 'POST', '/api/reservations', { item: 'FLOUR', qty: 1, ref: 'order\u00001' }), 'body.ref');
    // other control characters and lone surrogates are refused the same way
    expect400(await f.as('warehouse', 'POST', '/api/movements', receipt({ note: 'bell\u0007' })), 'body.note');
    expect400(await f.as('purchasing', 'POST', '/api/items', { sku: 'SUR-1', name: 'half \ud800 pair', unit: 'kg' }), 'body.name');
    expect400(await f.as('finance', 'GET', '/api/audit?entity=item%00'), 'querystring.entity');
    // an unknown field deep in a passthrough body is no way around it
    expect400(await f.as('purchasing', 'POST', '/api/purchase-orders/1/submit', { note: 'ok', extra: { deep: ['x\u0000'] } }), 'body.extra.deep.0');
    // a note may span lines; a name may not
    expect((await f.as('warehouse', 'POST', '/api/movements', receipt({ note: 'line one\nline two\ttab' }))).status).toBe(201);
    before.movements += 1;
    expect400(await f.as('purchasing', 'POST', '/api/items', { sku: 'NL-1', name: 'two\nlines', unit: 'kg' }), 'body.name');
    expect({ movements: await count('movements'), items: await count('items'), tokens: await count('api_tokens'), holds: await count('reservations') }).toEqual(before);
  });

  it('numbers beyond what the column holds: safetyStock, pieceWeight, pool qty, quantities, integers', async () => {
    const items = await count('items');
    expect400(await f.as('purchasing', 'POST', '/api/items', { sku: 'BIG-1', name: 'x', unit: 'pcs', safetyStock: 1e300 }), 'body.safetyStock');
    expect400(await f.as('purchasing', 'POST', '/api/items', { sku: 'BIG-2', name: 'x', unit: 'pcs', pieceWeight: 1e300 }), 'body.pieceWeight');
    expect400(await f.as('purchasing', 'POST', '/api/items', { sku: 'BIG-3', name: 'x', unit: 'pcs', shelfLifeDays: 2 ** 40 }), 'body.shelfLifeDays');
    expect400(await f.as('purchasing', 'POST', '/api/items', { sku: 'BIG-4', name: 'x', unit: 'pcs', costMinor: 1e300 }), 'body.costMinor');
    expect(await count('items')).toBe(items);
    expect400(await f.as('sales', 'PUT', '/api/channel-pools/FLOUR/web', { qty: 1e300 }), 'body.qty');
    expect(await count('channel_pools')).toBe(0);
    const movements = await count('movements');
    expect400(await f.as('warehouse', 'POST', '/api/movements', receipt({ qty: 1e300 })), 'body.qty');
    expect400(await f.as('warehouse', 'POST', '/api/movements', receipt({ qty: 1_000_000_000_000 })), 'body.qty');
    expect400(await f.as('warehouse', 'POST', '/api/movements', receipt({ qty: 1.0000001 })), 'body.qty');
    // beyond what a double carries exactly: refused rather than stored as another number
    expect400(await f.as('warehouse', 'POST', '/api/movements', receipt({ qty: 999999999999.123456 })), 'body.qty');
    expect400(await f.as('warehouse', 'GET', '/api/lots/99999999999999999999/history'), 'params.id');
    expect(await count('movements')).toBe(movements);
  });

  it('dates beyond a sane horizon and ids outside the documented character set', async () => {
    const movements = await count('movements');
    expect400(await f.as('warehouse', 'POST', '/api/movements', receipt({ at: '9999-12-31T00:00:00Z' })), 'body.at');
    expect400(await f.as('warehouse', 'POST', '/api/movements', receipt({ at: new Date(Date.now() + 2 * 86_400_000).toISOString() })), 'body.at');
    expect400(await f.as('warehouse', 'POST', '/api/movements', receipt({ at: '1970-01-01T00:00:00Z' })), 'body.at');
    // an hour ahead (a device clock a little fast) is fine
    expect((await f.as('warehouse', 'POST', '/api/movements', receipt({ at: new Date(Date.now() + 3_600_000).toISOString() }))).status).toBe(201);
    expect(await count('movements')).toBe(movements + 1);
    const items = await count('items');
    for (const sku of ['../../etc', 'a/b', ' ', '-lead', 'x'.repeat(65), 'sp ace']) {
      expect400(await f.as('purchasing', 'POST', '/api/items', { sku, name: 'x', unit: 'pcs' }), 'body.sku');
    }
    expect400(await f.as('warehouse', 'POST', '/api/locations', { id: '../bin', kind: 'bin', parent: 'chiller', name: 'x' }), 'body.id');
    expect400(await f.as('purchasing', 'POST', '/api/items', { sku: 'DATE-1', name: 'x', unit: 'pcs', currency: 'eu' }), 'body.currency');
    expect(await count('items')).toBe(items);
    // what the demo and the tests use stays valid
    expect((await f.as('purchasing', 'POST', '/api/items', { sku: 'SKU-BUTTER_250g.v2:x', name: 'Butter', unit: 'pcs', lotTracked: true })).status).toBe(201);
    expect((await f.as('warehouse', 'POST', '/api/lots', { item: 'SKU-BUTTER_250g.v2:x', code: 'L24/05-A', expiresOn: '2030-02-28' })).status).toBe(201);
    expect400(await f.as('warehouse', 'POST', '/api/lots', { item: 'SKU-BUTTER_250g.v2:x', code: 'L2', expiresOn: '2030-02-30' }), 'body.expiresOn');
  });

  it('a stock of exactly 999999999999 reads 999999999999 (no float noise on the way in or out)', async () => {
    await seedItem(f, { sku: 'LIMIT' });
    const posted = await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'LIMIT', to: 'bin-b', qty: 999999999999 });
    expect(posted.status).toBe(201);
    expect(posted.json.qty).toBe(999999999999);
    const stock = (await f.as('warehouse', 'GET', '/api/stock?item=LIMIT')).json[0];
    expect([stock.onHand, stock.available]).toEqual([999999999999, 999999999999]);
    const [row] = await tdb.db.query<{ q: string }>(`SELECT qty::text AS q FROM movements WHERE item = 'LIMIT'`);
    expect(row!.q).toBe('999999999999.000000');
    // 15 significant digits with decimals are kept as sent
    await seedItem(f, { sku: 'FINE' });
    expect((await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'FINE', to: 'bin-b', qty: 123456789.123456 })).json.qty).toBe(123456789.123456);
    expect((await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'FINE', to: 'bin-b', qty: 0.1 + 0.2 })).json.qty).toBe(0.3);
    const [fine] = await tdb.db.query<{ q: string }>(`SELECT sum(qty)::text AS q FROM movements WHERE item = 'FINE'`);
    expect(fine!.q).toBe('123456789.423456');
    expect((await f.as('warehouse', 'GET', '/api/stock?item=FINE')).json[0].onHand).toBe(123456789.423456);
  });

  it('a data error the schemas let through is still a coded 400, not a 500 (defence in depth)', async () => {
    const { installErrorHandler } = await import('../../cloud/api/errors.ts');
    const Fastify = (await import('fastify')).default;
    const app = Fastify();
    installErrorHandler(app);
    app.get('/overflow', async () => tdb.db.query(`SELECT 1e300::numeric(20,6)`));
    app.get('/bug', async () => { throw new TypeError('a real bug'); });
    const overflow = await app.inject({ url: '/overflow' });
    expect(overflow.statusCode).toBe(400);
    expect(overflow.json()).toMatchObject({ code: 'SP_ERR_VALIDATION', details: [{ field: 'request', reason: expect.stringContaining('22003') }] });
    // a real internal error stays a 500
    expect((await app.inject({ url: '/bug' })).statusCode).toBe(500);
    await app.close();
  });
});

describe('the demo helper endpoints need a token', () => {
  let stack: DemoStack;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sp-sec-demo-'));
    stack = await startDemoStack({ log: pino({ level: 'silent' }), httpPort: 0, mqttPort: 0, dataDir, db: tdb.db, publishMs: 1000, inbox: false, stockActivityMs: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('401 without a token on every demo route; the admin token passes', async () => {
    const routes: [string, string, unknown?][] = [
      ['POST', '/api/demo/webhook-inbox', { transition: 'raised' }], ['GET', '/api/demo/webhook-inbox'],
      ['GET', '/api/sim'], ['POST', '/api/sim/faults', { target: 'chiller', fault: 'door_open', active: false }],
    ];
    for (const [method, path, body] of routes) {
      const res = await fetch(`${stack.url}${path}`, { method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect((await res.json()).code).toBe('SP_ERR_UNAUTHENTICATED');
    }
    expect(stack.inbox).toHaveLength(0);
    const ok = await fetch(`${stack.url}/api/demo/webhook-inbox`, {
      method: 'POST', body: JSON.stringify({ transition: 'raised' }), headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.token}` },
    });
    expect(ok.status).toBe(200);
    expect(stack.inbox).toHaveLength(1);
  });
});
