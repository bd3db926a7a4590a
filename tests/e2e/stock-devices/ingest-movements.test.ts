import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UplinkBatch, PROTOCOL_VERSION, type MovementEvent } from '../../../protocols/uplink/contract.ts';
import { storeBatch } from '../../../cloud/ingest/store-batch.ts';
import { openDocuments } from '../../../cloud/ingest/expected-publisher.ts';
import { createItem, createLocation, createPartner } from '../../../cloud/inventory/master-data.ts';
import { createLot } from '../../../cloud/inventory/lots.ts';
import { postMovement } from '../../../cloud/inventory/ledger.ts';
import { createPurchaseOrder, purchaseOrderAction } from '../../../cloud/inventory/documents/purchase-orders.ts';
import { SYSTEM } from '../../../cloud/inventory/model.ts';
import { listExceptions } from '../../../cloud/inventory/stock-exceptions.ts';
import { DocumentMatcher } from '../../../edge/rfid/pass-to-movements.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// The cloud's side of device movements, batch by batch through storeBatch (the function MQTT
// ingest calls inside its transaction), on a real database: the cases the end-to-end tests do
// not reach — partial receipts and what is pushed back down, refusals kept as exceptions, a lot
// picked first-expiring for a scale that does not know lots, redelivery.

const GTIN = '80614141123458';
let tdb: TestDatabase;
let seq = 0;
let po: number;

const store = (movements: MovementEvent[], stream = 's1') => storeBatch(tdb.db, UplinkBatch.parse({
  v: PROTOCOL_VERSION, gateway: 'gw', stream, seq: ++seq, sentAt: Date.now(), readings: [], alerts: [], movements,
}), []);
const mv = (m: Partial<MovementEvent> & Pick<MovementEvent, 'id' | 'type' | 'quantity'>): MovementEvent => ({
  ts: Date.now(), item: { gtin: GTIN }, unit: 'pcs', location: { zone: 'dock' }, source: { device: 'dock-1', kind: 'rfid' }, evidence: {}, ...m,
});
const balance = async (item: string, location: string) =>
  Number((await tdb.db.query<{ q: string }>('SELECT coalesce(sum(on_hand), 0) AS q FROM balances WHERE item = $1 AND location = $2', [item, location]))[0]!.q);

beforeAll(async () => {
  tdb = await testDatabase();
  const db = tdb.db;
  // no manifest in these batches: the gateway is registered with its site and the zones it books in
  await registerGateway(db, 'gw', { site: 'site', zones: ['dock', 'bakehouse'] });
  await createLocation(db, { id: 'site', kind: 'site', name: 'Site' });
  await createLocation(db, { id: 'DOCK', kind: 'zone', parent: 'site', name: 'Dock', iotZone: 'dock' });
  await createLocation(db, { id: 'BAKE', kind: 'zone', parent: 'site', name: 'Bakehouse', iotZone: 'bakehouse' });
  await createLocation(db, { id: 'B-01', kind: 'bin', parent: 'BAKE', name: 'Bin 1' });
  // a GTIN-13 in master data is the same trade item as its GTIN-14 with a leading 0
  await createItem(db, { sku: 'CASE', gtin: '0614141123452'.padStart(13, '0'), name: 'Case', unit: 'case', lotTracked: true });
  await createItem(db, { sku: 'CASE14', gtin: GTIN, name: 'Case 14', unit: 'case', lotTracked: true });
  await createItem(db, { sku: 'SUGAR', name: 'Sugar', unit: 'kg', lotTracked: true });
  await createPartner(db, 'suppliers', { id: 'SUP', name: 'Supplier' });
  const p = await createPurchaseOrder(db, { supplier: 'SUP', lines: [{ item: 'CASE14', qty: 30, priceMinor: 100, lot: 'LA' }] }, SYSTEM);
  po = p.id;
  await purchaseOrderAction(db, po, 'submit', {}, SYSTEM);
  await purchaseOrderAction(db, po, 'approve', {}, SYSTEM);
  for (const [code, expiresOn, qty] of [['S-LATE', '2099-12-31', 10], ['S-EARLY', '2099-01-31', 4]] as const) {
    await tdb.db.tx((q) => createLot(q, { item: 'SUGAR', code, expiresOn }, SYSTEM));
    await postMovement(db, { kind: 'receipt', item: 'SUGAR', lot: code, to: 'B-01', qty }, SYSTEM);
  }
});

afterAll(async () => { await tdb?.cleanup(); });

describe(`device movements into the ledger (${engineLabel})`, () => {
  it('a partial receipt against a PO: ledger +12, PO partially received, and the open document pushed down says 12 received', async () => {
    await store([mv({ id: 'pass-1:gtin', type: 'receipt', quantity: 12, lot: 'LA', document: `po:${po}` })]);
    expect(await balance('CASE14', 'DOCK')).toBe(12);
    const [doc] = await tdb.db.query<{ status: string }>('SELECT status FROM documents WHERE id = $1', [po]);
    expect(doc!.status).toBe('partially_received');
    const open = await openDocuments(tdb.db);
    expect(open.map((o) => o.doc)).toEqual([{ id: `po:${po}`, type: 'receipt', partner: 'SUP', lines: [{ gtin: GTIN, sku: 'CASE14', quantity: 30, received: 12, lot: 'LA' }] }]);
    // the edge's matcher takes the cloud's received count: 18 cases are left to match
    const matcher = new DocumentMatcher('gw');
    matcher.setExpected(open.map((o) => ({ ...o.doc, lines: o.doc.lines.map(({ gtin, quantity, received, lot }) => ({ gtin, quantity, received, lot })) })));
    expect(matcher.expected()[0]!.lines[0]!.remaining).toBe(18);
  });

  it('the same event again — in another batch, even of another stream — books nothing', async () => {
    const r = await store([mv({ id: 'pass-1:gtin', type: 'receipt', quantity: 12, lot: 'LA', document: `po:${po}` })], 's2');
    expect(r.status).toBe('committed');
    expect(await balance('CASE14', 'DOCK')).toBe(12);
    expect((await tdb.db.query('SELECT 1 FROM documents WHERE type = $1', ['goods_receipt'])).length).toBe(1);
  });

  it('more than ordered is refused by the PO and kept as an open exception; the rest of the batch still commits', async () => {
    const r = await store([
      mv({ id: 'pass-2:gtin', type: 'receipt', quantity: 25, lot: 'LA', document: `po:${po}` }),
      mv({ id: 'pass-3:gtin', type: 'receipt', quantity: 5, lot: 'LB', document: 'ASN-LOCAL-7' }),
    ]);
    expect(r.status).toBe('committed');
    expect(await balance('CASE14', 'DOCK')).toBe(12 + 5); // the ASN the site configured itself is a plain device receipt
    const [e] = await listExceptions(tdb.db, { state: 'open' });
    expect(e).toMatchObject({ kind: 'unposted_movement', device: 'dock-1', eventId: 'gw:pass-2:gtin' });
    expect(e!.message).toContain('would exceed the 30 ordered');
    const [row] = await tdb.db.query<{ outcome: string; reason: string }>(`SELECT outcome, reason FROM device_movements WHERE event_id = 'gw:pass-2:gtin'`);
    expect(row).toMatchObject({ outcome: 'exception' });
  });

  it('an unknown GTIN and an unknown zone are exceptions that say so', async () => {
    await store([
      mv({ id: 'x1', type: 'receipt', quantity: 3, item: { gtin: '80614141999993' }, document: 'ASN-9' }),
      mv({ id: 'x2', type: 'receipt', quantity: 3, location: { zone: 'nowhere' }, lot: 'LA', document: 'ASN-9' }),
    ]);
    const reasons = (await listExceptions(tdb.db, { state: 'open' })).map((e) => e.message);
    expect(reasons.some((m) => m.includes('no item with GTIN 80614141999993'))).toBe(true);
    expect(reasons.some((m) => m.includes('no location for zone "nowhere"'))).toBe(true);
  });

  it('a GTIN-13 in master data matches the GTIN-14 an EPC decodes to', async () => {
    await store([mv({ id: 'g13', type: 'receipt', quantity: 2, item: { gtin: '00614141123452' }, lot: 'LZ', document: 'ASN-10' })]);
    expect(await balance('CASE', 'DOCK')).toBe(2);
  });

  it('a scale that does not know lots consumes first-expiring lots first, in one posting per lot', async () => {
    await store([{
      id: 'scale:1', type: 'consumption', ts: Date.now(), item: { sku: 'SUGAR' }, quantity: 6, unit: 'kg', location: { zone: 'bakehouse', bin: 'B-01' },
      source: { device: 'sugar-scale', kind: 'scale' }, evidence: { weighedQuantity: 8, toleranceQuantity: 0.1 },
    }]);
    const rows = await tdb.db.query<{ code: string; on_hand: string }>(
      `SELECT l.code, b.on_hand FROM balances b JOIN lots l ON l.id = b.lot_id WHERE b.item = 'SUGAR' ORDER BY l.code`);
    expect(rows.map((r) => [r.code, Number(r.on_hand)])).toEqual([['S-EARLY', 0], ['S-LATE', 8]]);
    // shelf 8, system 8: no drift
    const [w] = await tdb.db.query<{ weighed_qty: string; ledger_qty: string; drift_alert_id: string | null }>(`SELECT * FROM bin_weighings WHERE location = 'B-01'`);
    expect([Number(w!.weighed_qty), Number(w!.ledger_qty), w!.drift_alert_id]).toEqual([8, 8, null]);
  });
  it('a passing database fault (a deadlock) fails the batch for a resend instead of becoming an exception', async () => {
    // the first ledger insert after this point dies as a deadlock victim would; the next one passes
    await tdb.db.exec(`CREATE SEQUENCE deadlock_once;
      CREATE FUNCTION deadlock_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF nextval('deadlock_once') = 1 THEN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER deadlock_once BEFORE INSERT ON movements FOR EACH ROW EXECUTE FUNCTION deadlock_once();`);
    const event = mv({ id: 'scale-9:1', type: 'refill', quantity: 3, item: { sku: 'SUGAR' }, lot: 'S-LATE', location: { zone: 'bakehouse', bin: 'B-01' }, source: { device: 'scale-9', kind: 'scale' } });
    const before = await balance('SUGAR', 'B-01');
    const failed = UplinkBatch.parse({ v: PROTOCOL_VERSION, gateway: 'gw', stream: 's1', seq: ++seq, sentAt: Date.now(), readings: [], alerts: [], movements: [event] });
    await expect(storeBatch(tdb.db, failed, [])).rejects.toMatchObject({ code: '40P01' });
    expect(await tdb.db.query(`SELECT 1 FROM device_movements WHERE event_id LIKE '%scale-9:1'`)).toEqual([]);
    // the gateway resends the same batch (no ack came): now it books
    expect((await storeBatch(tdb.db, failed, [])).status).toBe('committed');
    expect(await balance('SUGAR', 'B-01')).toBe(before + 3);
    const [row] = await tdb.db.query<{ outcome: string }>(`SELECT outcome FROM device_movements WHERE event_id LIKE '%scale-9:1'`);
    expect(row!.outcome).toBe('posted');
    await tdb.db.exec('DROP TRIGGER deadlock_once ON movements');
  });
});
