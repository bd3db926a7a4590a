import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../../cloud/inventory/verify.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// Document workflows through the API, each step by the role allowed to take it: purchase order
// with amount-based approval → goods receipt (lots + receipt movements) → sales order with FEFO
// picking → shipment → customer return → stock count with approved corrections. Every step
// pushes a task to the next role.

let tdb: TestDatabase;
let f: ApiFixture;

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  await seedLocations(f);
  await seedItem(f, { sku: 'YOG', name: 'Yoghurt', lotTracked: true, costMinor: 80 });
  await f.as('purchasing', 'POST', '/api/suppliers', { id: 'dairy', name: 'Dairy Co' });
  await f.as('sales', 'POST', '/api/customers', { id: 'shop', name: 'Corner shop' });
});
afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
});

const tasks = async (role: string) => (await f.as(role as never, 'GET', '/api/tasks')).json.map((t: any) => `${t.action}:${t.documentId}`);

describe(`documents and workflow (${engineLabel})`, () => {
  it('purchase order: a large order needs finance and operations; receipt creates lots and movements', async () => {
    const po = (await f.as('purchasing', 'POST', '/api/purchase-orders', { supplier: 'dairy', lines: [{ item: 'YOG', qty: 10000, priceMinor: 80 }] })).json;
    expect(po).toMatchObject({ status: 'draft', amountMinor: 800000 });
    expect(await tasks('purchasing')).toContain(`submit:${po.id}`);
    expect((await f.as('finance', 'POST', `/api/purchase-orders/${po.id}/submit`, {})).status).toBe(403);
    expect((await f.as('purchasing', 'POST', `/api/purchase-orders/${po.id}/submit`, {})).json.status).toBe('submitted');
    expect(await tasks('finance')).toContain(`approve:${po.id}`);
    expect(await tasks('warehouse')).toContain(`approve:${po.id}`);
    const early = await f.as('warehouse', 'POST', `/api/purchase-orders/${po.id}/receive`, { location: 'bin-a', lines: [{ item: 'YOG', qty: 1, lot: 'Y1' }] });
    expect(early.status).toBe(409);
    expect((await f.as('finance', 'POST', `/api/purchase-orders/${po.id}/approve`, {})).json.status).toBe('submitted');
    expect((await f.as('finance', 'POST', `/api/purchase-orders/${po.id}/approve`, {})).status).toBe(403);   // one vote per role
    expect((await f.as('warehouse', 'POST', `/api/purchase-orders/${po.id}/approve`, {})).json.status).toBe('approved');
    expect(await tasks('warehouse')).toEqual([`receive:${po.id}`]);
    // the warehouse sees the order but not its prices
    const seen = (await f.as('warehouse', 'GET', `/api/purchase-orders/${po.id}`)).json;
    expect(seen.amountMinor).toBeNull();
    expect(seen.lines[0]).not.toHaveProperty('priceMinor');
    expect(seen.events.map((e: any) => `${e.action}:${e.role}`)).toEqual(['create:purchasing', 'submit:purchasing', 'approve:finance', 'approve:warehouse']);

    const receipt = { location: 'bin-a', idempotencyKey: 'gr-1', lines: [
      { item: 'YOG', qty: 4000, lot: 'Y-LATE', expiresOn: '2099-03-01' },
      { item: 'YOG', qty: 2000, lot: 'Y-SOON', expiresOn: '2099-01-01' },
    ] };
    expect((await f.as('warehouse', 'POST', `/api/purchase-orders/${po.id}/receive`, receipt)).json.status).toBe('partially_received');
    expect((await f.as('warehouse', 'POST', `/api/purchase-orders/${po.id}/receive`, receipt)).json.status).toBe('partially_received');  // same key: no-op
    const rest = await f.as('warehouse', 'POST', `/api/purchase-orders/${po.id}/receive`, { location: 'bin-b', lines: [{ item: 'YOG', qty: 4000, lot: 'Y-HOLD', expiresOn: '2099-02-01', quarantine: true }] });
    expect(rest.json.status).toBe('received');
    expect(await tasks('purchasing')).toContain(`close:${po.id}`);
    expect(await tasks('finance')).toContain(`pay:${po.id}`);
    expect((await f.as('qa', 'GET', '/api/tasks')).json[0].action).toBe('inspect_lot');
    const stock = (await f.as('sales', 'GET', '/api/stock?item=YOG')).json[0];
    expect(stock).toMatchObject({ onHand: 10000, quarantined: 4000, available: 6000 });
    expect((await f.as('purchasing', 'POST', `/api/purchase-orders/${po.id}/close`, {})).json.status).toBe('closed');
  });

  it('sales order: reserve all lines, pick first-expiring lots (FEFO), ship, then take a return', async () => {
    const so = (await f.as('sales', 'POST', '/api/sales-orders', { customer: 'shop', lines: [{ item: 'YOG', qty: 2500, priceMinor: 150 }] })).json;
    expect(so.status).toBe('confirmed');
    expect((await f.as('sales', 'POST', `/api/sales-orders/${so.id}/reserve`, {})).json.status).toBe('reserved');
    expect((await f.as('sales', 'GET', '/api/stock?item=YOG')).json[0]).toMatchObject({ reserved: 2500, available: 3500 });
    expect(await tasks('warehouse')).toContain(`pick:${so.id}`);
    const picked = (await f.as('warehouse', 'POST', `/api/sales-orders/${so.id}/pick`, {})).json;
    expect(picked.data.picks).toEqual([
      { item: 'YOG', lot: 'Y-SOON', location: 'bin-a', qty: 2000 },
      { item: 'YOG', lot: 'Y-LATE', location: 'bin-a', qty: 500 },
    ]);
    expect((await f.as('finance', 'POST', `/api/sales-orders/${so.id}/cancel`, {})).status).toBe(403);   // finance cannot cancel orders
    const shipped = (await f.as('warehouse', 'POST', `/api/sales-orders/${so.id}/ship`, {})).json;
    expect(shipped.status).toBe('shipped');
    expect(await tasks('finance')).toContain(`invoice:${so.id}`);
    expect((await f.as('sales', 'GET', '/api/stock?item=YOG')).json[0]).toMatchObject({ onHand: 7500, reserved: 0, available: 3500 });

    const ret = (await f.as('sales', 'POST', '/api/returns', { salesOrder: so.id, reason: 'damaged cups', lines: [{ item: 'YOG', lot: 'Y-SOON', qty: 10 }] })).json;
    expect(ret.status).toBe('requested');
    const received = (await f.as('warehouse', 'POST', `/api/returns/${ret.id}/receive`, { location: 'dry' })).json;
    expect(received.status).toBe('received');
    const [returned] = (await f.as('warehouse', 'GET', '/api/movements?item=YOG&limit=1')).json;
    expect(returned).toMatchObject({ kind: 'return', lot: 'Y-SOON', to: 'dry', qty: 10 });
    expect(shipped.data.movements).toContain(returned.reverses);
    expect((await f.as('qa', 'POST', `/api/returns/${ret.id}/inspect`, { disposition: 'scrap' })).json.status).toBe('closed');
    expect((await f.as('sales', 'GET', '/api/stock?item=YOG')).json[0].onHand).toBe(7500);
  });

  it('stock count: counted vs expected → proposals → finance approves → count_correction movements', async () => {
    const cs = (await f.as('warehouse', 'POST', '/api/count-sessions', { location: 'chiller' })).json;
    const submitted = (await f.as('warehouse', 'POST', `/api/count-sessions/${cs.id}/submit`, { lines: [
      { item: 'YOG', lot: 'Y-LATE', location: 'bin-a', counted: 3490 },
      { item: 'YOG', lot: 'Y-HOLD', location: 'bin-b', counted: 4000 },
    ] })).json;
    expect(submitted.data.proposals).toEqual([{ item: 'YOG', lot: 'Y-LATE', location: 'bin-a', expected: 3500, counted: 3490, diff: -10 }]);
    expect(await tasks('finance')).toContain(`approve:${cs.id}`);
    expect((await f.as('warehouse', 'POST', `/api/count-sessions/${cs.id}/approve`, {})).status).toBe(403);
    expect((await f.as('finance', 'POST', `/api/count-sessions/${cs.id}/approve`, {})).json.status).toBe('approved');
    const [corr] = (await f.as('warehouse', 'GET', '/api/movements?item=YOG&limit=1')).json;
    expect(corr).toMatchObject({ kind: 'count_correction', from: 'bin-a', lot: 'Y-LATE', qty: 10, sourceType: 'document' });
    expect((await verifyLedger(tdb.db)).differences).toEqual([]);
  });
});
