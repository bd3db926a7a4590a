import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UplinkBatch, PROTOCOL_VERSION, type MovementEvent } from '../../protocols/uplink/contract.ts';
import { openDb, type Db } from '../../cloud/db/engine.ts';
import { storeBatch } from '../../cloud/ingest/store-batch.ts';
import { listExceptions } from '../../cloud/inventory/stock-exceptions.ts';
import { openDocuments } from '../../cloud/ingest/expected-publisher.ts';
import { createPurchaseOrder, purchaseOrderAction } from '../../cloud/inventory/documents/purchase-orders.ts';
import { createSalesOrder, salesOrderAction } from '../../cloud/inventory/documents/sales-orders.ts';
import { verifyLedger } from '../../cloud/inventory/verify.ts';
import { SYSTEM, type Actor } from '../../cloud/inventory/model.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../helpers/inventory-fixture.ts';
import { registerGateway } from '../helpers/gateways.ts';

// Issue #11, "reserved stock is not protected from movements" and "the device path books a
// shipment around the guards", replayed against the real REST API and the real ingest path
// (storeBatch: what MQTT ingest runs for each uplink batch, in its transaction) on a real database.
// A reservation is a promise: no movement — a person's, a device's, a document's — may take stock
// that is promised to someone else, and a gateway may do to a document only what the API allows.

let tdb: TestDatabase;
let db: Db;
let f: ApiFixture;
let seq = 0;
const GW = 'gw-sec';
const DEVICE: Actor = { name: 'device:dock-1', role: 'device' };

beforeAll(async () => {
  tdb = await testDatabase();
  // on PostgreSQL a pool wide enough for real concurrency on the item row
  db = tdb.url ? await openDb({ url: tdb.url, poolSize: 12 }) : tdb.db;
  f = await apiFixture(db);
  await seedLocations(f);
  // no manifest in these batches: the dock's gateway is registered for the site whose locations it books in (seedLocations: site-1)
  await registerGateway(db, GW, { site: 'site-1', zones: ['chiller'] });
  expect((await f.as('sales', 'POST', '/api/customers', { id: 'CAFE', name: 'Corner café' })).status).toBe(201);
  expect((await f.as('purchasing', 'POST', '/api/suppliers', { id: 'MILL', name: 'The mill' })).status).toBe(201);
});

afterAll(async () => {
  await f?.close();
  if (db && db !== tdb.db) await db.close();
  await tdb?.cleanup();
});

async function stockUp(sku: string, qty: number, extra: Record<string, unknown> = {}) {
  await seedItem(f, { sku, ...extra });
  expect((await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: sku, to: 'bin-a', qty })).status).toBe(201);
}
const stockOf = async (sku: string) => (await f.as('viewer', 'GET', `/api/stock?item=${sku}`)).json[0];
const reserve = async (item: string, qty: number) => {
  const r = await f.as('sales', 'POST', '/api/reservations', { item, qty });
  expect(r.status).toBe(201);
  return r.json.id as number;
};
const ingest = (movements: MovementEvent[]) => storeBatch(db, UplinkBatch.parse({
  v: PROTOCOL_VERSION, gateway: GW, stream: 'sec-stream', seq: ++seq, sentAt: Date.now(), readings: [], alerts: [], movements,
}), []);
const deviceMove = (m: Partial<MovementEvent> & Pick<MovementEvent, 'id' | 'type' | 'quantity' | 'item'>): MovementEvent => ({
  ts: Date.now(), unit: 'pcs', location: { zone: 'chiller', bin: 'bin-a' }, source: { device: 'dock-1', kind: 'rfid' }, evidence: {}, ...m,
});
const eventOutcome = async (id: string) =>
  (await db.query<{ outcome: string; reason: string | null }>('SELECT outcome, reason FROM device_movements WHERE event_id = $1', [`${GW}:${id}`]))[0];
const movementCount = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM movements'))[0]!.n;

