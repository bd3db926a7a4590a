import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// Editing and archiving master data (issue #14): PATCH changes only the fields sent and is
// audited with before/after; an unknown field, a huge string or a wrong role is refused with a
// code naming the field; an archived item, location or partner is hidden from lists, refused for
// new movements and documents (SP_ERR_ARCHIVED), still readable, and can be restored.

let tdb: TestDatabase;
let f: ApiFixture;

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  await seedLocations(f);
  await f.as('purchasing', 'POST', '/api/suppliers', { id: 'mill', name: 'Flour mill' });
  await f.as('purchasing', 'POST', '/api/suppliers', { id: 'dairy', name: 'Dairy' });
  await f.as('sales', 'POST', '/api/customers', { id: 'cafe', name: 'Cafe' });
}, 240_000);
afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
});

const fields = (r: { json: { details?: { field: string }[] } }) => (r.json.details ?? []).map((d) => d.field);

describe(`master data edit and archive (${engineLabel})`, () => {
  it('PATCH /api/items/:sku changes only what is sent, null clears, audited before/after, cost hidden from sales', async () => {
    await seedItem(f, { sku: 'MILK-1', name: 'Milk 1 l', unit: 'pcs', shelfLifeDays: 10, costMinor: 90, storageProfile: 'chilled 2-8' });
    const r = await f.as('purchasing', 'PATCH', '/api/items/MILK-1', {
      name: '  Whole milk 1 l ', leadTimeDays: 2, safetyStock: 12.5, shelfLifeDays: null, preferredSupplier: 'dairy', expiryAlertDays: 2,
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      sku: 'MILK-1', name: 'Whole milk 1 l', unit: 'pcs', leadTimeDays: 2, safetyStock: 12.5, shelfLifeDays: null,
      preferredSupplier: 'dairy', expiryAlertDays: 2, costMinor: 90, storageProfile: 'chilled 2-8',
    });
    expect(r.json.archivedAt).toBeUndefined();
    const got = await f.as('sales', 'GET', '/api/items/MILK-1');
    expect(got.json.name).toBe('Whole milk 1 l');
    expect(got.json).not.toHaveProperty('costMinor');
    const log = (await f.as('finance', 'GET', '/api/audit?entity=item&entityId=MILK-1')).json;
    expect(log[0]).toMatchObject({ actor: 'test-purchasing', method: 'PATCH', status: 200, before: { name: 'Milk 1 l', shelfLifeDays: 10 }, after: { name: 'Whole milk 1 l', shelfLifeDays: null } });
  });

  it('hostile PATCH bodies: unknown field, huge string, bad number, empty body, wrong role, unknown SKU — each coded', async () => {
    await seedItem(f, { sku: 'EGG-1' });
    const unknown = await f.as('purchasing', 'PATCH', '/api/items/EGG-1', { name: 'Eggs', sku: 'OTHER', colour: 'brown' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.code).toBe('SP_ERR_VALIDATION');
    expect(unknown.json.details[0].reason).toMatch(/unknown fields: sku, colour/);
    const huge = await f.as('purchasing', 'PATCH', '/api/items/EGG-1', { name: 'x'.repeat(100_000) });
    expect(huge.status).toBe(400);
    expect(fields(huge)).toEqual(['body.name']);
    const neg = await f.as('purchasing', 'PATCH', '/api/items/EGG-1', { safetyStock: -1, leadTimeDays: 1.5 });
    expect(neg.status).toBe(400);
    expect(fields(neg).sort()).toEqual(['body.leadTimeDays', 'body.safetyStock']);
    const nul = await f.as('purchasing', 'PATCH', '/api/items/EGG-1', { name: null });
    expect(fields(nul)).toEqual(['body.name']);
    const empty = await f.as('purchasing', 'PATCH', '/api/items/EGG-1', {});
    expect(empty.status).toBe(400);
    const sales = await f.as('sales', 'PATCH', '/api/items/EGG-1', { name: 'Cheap eggs' });
    expect(sales.status).toBe(403);
    expect(sales.json.code).toBe('SP_ERR_FORBIDDEN');
    const viewer = await f.as('viewer', 'POST', '/api/items/EGG-1/archive');
    expect(viewer.status).toBe(403);
    const missing = await f.as('purchasing', 'PATCH', '/api/items/NOPE', { name: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('SP_ERR_NOT_FOUND');
    const noSupplier = await f.as('purchasing', 'PATCH', '/api/items/EGG-1', { preferredSupplier: 'nobody' });
    expect(noSupplier.status).toBe(400);
    expect(fields(noSupplier)).toEqual(['body.preferredSupplier']);
    expect((await f.as('purchasing', 'GET', '/api/items/EGG-1')).json.name).toBe('EGG-1');   // nothing refused was written
  });

  it('lot tracking cannot change once the item has moved', async () => {
    await seedItem(f, { sku: 'SALT-1' });
    expect((await f.as('purchasing', 'PATCH', '/api/items/SALT-1', { lotTracked: true })).status).toBe(200);
    expect((await f.as('purchasing', 'PATCH', '/api/items/SALT-1', { lotTracked: false })).status).toBe(200);
    expect((await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'SALT-1', to: 'dry', qty: 1 })).status).toBe(201);
    const r = await f.as('purchasing', 'PATCH', '/api/items/SALT-1', { lotTracked: true });
    expect(r.status).toBe(409);
    expect(fields(r)).toEqual(['body.lotTracked']);
  });

  it('an archived item: hidden from the list, refused for movements and orders, readable, restorable', async () => {
    await seedItem(f, { sku: 'OLD-1' });
    // stock still in it: archive refused until it has left
    expect((await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'OLD-1', to: 'bin-a', qty: 2 })).status).toBe(201);
    const blocked = await f.as('purchasing', 'POST', '/api/items/OLD-1/archive');
    expect(blocked.status).toBe(409);
    expect(blocked.json.code).toBe('SP_ERR_ARCHIVED');
    const out = await f.as('warehouse', 'POST', '/api/movements', { kind: 'scrap', item: 'OLD-1', from: 'bin-a', qty: 2 });
    expect(out.status).toBe(201);

    const a = await f.as('purchasing', 'POST', '/api/items/OLD-1/archive');
    expect(a.status).toBe(200);
    expect(Date.parse(a.json.archivedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect((await f.as('purchasing', 'POST', '/api/items/OLD-1/archive')).status).toBe(409);
    expect((await f.as('viewer', 'GET', '/api/items')).json.map((i: { sku: string }) => i.sku)).not.toContain('OLD-1');
    expect((await f.as('viewer', 'GET', '/api/items?archived=only')).json.map((i: { sku: string }) => i.sku)).toEqual(['OLD-1']);
    expect((await f.as('viewer', 'GET', '/api/items/OLD-1')).json.archivedAt).toBe(a.json.archivedAt);

    const mv = await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'OLD-1', to: 'bin-a', qty: 1 });
    expect(mv.status).toBe(409);
    expect(mv.json.code).toBe('SP_ERR_ARCHIVED');
    expect(fields(mv)).toEqual(['body.item']);
    // a reversal corrects history: allowed on an archived item
    const rev = await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'OLD-1', to: 'bin-a', qty: 2, reverses: out.json.id });
    expect(rev.status).toBe(201);
    const po = await f.as('purchasing', 'POST', '/api/purchase-orders', { supplier: 'mill', lines: [{ item: 'OLD-1', qty: 1, priceMinor: 10 }] });
    expect(po.status).toBe(409);
    expect(po.json.code).toBe('SP_ERR_ARCHIVED');
    expect(fields(po)).toEqual(['body.lines.0.item']);
    // the history still resolves
    const hist = await f.as('warehouse', 'GET', '/api/movements?item=OLD-1');
    expect(hist.json).toHaveLength(3);

    const audit = (await f.as('finance', 'GET', '/api/audit?entity=item&entityId=OLD-1')).json;
    expect(audit.map((e: { route: string; status: number }) => `${e.route} ${e.status}`)).toContain('/api/items/:sku/archive 200');
  });

  it('restore brings it back into use', async () => {
    await seedItem(f, { sku: 'BACK-1' });
    expect((await f.as('purchasing', 'POST', '/api/items/BACK-1/restore')).status).toBe(409);
    expect((await f.as('purchasing', 'POST', '/api/items/BACK-1/archive')).status).toBe(200);
    const r = await f.as('purchasing', 'POST', '/api/items/BACK-1/restore');
    expect(r.status).toBe(200);
    expect(r.json.archivedAt).toBeUndefined();
    expect((await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'BACK-1', to: 'dry', qty: 1 })).status).toBe(201);
  });

  it('suppliers and customers: rename, archive (hidden, refused for orders and as preferred supplier), restore', async () => {
    const ren = await f.as('purchasing', 'PATCH', '/api/suppliers/mill', { name: 'Stone mill' });
    expect(ren.status).toBe(200);
    expect(ren.json).toEqual({ id: 'mill', name: 'Stone mill' });
    expect((await f.as('purchasing', 'PATCH', '/api/suppliers/mill', { name: 'x', id: 'y' })).status).toBe(400);
    expect((await f.as('sales', 'PATCH', '/api/suppliers/mill', { name: 'x' })).status).toBe(403);
    expect((await f.as('purchasing', 'PATCH', '/api/customers/cafe', { name: 'x' })).status).toBe(403);
    expect((await f.as('sales', 'PATCH', '/api/customers/cafe', { name: 'Corner cafe' })).json).toEqual({ id: 'cafe', name: 'Corner cafe' });

    expect((await f.as('purchasing', 'POST', '/api/suppliers/dairy/archive')).status).toBe(200);
    expect((await f.as('finance', 'GET', '/api/suppliers')).json).toEqual([{ id: 'mill', name: 'Stone mill' }]);
    const incl = (await f.as('finance', 'GET', '/api/suppliers?archived=include')).json;
    expect(incl.find((s: { id: string }) => s.id === 'dairy').archivedAt).toEqual(expect.any(String));
    await seedItem(f, { sku: 'CREAM-1' });
    const pref = await f.as('purchasing', 'PATCH', '/api/items/CREAM-1', { preferredSupplier: 'dairy' });
    expect(pref.status).toBe(409);
    expect(pref.json.code).toBe('SP_ERR_ARCHIVED');
    const po = await f.as('purchasing', 'POST', '/api/purchase-orders', { supplier: 'dairy', lines: [{ item: 'CREAM-1', qty: 1, priceMinor: 10 }] });
    expect(po.status).toBe(409);
    expect(fields(po)).toEqual(['body.supplier']);
    expect((await f.as('purchasing', 'POST', '/api/suppliers/dairy/prices', { item: 'CREAM-1', priceMinor: 5 })).json.code).toBe('SP_ERR_ARCHIVED');

    expect((await f.as('sales', 'POST', '/api/customers/cafe/archive')).status).toBe(200);
    const so = await f.as('sales', 'POST', '/api/sales-orders', { customer: 'cafe', lines: [{ item: 'CREAM-1', qty: 1 }] });
    expect(so.status).toBe(409);
    expect(fields(so)).toEqual(['body.customer']);
    expect((await f.as('sales', 'POST', '/api/customers/cafe/restore')).status).toBe(200);
    expect((await f.as('sales', 'GET', '/api/customers')).json.map((c: { id: string }) => c.id)).toContain('cafe');
  });

  it('locations: edit the zone and limits, archive refused while stock or live bins remain, archived bin refused for movements', async () => {
    const r = await f.as('warehouse', 'PATCH', '/api/locations/bin-b', { name: 'Bin B (door)', iotZone: 'chiller', tempLow: 1, tempHigh: 6 });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: 'bin-b', kind: 'bin', parent: 'chiller', name: 'Bin B (door)', iotZone: 'chiller', tempLow: 1, tempHigh: 6 });
    const crossed = await f.as('warehouse', 'PATCH', '/api/locations/bin-b', { tempLow: 9 });
    expect(crossed.status).toBe(400);
    expect(fields(crossed)).toEqual(['body.tempLow']);
    expect((await f.as('warehouse', 'PATCH', '/api/locations/bin-b', { kind: 'zone' })).status).toBe(400);
    expect((await f.as('purchasing', 'PATCH', '/api/locations/bin-b', { name: 'x' })).status).toBe(403);

    const parent = await f.as('warehouse', 'POST', '/api/locations/chiller/archive');
    expect(parent.status).toBe(409);
    expect(parent.json.code).toBe('SP_ERR_ARCHIVED');
    expect((await f.as('warehouse', 'POST', '/api/locations/bin-b/archive')).status).toBe(200);
    expect((await f.as('viewer', 'GET', '/api/locations')).json.map((l: { id: string }) => l.id)).not.toContain('bin-b');
    await seedItem(f, { sku: 'BUTTER-1' });
    const mv = await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'BUTTER-1', to: 'bin-b', qty: 1 });
    expect(mv.status).toBe(409);
    expect(mv.json.code).toBe('SP_ERR_ARCHIVED');
    expect(fields(mv)).toEqual(['body.to']);
    expect((await f.as('warehouse', 'POST', '/api/locations', { id: 'old-zone', kind: 'zone', parent: 'site-1', name: 'Old' })).status).toBe(201);
    expect((await f.as('warehouse', 'POST', '/api/locations/old-zone/archive')).status).toBe(200);
    const child = await f.as('warehouse', 'POST', '/api/locations', { id: 'bin-c', kind: 'bin', parent: 'old-zone', name: 'C' });
    expect(child.status).toBe(409);
    expect(child.json.code).toBe('SP_ERR_ARCHIVED');
    expect(fields(child)).toEqual(['body.parent']);
    expect((await f.as('warehouse', 'POST', '/api/locations/bin-b/restore')).status).toBe(200);
  });

  it('GET /api/ledger: running balance for an item at a location and everywhere', async () => {
    await seedItem(f, { sku: 'FLOUR-1', unit: 'kg' });
    const post = (b: object) => f.as('warehouse', 'POST', '/api/movements', { item: 'FLOUR-1', ...b });
    expect((await post({ kind: 'receipt', to: 'bin-a', qty: 10 })).status).toBe(201);
    expect((await post({ kind: 'transfer', from: 'bin-a', to: 'dry', qty: 4 })).status).toBe(201);
    expect((await post({ kind: 'shipment', from: 'bin-a', qty: 1.5 })).status).toBe(201);
    const atA = await f.as('viewer', 'GET', '/api/ledger?item=FLOUR-1&location=bin-a');
    expect(atA.status).toBe(200);
    expect(atA.json.map((l: { kind: string; change: number; balance: number }) => [l.kind, l.change, l.balance]))
      .toEqual([['shipment', -1.5, 4.5], ['transfer', -4, 6], ['receipt', 10, 10]]);
    // the chiller zone holds bin-a: the same lines; everywhere: the transfer changes nothing
    expect((await f.as('viewer', 'GET', '/api/ledger?item=FLOUR-1&location=chiller')).json.map((l: { balance: number }) => l.balance)).toEqual([4.5, 6, 10]);
    expect((await f.as('viewer', 'GET', '/api/ledger?item=FLOUR-1')).json.map((l: { change: number; balance: number }) => [l.change, l.balance]))
      .toEqual([[-1.5, 8.5], [0, 10], [10, 10]]);
    // limit keeps the true balance on the oldest row shown
    expect((await f.as('viewer', 'GET', '/api/ledger?item=FLOUR-1&location=bin-a&limit=1')).json[0].balance).toBe(4.5);
    expect((await f.as('sales', 'GET', '/api/ledger?item=FLOUR-1')).status).toBe(403);
    expect((await f.as('viewer', 'GET', '/api/ledger?item=NOPE')).status).toBe(404);
    expect(fields(await f.as('viewer', 'GET', '/api/ledger'))).toEqual(['querystring.item']);
  });
});
