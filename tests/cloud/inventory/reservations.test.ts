import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../../cloud/db/engine.ts';
import { sweepExpiredReservations } from '../../../cloud/inventory/reservations.ts';
import { verifyLedger } from '../../../cloud/inventory/verify.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// Reservations through the real API: 200 concurrent requests for 50 units never oversell,
// channel pools protect their quota, a repeated idempotency key returns the first result,
// overdue holds go back to the pool, committed ones stay.

let tdb: TestDatabase;
let db: Db;
let f: ApiFixture;

beforeAll(async () => {
  tdb = await testDatabase();
  // on PostgreSQL a pool wide enough for real concurrency on the hot row
  db = tdb.url ? await openDb({ url: tdb.url, poolSize: 20 }) : tdb.db;
  f = await apiFixture(db);
  await seedLocations(f);
});

afterAll(async () => {
  await f?.close();
  if (db && db !== tdb.db) await db.close();
  await tdb?.cleanup();
});

async function stockUp(sku: string, qty: number, extra: Record<string, unknown> = {}) {
  await seedItem(f, { sku, ...extra });
  const r = await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: sku, to: 'bin-a', qty });
  expect(r.status).toBe(201);
}

const stockOf = async (sku: string) => (await f.as('viewer', 'GET', `/api/stock?item=${sku}`)).json[0];

describe(`reservations (${engineLabel})`, () => {
  it('200 concurrent requests for 50 units: exactly 50 reserved, the rest a clear 409', async () => {
    await stockUp('PHONE', 50);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      f.as('sales', 'POST', '/api/reservations', { item: 'PHONE', qty: 1, channel: 'web', idempotencyKey: `order-${i}` })));
    const ok = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    expect(ok).toHaveLength(50);
    expect(refused).toHaveLength(150);
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.json.code).toBe('SP_ERR_CONFLICT');
      expect(r.json.details[0].field).toBe('body.qty');
      expect(r.json.details[0].reason).toMatch(/^insufficient stock: 0 of PHONE available/);
    }
    const [held] = await db.query<{ n: string }>(`SELECT sum(qty) AS n FROM reservations WHERE item = 'PHONE' AND status = 'active'`);
    expect(Number(held!.n)).toBe(50);
    expect(await stockOf('PHONE')).toMatchObject({ onHand: 50, reserved: 50, available: 0 });
    expect((await verifyLedger(db)).differences).toEqual([]);
  });

  it('a channel pool keeps its quota from other channels and gives it to its own', async () => {
    await stockUp('CAKE', 30);
    expect((await f.as('sales', 'PUT', '/api/channel-pools/CAKE/vip', { qty: 10 })).status).toBe(200);
    expect(await stockOf('CAKE')).toMatchObject({ onHand: 30, protected: 10, available: 20 });
    const tooMuch = await f.as('sales', 'POST', '/api/reservations', { item: 'CAKE', qty: 21, channel: 'web' });
    expect(tooMuch.status).toBe(409);
    expect((await f.as('sales', 'POST', '/api/reservations', { item: 'CAKE', qty: 20, channel: 'web' })).status).toBe(201);
    // VIP still gets its 10, drawn from its pool
    const vip = await f.as('sales', 'POST', '/api/reservations', { item: 'CAKE', qty: 10, channel: 'vip' });
    expect(vip.status).toBe(201);
    expect(vip.json.fromPool).toBe(10);
    expect(await stockOf('CAKE')).toMatchObject({ reserved: 30, protected: 0, available: 0 });
    // released VIP stock goes back to the VIP pool, not to everyone
    expect((await f.as('sales', 'POST', `/api/reservations/${vip.json.id}/release`)).json.status).toBe('released');
    expect(await stockOf('CAKE')).toMatchObject({ reserved: 20, protected: 10, available: 0 });
    expect((await f.as('sales', 'POST', '/api/reservations', { item: 'CAKE', qty: 1, channel: 'web' })).status).toBe(409);
    expect((await verifyLedger(db)).differences).toEqual([]);
  });

  it('the same idempotency key twice returns the first result and holds once', async () => {
    await stockUp('BREAD', 5);
    const first = await f.as('sales', 'POST', '/api/reservations', { item: 'BREAD', qty: 2, idempotencyKey: 'cart-77' });
    const again = await f.as('sales', 'POST', '/api/reservations', { item: 'BREAD', qty: 2, idempotencyKey: 'cart-77' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ id: first.json.id, qty: 2, duplicate: true });
    expect(await stockOf('BREAD')).toMatchObject({ reserved: 2, available: 3 });
  });

  it('overdue holds expire back to the pool; committed (paid) ones stay', async () => {
    await stockUp('MILK', 10);
    const unpaid = await f.as('sales', 'POST', '/api/reservations', { item: 'MILK', qty: 4, ttl: 60 });
    const paid = await f.as('sales', 'POST', '/api/reservations', { item: 'MILK', qty: 3, ttl: 60 });
    expect((await f.as('finance', 'POST', `/api/reservations/${paid.json.id}/commit`)).json).toMatchObject({ status: 'committed', expiresAt: null });
    expect(await stockOf('MILK')).toMatchObject({ reserved: 7, available: 3 });
    // an hour passes for both holds (reservations are state, not ledger: moving the clock is fair)
    await db.query(`UPDATE reservations SET expires_at = now() - interval '1 second' WHERE item = 'MILK' AND status = 'active'`);
    expect(await sweepExpiredReservations(db)).toBe(1);
    expect(await sweepExpiredReservations(db)).toBe(0);
    expect(await stockOf('MILK')).toMatchObject({ reserved: 3, available: 7 });
    const expired = await f.as('sales', 'POST', `/api/reservations/${unpaid.json.id}/commit`);
    expect(expired.status).toBe(409);
    expect(expired.json.details[0].reason).toMatch(/expired/);
    expect((await verifyLedger(db)).differences).toEqual([]);
  });

  it('quarantined and expired lots are not available to promise', async () => {
    await seedItem(f, { sku: 'FISH', lotTracked: true });
    await f.as('warehouse', 'POST', '/api/lots', { item: 'FISH', code: 'F-OLD', expiresOn: '2020-01-01' });
    await f.as('warehouse', 'POST', '/api/lots', { item: 'FISH', code: 'F-NEW', expiresOn: '2099-01-01' });
    const hold = await f.as('warehouse', 'POST', '/api/lots', { item: 'FISH', code: 'F-HOLD', expiresOn: '2099-01-01' });
    for (const lot of ['F-OLD', 'F-NEW', 'F-HOLD']) {
      expect((await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'FISH', lot, to: 'bin-b', qty: 5 })).status).toBe(201);
    }
    const q = await f.as('qa', 'POST', `/api/lots/${hold.json.id}/status`, { status: 'quarantined', reason: 'chiller excursion' });
    expect(q.json.status).toBe('quarantined');
    expect(await stockOf('FISH')).toMatchObject({ onHand: 15, quarantined: 5, expired: 5, available: 5 });
    const history = await f.as('viewer', 'GET', `/api/lots/${hold.json.id}/history`);
    expect(history.json.map((h: any) => [h.from, h.to, h.actor, h.reason])).toEqual([
      [null, 'available', 'test-warehouse', 'created'], ['available', 'quarantined', 'test-qa', 'chiller excursion'],
    ]);
    expect((await f.as('sales', 'POST', '/api/reservations', { item: 'FISH', qty: 6 })).status).toBe(409);
  });
});