describe(`reserved stock is bound by every movement (${engineLabel})`, () => {
  it('the repro: 10 in stock, 10 reserved → a warehouse shipment of 5 is 409 SP_ERR_RESERVED naming item, available and reserved; nothing moves', async () => {
    await stockUp('SEC-A', 10);
    await reserve('SEC-A', 10);
    const r = await f.as('warehouse', 'POST', '/api/movements', { kind: 'shipment', item: 'SEC-A', from: 'bin-a', qty: 5 });
    expect(r.status).toBe(409);
    expect(r.json.code).toBe('SP_ERR_RESERVED');
    expect(r.json.details).toHaveLength(1);
    expect(r.json.details[0].field).toBe('body.qty');
    expect(r.json.details[0].reason).toMatch(/^reserved stock: SEC-A has 0 available and 10 reserved; a shipment of 5 from bin-a holds no reservation of its own/);
    // every kind that takes stock out of the company is bound the same way; a device credential too
    for (const [role, kind] of [['warehouse', 'consumption'], ['warehouse', 'scrap'], ['warehouse', 'adjustment'], ['device', 'shipment']] as const) {
      const again = await f.as(role, 'POST', '/api/movements', { kind, item: 'SEC-A', from: 'bin-a', qty: 1 });
      expect([kind, again.status, again.json.code]).toEqual([kind, 409, 'SP_ERR_RESERVED']);
    }
    expect(await stockOf('SEC-A')).toMatchObject({ onHand: 10, reserved: 10, available: 0 });
    // a transfer keeps the item's stock (holds are item-level): it is not bound
    expect((await f.as('warehouse', 'POST', '/api/movements', { kind: 'transfer', item: 'SEC-A', from: 'bin-a', to: 'bin-b', qty: 4 })).status).toBe(201);
    expect(await stockOf('SEC-A')).toMatchObject({ onHand: 10, reserved: 10 });
    expect((await verifyLedger(db)).differences).toEqual([]);
  });

  it('only the unreserved part may leave without a reservation', async () => {
    await stockUp('SEC-B', 10);
    await reserve('SEC-B', 6);
    const tooMuch = await f.as('warehouse', 'POST', '/api/movements', { kind: 'shipment', item: 'SEC-B', from: 'bin-a', qty: 5 });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.json.details[0].reason).toMatch(/SEC-B has 4 available and 6 reserved/);
    expect((await f.as('warehouse', 'POST', '/api/movements', { kind: 'shipment', item: 'SEC-B', from: 'bin-a', qty: 4 })).status).toBe(201);
    expect(await stockOf('SEC-B')).toMatchObject({ onHand: 6, reserved: 6, available: 0 });
  });

  it('a movement carrying its own reservation takes that hold (consumed in parts), never another order\'s', async () => {
    await stockUp('SEC-C', 10);
    const mine = await reserve('SEC-C', 4);
    const theirs = await reserve('SEC-C', 6);
    // more than my hold: the rest would be theirs
    const over = await f.as('warehouse', 'POST', '/api/movements', { kind: 'shipment', item: 'SEC-C', from: 'bin-a', qty: 5, reservation: mine });
    expect(over.status).toBe(409);
    expect(over.json.details[0].reason).toMatch(/SEC-C has 0 available and 10 reserved; a shipment of 5 from bin-a may take 0 plus the 4 its reservation \d+ holds/);
    // my hold in two parts: consumed, then fulfilled
    const first = await f.as('warehouse', 'POST', '/api/movements', { kind: 'shipment', item: 'SEC-C', from: 'bin-a', qty: 3, reservation: mine });
    expect(first.status).toBe(201);
    expect(first.json.reservation).toBe(mine);
    expect((await f.as('viewer', 'GET', `/api/reservations?item=SEC-C`)).json.find((r: any) => r.id === mine)).toMatchObject({ consumed: 3, status: 'active' });
    expect(await stockOf('SEC-C')).toMatchObject({ onHand: 7, reserved: 7, available: 0 });
    expect((await f.as('warehouse', 'POST', '/api/movements', { kind: 'shipment', item: 'SEC-C', from: 'bin-a', qty: 1, reservation: mine })).status).toBe(201);
    const done = (await f.as('viewer', 'GET', `/api/reservations?item=SEC-C`)).json.find((r: any) => r.id === mine);
    expect(done).toMatchObject({ consumed: 4, status: 'fulfilled' });
    // a fulfilled hold holds nothing any more; another item's hold is not mine to use
    const spent = await f.as('warehouse', 'POST', '/api/movements', { kind: 'shipment', item: 'SEC-C', from: 'bin-a', qty: 1, reservation: mine });
    expect([spent.status, spent.json.code, spent.json.details[0].field]).toEqual([409, 'SP_ERR_CONFLICT', 'body.reservation']);
    const foreign = await f.as('warehouse', 'POST', '/api/movements', { kind: 'shipment', item: 'SEC-A', from: 'bin-a', qty: 1, reservation: theirs });
    expect([foreign.status, foreign.json.code, foreign.json.details[0].field]).toEqual([400, 'SP_ERR_VALIDATION', 'body.reservation']);
    // a device credential may not name a hold at all (it would take any order's goods by guessing ids)
    const device = await f.as('device', 'POST', '/api/movements', { kind: 'shipment', item: 'SEC-C', from: 'bin-a', qty: 1, reservation: theirs, sourceType: 'document' });
    expect([device.status, device.json.code, device.json.details[0].field]).toEqual([403, 'SP_ERR_FORBIDDEN', 'body.reservation']);
    expect(await stockOf('SEC-C')).toMatchObject({ onHand: 6, reserved: 6 });
    expect((await verifyLedger(db)).differences).toEqual([]);
  });

  it('a hold drawn on a channel pool, consumed in part then released, gives back only what is left (reserved and pool)', async () => {
    await stockUp('SEC-L', 10);
    expect((await f.as('sales', 'PUT', '/api/channel-pools/SEC-L/vip', { qty: 4 })).status).toBe(200);
    const vip = await f.as('sales', 'POST', '/api/reservations', { item: 'SEC-L', qty: 6, channel: 'vip' });
    expect(vip.json).toMatchObject({ fromPool: 4 });
    expect((await f.as('warehouse', 'POST', '/api/movements', { kind: 'shipment', item: 'SEC-L', from: 'bin-a', qty: 3, reservation: vip.json.id })).status).toBe(201);
    // 3 of the hold left, all of it pool quota (the pool part is the last to go)
    expect(await stockOf('SEC-L')).toMatchObject({ onHand: 7, reserved: 3, pools: [expect.objectContaining({ channel: 'vip', qty: 4, used: 3 })] });
    expect((await verifyLedger(db)).differences).toEqual([]);
    expect((await f.as('sales', 'POST', `/api/reservations/${vip.json.id}/release`)).json).toMatchObject({ status: 'released', consumed: 3 });
    expect(await stockOf('SEC-L')).toMatchObject({ onHand: 7, reserved: 0, pools: [expect.objectContaining({ channel: 'vip', used: 0 })] });
    expect((await verifyLedger(db)).differences).toEqual([]);
  });

  it('a sales order ships its own reserved goods through the API; the holds are consumed by its movements', async () => {
    await stockUp('SEC-D', 8);
    const so = await f.as('sales', 'POST', '/api/sales-orders', { customer: 'CAFE', lines: [{ item: 'SEC-D', qty: 5 }] });
    expect((await f.as('sales', 'POST', `/api/sales-orders/${so.json.id}/reserve`, {})).status).toBe(200);
    await reserve('SEC-D', 3);   // someone else holds the rest
    expect((await f.as('warehouse', 'POST', `/api/sales-orders/${so.json.id}/pick`, {})).status).toBe(200);
    // a part first (what is on the first truck), then the rest
    const part = await f.as('warehouse', 'POST', `/api/sales-orders/${so.json.id}/ship`, { part: { item: 'SEC-D', qty: 2 } });
    expect([part.status, part.json.status]).toEqual([200, 'picked']);
    expect(await stockOf('SEC-D')).toMatchObject({ onHand: 6, reserved: 6, available: 0 });
    const shipped = await f.as('warehouse', 'POST', `/api/sales-orders/${so.json.id}/ship`, {});
    expect(shipped.status).toBe(200);
    expect(shipped.json.status).toBe('shipped');
    const moves = (await f.as('viewer', 'GET', '/api/movements?item=SEC-D')).json.filter((m: any) => m.kind === 'shipment');
    const hold = shipped.json.data.reservations[0];
    expect(moves.map((m: any) => [m.qty, m.reservation])).toEqual([[3, hold], [2, hold]]);
    expect((await f.as('viewer', 'GET', '/api/reservations?item=SEC-D')).json.find((r: any) => r.id === hold)).toMatchObject({ status: 'fulfilled', consumed: 5 });
    expect(await stockOf('SEC-D')).toMatchObject({ onHand: 3, reserved: 3, available: 0 });
    expect((await verifyLedger(db)).differences).toEqual([]);
  });

  it('a count correction records what the shelf holds even below the reservations: booked, the shortfall answered, verify lists it', async () => {
    await stockUp('SEC-E', 10);
    await reserve('SEC-E', 8);
    const r = await f.as('warehouse', 'POST', '/api/movements', { kind: 'count_correction', item: 'SEC-E', from: 'bin-a', qty: 5 });
    expect(r.status).toBe(201);
    expect(r.json.overReserved).toEqual({ item: 'SEC-E', onHand: 5, sellable: 5, reserved: 8 });
    const v = await f.as('finance', 'GET', '/api/inventory/verify');
    expect(v.json.ok).toBe(false);
    expect(v.json.differences).toEqual([{ check: 'over_reserved', item: 'SEC-E', expected: 8, actual: 5 }]);
    // until the holds are dealt with, nothing else leaves
    expect((await f.as('warehouse', 'POST', '/api/movements', { kind: 'shipment', item: 'SEC-E', from: 'bin-a', qty: 1 })).json.code).toBe('SP_ERR_RESERVED');
    const holds = (await f.as('viewer', 'GET', '/api/reservations?item=SEC-E&status=active')).json;
    for (const h of holds) expect((await f.as('sales', 'POST', `/api/reservations/${h.id}/release`)).status).toBe(200);
    expect((await verifyLedger(db)).differences).toEqual([]);
  });

  it('verify reports on hand below reserved however it came about (here: written around the ledger in SQL)', async () => {
    await stockUp('SEC-F', 3);
    // a hold of 7 against 3 on hand, consistent in itself (the reserved counter matches the holds)
    await db.query(`INSERT INTO reservations (item, channel, qty, status, ttl_sec, actor) VALUES ('SEC-F', 'default', 7, 'committed', 900, 'intruder')`);
    await db.query(`UPDATE item_positions SET reserved = reserved + 7 WHERE item = 'SEC-F'`);
    const report = await verifyLedger(db);
    expect(report.ok).toBe(false);
    expect(report.differences).toEqual([{ check: 'over_reserved', item: 'SEC-F', expected: 7, actual: 3 }]);
    await db.query(`UPDATE reservations SET status = 'released', closed_at = now() WHERE item = 'SEC-F'`);
    await db.query(`UPDATE item_positions SET reserved = reserved - 7 WHERE item = 'SEC-F'`);
    expect((await verifyLedger(db)).differences).toEqual([]);
  });

  it('shipments and reservations racing on one item never take promised stock', async () => {
    await stockUp('SEC-G', 10);
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => i % 2
      ? f.as('sales', 'POST', '/api/reservations', { item: 'SEC-G', qty: 1, idempotencyKey: `race-${i}` })
      : f.as('warehouse', 'POST', '/api/movements', { kind: 'shipment', item: 'SEC-G', from: 'bin-a', qty: 1, idempotencyKey: `race-${i}` })));
    const reserved = results.filter((r, i) => i % 2 && r.status === 201).length;
    const shipped = results.filter((r, i) => !(i % 2) && r.status === 201).length;
    expect(reserved + shipped).toBe(10);
    for (const r of results.filter((x) => x.status !== 201)) expect([409]).toContain(r.status);
    expect(await stockOf('SEC-G')).toMatchObject({ onHand: 10 - shipped, reserved, available: 0 });
    expect((await verifyLedger(db)).differences).toEqual([]);
  });
});

