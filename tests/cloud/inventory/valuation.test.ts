import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';
import { divRound, fixed, text } from '../../../cloud/inventory/valuation/decimal.ts';

// Stock value from the ledger (cloud/inventory/valuation/): moving-average cost from receipts at
// their purchase order price, COGS on shipments at that average, value by location and lot,
// payables and receivables from the documents' movements; all of it cost data (COST_ROLES only);
// money as exact decimal text in minor units.

let tdb: TestDatabase;
let f: ApiFixture;

async function ok(r: Promise<{ status: number; json: any }>, want = 200) {
  const res = await r;
  if (res.status !== want) throw new Error(`${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
}

/** a purchase order through submit → approve (finance) → one receipt per line */
async function receivedPo(supplier: string, lines: { item: string; qty: number; priceMinor: number; lot?: string; to: string }[]): Promise<number> {
  const po = await ok(f.as('purchasing', 'POST', '/api/purchase-orders', { supplier, lines: lines.map(({ to: _t, ...l }) => l) }), 201);
  await ok(f.as('purchasing', 'POST', `/api/purchase-orders/${po.id}/submit`, {}));
  await ok(f.as('finance', 'POST', `/api/purchase-orders/${po.id}/approve`, {}));
  for (const l of lines) {
    await ok(f.as('warehouse', 'POST', `/api/purchase-orders/${po.id}/receive`, { location: l.to, lines: [{ item: l.item, qty: l.qty, ...(l.lot ? { lot: l.lot, expiresOn: '2099-01-01' } : {}) }] }));
  }
  return po.id;
}

async function shippedSo(customer: string, lines: { item: string; qty: number; priceMinor?: number }[]): Promise<number> {
  const so = await ok(f.as('sales', 'POST', '/api/sales-orders', { customer, lines }), 201);
  await ok(f.as('sales', 'POST', `/api/sales-orders/${so.id}/reserve`, {}));
  await ok(f.as('warehouse', 'POST', `/api/sales-orders/${so.id}/pick`, {}));
  await ok(f.as('warehouse', 'POST', `/api/sales-orders/${so.id}/ship`, {}));
  return so.id;
}

const value = async (q = '') => ok(f.as('finance', 'GET', `/api/valuation${q}`));
const itemOf = (v: any, sku: string) => v.items.find((i: any) => i.item === sku);
const today = () => new Date().toISOString().slice(0, 10);

let po1 = 0;
let po2 = 0;
let so1 = 0;
let beforeShipping = '';

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  await seedLocations(f);   // site-1 → chiller → bin-a, bin-b; site-1 → dry
  await seedItem(f, { sku: 'FLOUR', unit: 'kg' });
  await seedItem(f, { sku: 'MILK', lotTracked: true });
  await seedItem(f, { sku: 'EGG' });
  await seedItem(f, { sku: 'NUT' });
  await ok(f.as('purchasing', 'POST', '/api/suppliers', { id: 'mill', name: 'Mill Ltd' }), 201);
  await ok(f.as('purchasing', 'POST', '/api/suppliers', { id: 'dairy', name: 'Dairy Co' }), 201);
  await ok(f.as('sales', 'POST', '/api/customers', { id: 'shop', name: 'Corner shop' }), 201);

  po1 = await receivedPo('mill', [{ item: 'FLOUR', qty: 10, priceMinor: 100, to: 'bin-a' }]);
  po2 = await receivedPo('mill', [{ item: 'FLOUR', qty: 10, priceMinor: 130, to: 'dry' }]);
  await receivedPo('dairy', [{ item: 'MILK', qty: 5, priceMinor: 90, lot: 'M1', to: 'bin-b' }]);
  await receivedPo('dairy', [{ item: 'MILK', qty: 3, priceMinor: 110, lot: 'M2', to: 'bin-b' }]);
  for (const priceMinor of [110, 120, 130]) await receivedPo('dairy', [{ item: 'EGG', qty: 0.1, priceMinor, to: 'dry' }]);
  for (const priceMinor of [100, 100, 101]) await receivedPo('mill', [{ item: 'NUT', qty: 1, priceMinor, to: 'dry' }]);
  beforeShipping = new Date().toISOString();
  so1 = await shippedSo('shop', [{ item: 'FLOUR', qty: 4, priceMinor: 200 }]);
});
afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
});

describe(`exact decimals (${engineLabel})`, () => {
  it('parses, divides and prints without binary floats', () => {
    expect(text(fixed('0.1') + fixed('0.2'))).toBe('0.3');
    expect(text(fixed(0.1) + fixed(0.2))).toBe('0.3');
    expect(text(divRound(fixed(301) * 1_000_000n, fixed(3)))).toBe('100.333333');
    expect(text(fixed('-2.5000005'))).toBe('-2.500001');
  });
});

describe(`stock value from the ledger (${engineLabel})`, () => {
  it('two purchase orders at different prices: the moving average blends them; a shipment takes COGS at it', async () => {
    const v = await value();
    // 10 kg at 1.00 + 10 kg at 1.30 → 1.15; 4 kg shipped → 16 kg × 1.15
    expect(itemOf(v, 'FLOUR')).toMatchObject({ onHand: 16, averageCostMinor: '115', valueMinor: '1840', currency: 'EUR', unpriced: false });
    const before = await value(`?at=${encodeURIComponent(beforeShipping)}`);
    expect(before.at).toBe(beforeShipping);
    expect(itemOf(before, 'FLOUR')).toMatchObject({ onHand: 20, averageCostMinor: '115', valueMinor: '2300' });
  });

  it('three receipts at 1.10, 1.20, 1.30 (0.1 each) average exactly 1.20', async () => {
    expect(itemOf(await value(), 'EGG')).toMatchObject({ onHand: 0.3, averageCostMinor: '120', valueMinor: '36' });
  });

  it('an average that does not terminate leaves no residue: the last unit out takes what is left', async () => {
    expect(itemOf(await value(), 'NUT')).toMatchObject({ onHand: 3, averageCostMinor: '100.333333', valueMinor: '301' });
    await ok(f.as('warehouse', 'POST', '/api/movements', { kind: 'consumption', item: 'NUT', from: 'dry', qty: 1 }), 201);
    expect(itemOf(await value(), 'NUT')).toMatchObject({ onHand: 2, valueMinor: '200.666667' });
    await ok(f.as('warehouse', 'POST', '/api/movements', { kind: 'consumption', item: 'NUT', from: 'dry', qty: 2 }), 201);
    expect(itemOf(await value(), 'NUT')).toBeUndefined();   // nothing on hand, nothing left in value
  });

  it('stock found by an adjustment comes in at the current average (the average does not move)', async () => {
    await ok(f.as('warehouse', 'POST', '/api/movements', { kind: 'adjustment', item: 'EGG', to: 'dry', qty: 0.1 }), 201);
    expect(itemOf(await value(), 'EGG')).toMatchObject({ onHand: 0.4, averageCostMinor: '120', valueMinor: '48' });
  });

  it('by location and by lot: quantity there × the item average; the lot carries its id for the passport', async () => {
    const byLoc = await value('?by=location');
    expect(byLoc.by).toBe('location');
    const flour = byLoc.groups.filter((g: any) => g.item === 'FLOUR').map((g: any) => [g.location, g.onHand, g.valueMinor]);
    expect(flour).toEqual([['bin-a', 6, '690'], ['dry', 10, '1150']]);
    const byLot = await value('?by=lot');
    const milk = byLot.groups.filter((g: any) => g.item === 'MILK');
    // (5 × 0.90 + 3 × 1.10) / 8 = 0.975
    expect(milk.map((g: any) => [g.lot, g.onHand, g.averageCostMinor, g.valueMinor])).toEqual([['M1', 5, '97.5', '487.5'], ['M2', 3, '97.5', '292.5']]);
    expect(typeof milk[0].lotId).toBe('number');
    expect(byLot.totals).toEqual((await value()).totals);
  });

  it('totals per currency are the sum of the items, exactly', async () => {
    const v = await value();
    // FLOUR 1840 + MILK 780 + EGG 48
    expect(v.totals).toEqual([{ currency: 'EUR', valueMinor: '2668' }]);
  });

  it('as report files (cost roles only): stock value by lot and COGS, money in major units, exact', async () => {
    const stock = await f.as('finance', 'GET', '/api/reports/stock-value.csv?locale=en');
    expect(stock.status).toBe(200);
    const lines = String(stock.json).replace(/^\uFEFF/, '').split('\r\n');
    expect(lines[0]).toBe('item,name,lot,lot on hand,average cost,value,currency');
    // the same figures as ?by=lot above: MILK lots at 0.975, FLOUR 16 × 1.15
    expect(lines).toContain('MILK,MILK,M1,5,0.975,4.875,EUR');
    expect(lines).toContain('MILK,MILK,M2,3,0.975,2.925,EUR');
    expect(lines.filter((l) => l.startsWith('FLOUR,'))).toEqual(['FLOUR,FLOUR,,16,1.15,18.40,EUR']);
    const cogs = await f.as('finance', 'GET', '/api/reports/cogs.csv?locale=zh-CN');
    expect(cogs.status).toBe(200);
    const cl = String(cogs.json).replace(/^\uFEFF/, '').split('\r\n');
    expect(cl[0]).toBe('时间,物料,名称,批次,销售单,客户,数量,单位成本,销售成本,收入,毛利,币种');
    expect(cl.some((l) => /,FLOUR,FLOUR,,\d+,shop,4,1.15,4.60,8.00,3.40,EUR$/.test(l))).toBe(true);
    for (const role of ['warehouse', 'sales', 'viewer'] as const) {
      expect((await f.as(role, 'GET', '/api/reports/stock-value.csv')).status).toBe(403);
      expect((await f.as(role, 'GET', '/api/reports/cogs.csv')).status).toBe(403);
    }
  });
});

describe(`stock that arrives without a purchase order (${engineLabel})`, () => {
  it('a receipt by hand takes the master-data cost when there is no history, else it is flagged unpriced at 0', async () => {
    await seedItem(f, { sku: 'SALT', costMinor: 50 });
    await seedItem(f, { sku: 'PEPPER' });
    await ok(f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'SALT', to: 'dry', qty: 2 }), 201);
    await ok(f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'PEPPER', to: 'dry', qty: 1 }), 201);
    const v = await value();
    expect(itemOf(v, 'SALT')).toMatchObject({ onHand: 2, averageCostMinor: '50', valueMinor: '100', unpriced: false });
    expect(itemOf(v, 'PEPPER')).toMatchObject({ onHand: 1, averageCostMinor: '0', valueMinor: '0', unpriced: true });
    // a later receipt against an order blends in at the order price as usual
    await receivedPo('mill', [{ item: 'SALT', qty: 2, priceMinor: 70, to: 'dry' }]);
    expect(itemOf(await value(), 'SALT')).toMatchObject({ onHand: 4, averageCostMinor: '60', valueMinor: '240' });
  });
});

describe(`COGS, payables and receivables (${engineLabel})`, () => {
  it('COGS per shipment line: qty, unit cost, COGS, revenue at the order price, margin', async () => {
    const c = await ok(f.as('finance', 'GET', `/api/valuation/cogs?from=${today()}&to=${today()}`));
    expect(c.lines.map((l: any) => [l.kind, l.item, l.salesOrder, l.customer, l.qty, l.unitCostMinor, l.cogsMinor, l.revenueMinor, l.marginMinor]))
      .toEqual([['shipment', 'FLOUR', so1, 'shop', 4, '115', '460', '800', '340']]);
    expect(c.totals).toEqual([{ currency: 'EUR', qty: 4, cogsMinor: '460', revenueMinor: '800', marginMinor: '340', unpricedLines: 0 }]);
    const earlier = await ok(f.as('purchasing', 'GET', '/api/valuation/cogs?from=2001-01-01&to=2001-01-31'));
    expect(earlier.lines).toEqual([]);
  });

  it('a return that reverses a shipment comes back at that shipment cost: a negative COGS line', async () => {
    const ret = await ok(f.as('sales', 'POST', '/api/returns', { salesOrder: so1, reason: 'torn bag', lines: [{ item: 'FLOUR', qty: 1 }] }), 201);
    await ok(f.as('warehouse', 'POST', `/api/returns/${ret.id}/receive`, { location: 'dry' }));
    const c = await ok(f.as('finance', 'GET', `/api/valuation/cogs?from=${today()}&to=${today()}`));
    expect(c.lines.map((l: any) => [l.kind, l.qty, l.cogsMinor, l.revenueMinor])).toEqual([['shipment', 4, '460', '800'], ['return', -1, '-115', '-200']]);
    expect(c.totals[0]).toMatchObject({ qty: 3, cogsMinor: '345', revenueMinor: '600', marginMinor: '255' });
    expect(itemOf(await value(), 'FLOUR')).toMatchObject({ onHand: 17, averageCostMinor: '115', valueMinor: '1955' });
  });

  it('payables: received value at the PO price per supplier; the finance pay task done by hand marks an order paid', async () => {
    let p = await ok(f.as('finance', 'GET', '/api/valuation/payables'));
    const mill = () => p.suppliers.find((s: any) => s.supplier === 'mill');
    expect(mill()).toMatchObject({ name: 'Mill Ltd', currency: 'EUR', receivedMinor: '2741', paidMinor: '0', openMinor: '2741' });
    expect(p.suppliers.find((s: any) => s.supplier === 'dairy')).toMatchObject({ receivedMinor: '816', openMinor: '816' });
    const pay = (await ok(f.as('finance', 'GET', '/api/tasks'))).find((t: any) => t.action === 'pay' && t.documentId === po1);
    await ok(f.as('finance', 'POST', `/api/tasks/${pay.id}/done`, {}));
    // closing an order closes its open tasks as a side effect of the workflow: that is no payment
    await ok(f.as('purchasing', 'POST', `/api/purchase-orders/${po2}/close`, {}));
    p = await ok(f.as('finance', 'GET', '/api/valuation/payables'));
    expect(mill()).toMatchObject({ receivedMinor: '2741', paidMinor: '1000', openMinor: '1741' });
    expect(mill().orders.filter((o: any) => o.paid).map((o: any) => o.id)).toEqual([po1]);
    expect(mill().orders.find((o: any) => o.id === po2)).toMatchObject({ status: 'closed', paid: false, receivedMinor: '1300' });
    expect(p.totals).toEqual([{ currency: 'EUR', openMinor: '2557' }]);
  });

  it('receivables: shipped value at the SO price per customer, less returns', async () => {
    const r = await ok(f.as('finance', 'GET', '/api/valuation/receivables'));
    expect(r.customers).toEqual([expect.objectContaining({ customer: 'shop', name: 'Corner shop', shippedMinor: '800', returnedMinor: '200', openMinor: '600' })]);
    expect(r.customers[0].orders).toEqual([expect.objectContaining({ id: so1, status: 'shipped', openMinor: '600', invoiced: false })]);
    expect(r.totals).toEqual([{ currency: 'EUR', openMinor: '600' }]);
  });
});

describe(`who may see cost, and bad input (${engineLabel})`, () => {
  it('roles outside COST_ROLES get a coded 403 on every valuation route; purchasing and admin get through', async () => {
    for (const path of ['/api/valuation', '/api/valuation/cogs', '/api/valuation/payables', '/api/valuation/receivables']) {
      for (const role of ['sales', 'warehouse', 'viewer', 'qa'] as const) {
        const r = await f.as(role, 'GET', path);
        expect([path, role, r.status, r.json.code]).toEqual([path, role, 403, 'SP_ERR_FORBIDDEN']);
      }
      expect((await f.as(null, 'GET', path)).status).toBe(401);
      expect((await f.as('purchasing', 'GET', path)).status).toBe(200);
      expect((await f.as('admin', 'GET', path)).status).toBe(200);
    }
  });

  it.each([
    ['/api/valuation?by=bin', 'querystring.by'],
    ['/api/valuation?at=yesterday', 'querystring.at'],
    ['/api/valuation?at=1999-12-31T00:00:00Z', 'querystring.at'],
    ['/api/valuation/cogs?from=2026-13-01', 'querystring.from'],
    ['/api/valuation/cogs?to=tomorrow', 'querystring.to'],
    ['/api/valuation/cogs?from=2026-02-01&to=2026-01-01', 'querystring.from'],
  ])('%s → 400 naming %s', async (url, field) => {
    const r = await f.as('finance', 'GET', url);
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('SP_ERR_VALIDATION');
    expect(r.json.details.map((d: any) => d.field)).toContain(field);
  });
});