describe(`the device path is held to the same rules (${engineLabel})`, () => {
  it('a device shipment over reserved stock → a stock exception naming the holds; the batch commits; the ledger does not move', async () => {
    await stockUp('SEC-H', 10);
    await reserve('SEC-H', 10);
    const before = await movementCount();
    await ingest([deviceMove({ id: 'out-1', type: 'shipment', quantity: 5, item: { sku: 'SEC-H' }, document: 'site-pick-9' })]);
    expect(await eventOutcome('out-1')).toMatchObject({ outcome: 'exception', reason: expect.stringMatching(/^reserved stock: SEC-H has 0 available and 10 reserved/) });
    const exc = (await listExceptions(db, {})).find((e) => e.eventId === `${GW}:out-1`);
    expect(exc).toMatchObject({ kind: 'unposted_movement', state: 'open' });
    expect(exc!.message).toMatch(/was not booked: reserved stock: SEC-H has 0 available and 10 reserved/);
    expect(await movementCount()).toBe(before);
    expect(await stockOf('SEC-H')).toMatchObject({ onHand: 10, reserved: 10 });
    // the batch went through: its seq is recorded, a later batch stores normally
    expect((await db.query('SELECT 1 FROM uplink_batches WHERE gateway = $1 AND seq = $2', [GW, seq])).length).toBe(1);
  });

  it('a portal shipment of a picked sales order consumes the order\'s own holds, in parts, through the sales-order service', async () => {
    await stockUp('SEC-I', 6, { gtin: '80614141123458' });   // a GTIN: open shipments are pushed down by GTIN
    const so = await createSalesOrder(db, { customer: 'CAFE', lines: [{ item: 'SEC-I', qty: 4 }] }, SYSTEM);
    await salesOrderAction(db, so.id, 'reserve', {}, SYSTEM);
    await reserve('SEC-I', 2);   // the rest is someone else's
    await salesOrderAction(db, so.id, 'pick', {}, SYSTEM);
    await ingest([deviceMove({ id: 'so-part-1', type: 'shipment', quantity: 3, item: { sku: 'SEC-I' }, document: `so:${so.id}` })]);
    expect(await eventOutcome('so-part-1')).toMatchObject({ outcome: 'posted' });
    let doc = (await f.as('viewer', 'GET', `/api/sales-orders/${so.id}`)).json;
    expect(doc.status).toBe('picked');
    expect(doc.events.at(-1)).toMatchObject({ action: 'ship', from: 'picked', to: 'picked', actor: 'device:dock-1', role: 'device' });
    // the open shipment pushed down to the gateways says what already left
    const open = (await openDocuments(db)).find((o) => o.doc.id === `so:${so.id}`);
    expect(open?.doc.lines).toEqual([expect.objectContaining({ sku: 'SEC-I', quantity: 4, received: 3 })]);
    // one case more than the order left: refused whole, as the API refuses it
    await ingest([deviceMove({ id: 'so-part-2', type: 'shipment', quantity: 2, item: { sku: 'SEC-I' }, document: `so:${so.id}` })]);
    expect(await eventOutcome('so-part-2')).toMatchObject({ outcome: 'exception', reason: expect.stringMatching(/only 1 of it was picked and not yet shipped/) });
    await ingest([deviceMove({ id: 'so-part-3', type: 'shipment', quantity: 1, item: { sku: 'SEC-I' }, document: `so:${so.id}` })]);
    doc = (await f.as('viewer', 'GET', `/api/sales-orders/${so.id}`)).json;
    expect(doc.status).toBe('shipped');
    const moves = (await f.as('viewer', 'GET', '/api/movements?item=SEC-I')).json.filter((m: any) => m.kind === 'shipment');
    expect(moves.map((m: any) => [m.qty, m.reservation, m.actor])).toEqual([[1, doc.data.reservations[0], 'device:dock-1'], [3, doc.data.reservations[0], 'device:dock-1']]);
    expect(await stockOf('SEC-I')).toMatchObject({ onHand: 2, reserved: 2 });
    expect((await verifyLedger(db)).differences).toEqual([]);
  });

  it('what the API refuses the device path refuses: a sales order not picked, a purchase order not approved', async () => {
    await stockUp('SEC-J', 5);
    const so = await createSalesOrder(db, { customer: 'CAFE', lines: [{ item: 'SEC-J', qty: 5 }] }, SYSTEM);
    await salesOrderAction(db, so.id, 'reserve', {}, SYSTEM);   // reserved, not picked
    const api = await f.as('warehouse', 'POST', `/api/sales-orders/${so.id}/ship`, {});
    expect([api.status, api.json.code]).toEqual([409, 'SP_ERR_CONFLICT']);
    await ingest([deviceMove({ id: 'early-ship', type: 'shipment', quantity: 5, item: { sku: 'SEC-J' }, document: `so:${so.id}` })]);
    const early = await eventOutcome('early-ship');
    expect(early).toMatchObject({ outcome: 'exception' });
    expect(early!.reason).toBe(api.json.details[0].reason);
    expect((await f.as('viewer', 'GET', `/api/sales-orders/${so.id}`)).json.status).toBe('reserved');
    expect(await stockOf('SEC-J')).toMatchObject({ onHand: 5, reserved: 5 });

    await seedItem(f, { sku: 'SEC-K' });
    const po = await createPurchaseOrder(db, { supplier: 'MILL', lines: [{ item: 'SEC-K', qty: 10, priceMinor: 100 }] }, SYSTEM);
    await purchaseOrderAction(db, po.id, 'submit', {}, SYSTEM);   // submitted, not approved
    const apiReceipt = await f.as('warehouse', 'POST', `/api/purchase-orders/${po.id}/receive`, { location: 'bin-a', lines: [{ item: 'SEC-K', qty: 10 }] });
    expect([apiReceipt.status, apiReceipt.json.code]).toEqual([409, 'SP_ERR_CONFLICT']);
    await ingest([deviceMove({ id: 'early-receipt', type: 'receipt', quantity: 10, item: { sku: 'SEC-K' }, document: `po:${po.id}` })]);
    const receipt = await eventOutcome('early-receipt');
    expect(receipt).toMatchObject({ outcome: 'exception' });
    expect(receipt!.reason).toBe(apiReceipt.json.details[0].reason);
    expect((await f.as('purchasing', 'GET', `/api/purchase-orders/${po.id}`)).json.status).toBe('submitted');
    expect((await stockOf('SEC-K'))?.onHand ?? 0).toBe(0);
    const tasks = await db.query(`SELECT 1 FROM tasks WHERE document_id = $1 AND role = 'finance' AND action = 'pay'`, [po.id]);
    expect(tasks).toEqual([]);
  });

  it('a device principal may take only the document actions the matrix grants it through the uplink', async () => {
    const so = await createSalesOrder(db, { customer: 'CAFE', lines: [{ item: 'SEC-J', qty: 1 }] }, SYSTEM);
    for (const action of ['reserve', 'pick', 'cancel']) {
      await expect(salesOrderAction(db, so.id, action, {}, DEVICE)).rejects.toMatchObject({ code: 'SP_ERR_FORBIDDEN' });
    }
    const po = await createPurchaseOrder(db, { supplier: 'MILL', lines: [{ item: 'SEC-K', qty: 1, priceMinor: 100 }] }, SYSTEM);
    for (const action of ['submit', 'approve', 'cancel']) {
      await expect(purchaseOrderAction(db, po.id, action, {}, DEVICE)).rejects.toMatchObject({ code: 'SP_ERR_FORBIDDEN' });
    }
    // and through REST a device token reaches no document route at all
    expect((await f.as('device', 'POST', `/api/sales-orders/${so.id}/ship`, {})).status).toBe(403);
    expect((await f.as('device', 'POST', `/api/purchase-orders/${po.id}/receive`, { location: 'bin-a', lines: [{ item: 'SEC-K', qty: 1 }] })).status).toBe(403);
    expect((await f.as('viewer', 'GET', `/api/sales-orders/${so.id}`)).json.status).toBe('confirmed');
  });
});
