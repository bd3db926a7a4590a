import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../cloud/db/engine.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';
import { dayRange } from '../../../cloud/planning/analytics/range.ts';
import { supplierOnTime } from '../../../cloud/planning/analytics/supplier-on-time.ts';
import { priceTrend } from '../../../cloud/planning/analytics/price-trend.ts';
import { turnover } from '../../../cloud/planning/analytics/turnover.ts';
import { salesTrend } from '../../../cloud/planning/analytics/sales-trend.ts';
import { DAY, post, utc } from '../../helpers/planning-history.ts';

// Analytics on a small known history; every expected figure is worked out in the comments.

let tdb: TestDatabase;
let f: ApiFixture;

/**
 * A purchase order from the past, written as the workflow records one (documents row +
 * document_events): the workflow stamps events with the database clock, so a history older
 * than the test run can only be laid down this way. Events: approved at 10:00 on approvedOn,
 * fully received at 15:00 on receivedOn (if given).
 */
async function pastPurchaseOrder(db: Db, o: { supplier: string; lines: { item: string; qty: number; priceMinor: number }[]; approvedOn: string; receivedOn?: string; status?: string }) {
  const status = o.status ?? (o.receivedOn ? 'received' : 'approved');
  const [d] = await db.query<{ id: string }>(
    `INSERT INTO documents (type, status, partner, amount_minor, currency, lines, data, created_by) VALUES ('purchase_order', $1, $2, $3, 'EUR', $4::jsonb, '{}'::jsonb, 'history') RETURNING id`,
    [status, o.supplier, o.lines.reduce((a, l) => a + l.qty * l.priceMinor, 0), JSON.stringify(o.lines)]);
  const ev = (action: string, from: string | null, to: string, at: number) => db.query(
    `INSERT INTO document_events (document_id, action, from_status, to_status, actor, role, at) VALUES ($1,$2,$3,$4,'history','purchasing',$5)`,
    [d!.id, action, from, to, new Date(at)]);
  const approved = utc(o.approvedOn) + 10 * 3600_000;
  await ev('create', null, 'draft', approved - DAY);
  if (status !== 'draft') {
    await ev('submit', 'draft', 'submitted', approved - 3600_000);
    await ev('approve', 'submitted', 'approved', approved);
  }
  if (o.receivedOn) await ev('receive', 'approved', 'received', utc(o.receivedOn) + 15 * 3600_000);
  return Number(d!.id);
}

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  await seedLocations(f);
  await seedItem(f, { sku: 'FLOUR', name: 'Flour', unit: 'kg', leadTimeDays: 5 });
  await seedItem(f, { sku: 'SUGAR', name: 'Sugar', unit: 'kg', leadTimeDays: 2 });
  await seedItem(f, { sku: 'SALT', name: 'Salt', unit: 'kg', costMinor: 200 });
  await seedItem(f, { sku: 'BREAD', name: 'Bread', unit: 'pcs' });
  for (const id of ['MILL-A', 'MILL-B']) expect((await f.as('purchasing', 'POST', '/api/suppliers', { id, name: `${id} Ltd` })).status).toBe(201);

  // purchase orders (lead times: FLOUR 5 days, SUGAR 2 days)
  await pastPurchaseOrder(tdb.db, { supplier: 'MILL-A', lines: [{ item: 'FLOUR', qty: 100, priceMinor: 120 }], approvedOn: '2026-03-02', receivedOn: '2026-03-06' }); // due 03-07: on time
  await pastPurchaseOrder(tdb.db, { supplier: 'MILL-A', lines: [{ item: 'FLOUR', qty: 50, priceMinor: 130 }], approvedOn: '2026-03-09', receivedOn: '2026-03-16' });  // due 03-14: 2 days late
  await pastPurchaseOrder(tdb.db, { supplier: 'MILL-B', lines: [{ item: 'SUGAR', qty: 20, priceMinor: 80 }], approvedOn: '2026-03-10', receivedOn: '2026-03-12' });   // due 03-12: on time (same day)
  await pastPurchaseOrder(tdb.db, { supplier: 'MILL-B', lines: [{ item: 'SUGAR', qty: 10, priceMinor: 90 }], approvedOn: '2026-03-20' });                            // due 03-22, open on 04-15: 24 days overdue
  await pastPurchaseOrder(tdb.db, { supplier: 'MILL-A', lines: [{ item: 'FLOUR', qty: 100, priceMinor: 150 }], approvedOn: '2026-04-10' });                          // due 04-15, open on 04-15: pending
  await pastPurchaseOrder(tdb.db, { supplier: 'MILL-A', lines: [{ item: 'FLOUR', qty: 1, priceMinor: 999 }], approvedOn: '2026-03-05', status: 'draft' });           // never approved: no purchase

  // SALT stock: 100 received before March; 10 shipped a day 03-01 … 03-05; 30 received 03-06; a transfer 03-07
  await post(tdb.db, { kind: 'receipt', item: 'SALT', to: 'dry', qty: 100, at: '2026-02-20T08:00:00Z' });
  for (let d = 1; d <= 5; d++) await post(tdb.db, { kind: 'shipment', item: 'SALT', from: 'dry', qty: 10, at: `2026-03-0${d}T12:00:00Z` });
  await post(tdb.db, { kind: 'receipt', item: 'SALT', to: 'dry', qty: 30, at: '2026-03-06T08:00:00Z' });
  await post(tdb.db, { kind: 'transfer', item: 'SALT', from: 'dry', to: 'chiller', qty: 30, at: '2026-03-07T08:00:00Z' });

  // BREAD: 8 weeks from Monday 2026-01-05, shipped each Wednesday 10, 12, 14, … 24; consumption is not a sale
  await post(tdb.db, { kind: 'receipt', item: 'BREAD', to: 'dry', qty: 1000, at: '2026-01-01T08:00:00Z' });
  for (let w = 0; w < 8; w++) {
    await post(tdb.db, { kind: 'shipment', item: 'BREAD', from: 'dry', qty: 10 + 2 * w, at: new Date(utc('2026-01-07') + w * 7 * DAY + 12 * 3600_000).toISOString() });
  }
  await post(tdb.db, { kind: 'consumption', item: 'BREAD', from: 'dry', qty: 50, at: '2026-01-14T15:00:00Z' });
}, 120_000);

afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
});

const APRIL_15 = utc('2026-04-15') + 9 * 3600_000;

describe(`analytics (${engineLabel})`, () => {
  it('supplier on-time rate: delivered by approval + lead time; open and past due is late', async () => {
    const r = await supplierOnTime(tdb.db, dayRange({ from: '2026-03-01', to: '2026-04-30' }, APRIL_15));
    // MILL-A: on time 1, late 1 (2 days), pending 1 → 1 / 2 = 0.5
    // MILL-B: on time 1, overdue 1 (04-15 − 03-22 = 24 days) → 0.5
    expect(r.suppliers).toEqual([
      { supplier: 'MILL-A', name: 'MILL-A Ltd', orders: 3, onTime: 1, late: 1, overdue: 0, pending: 1, onTimeRate: 0.5, avgDelayDaysWhenLate: 2 },
      { supplier: 'MILL-B', name: 'MILL-B Ltd', orders: 2, onTime: 1, late: 0, overdue: 1, pending: 0, onTimeRate: 0.5, avgDelayDaysWhenLate: 24 },
    ]);
    expect(r.orders.map((o) => [o.expectedOn, o.outcome, o.delayDays])).toEqual([
      ['2026-03-07', 'on_time', 0], ['2026-03-14', 'late', 2], ['2026-03-12', 'on_time', 0], ['2026-03-22', 'overdue', 24], ['2026-04-15', 'pending', 0],
    ]);
    // only March: the pending April order drops out
    const march = await supplierOnTime(tdb.db, dayRange({ from: '2026-03-01', to: '2026-03-31' }, APRIL_15));
    expect(march.suppliers.find((s) => s.supplier === 'MILL-A')).toMatchObject({ orders: 2, onTimeRate: 0.5 });
  });

  it('purchase price trend: quantity-weighted per month, drafts left out', async () => {
    const r = await priceTrend(tdb.db, dayRange({ from: '2026-03-01', to: '2026-04-30' }));
    const flour = r.items.find((i) => i.item === 'FLOUR')!;
    // March: (100·120 + 50·130) / 150 = 18 500 / 150 = 123.33; April: 150
    expect(flour.points).toEqual([
      { month: '2026-03', avgPriceMinor: 123.33, minPriceMinor: 120, maxPriceMinor: 130, qty: 150, orders: 2 },
      { month: '2026-04', avgPriceMinor: 150, minPriceMinor: 150, maxPriceMinor: 150, qty: 100, orders: 1 },
    ]);
    // (150 − 123.33) / 123.33 = 21.62 %
    expect(flour.changePct).toBeCloseTo(21.62, 1);
    // SUGAR in March: (20·80 + 10·90) / 30 = 83.33
    expect(r.items.find((i) => i.item === 'SUGAR')!.points).toEqual([{ month: '2026-03', avgPriceMinor: 83.33, minPriceMinor: 80, maxPriceMinor: 90, qty: 30, orders: 2 }]);
  });

  it('turnover days: average on hand over demand per day', async () => {
    const r = await turnover(tdb.db, dayRange({ from: '2026-03-01', to: '2026-03-10' }), { withCost: true });
    // end-of-day on hand 03-01 … 03-10: 90 80 70 60 50 80 80 80 80 80 → 750 / 10 = 75 (the transfer moves, it does not change the total)
    // outflow 50 → turnover 50 / 75 = 0.6667; days = 75 / (50 / 10) = 15
    expect(r.items.find((i) => i.item === 'SALT')).toMatchObject({ avgOnHand: 75, closingOnHand: 80, outflow: 50, turnover: 0.6667, turnoverDays: 15 });
    expect(r.items.find((i) => i.item === 'FLOUR')).toMatchObject({ avgOnHand: 0, outflow: 0, turnoverDays: null });
    // cost-weighted total: only SALT has a cost (200): 75·200 = 15 000; 15 000 / (50·200 / 10) = 15 days
    expect(r.total).toEqual({ basis: 'items.cost_minor', avgStockValueMinor: 15000, turnoverDays: 15 });
    expect((await turnover(tdb.db, dayRange({ from: '2026-03-01', to: '2026-03-10' }), { withCost: false })).total).toBeUndefined();
  });

  it('sales trend: weekly shipments and a Holt forecast that continues the line', async () => {
    const r = await salesTrend(tdb.db, dayRange({ from: '2026-01-05', to: '2026-03-01' }), 'BREAD', 4);
    // 8 full weeks 10, 12, … 24 (the consumption of 50 is not a sale); +2 a week → 26, 28, 30, 32
    expect(r.weeks.map((w) => w.qty)).toEqual([10, 12, 14, 16, 18, 20, 22, 24]);
    expect(r.weeks.every((w) => !w.partial)).toBe(true);
    expect(r.model).toMatchObject({ method: 'holt-linear', level: 24, trend: 2, sse: 0, fittedWeeks: 8 });
    expect(r.forecast).toEqual([
      { weekStart: '2026-03-02', qty: 26 }, { weekStart: '2026-03-09', qty: 28 }, { weekStart: '2026-03-16', qty: 30 }, { weekStart: '2026-03-23', qty: 32 },
    ]);
    // a period ending mid-week: that week is shown as partial and not fitted
    const cut = await salesTrend(tdb.db, dayRange({ from: '2026-01-05', to: '2026-02-25' }), 'BREAD', 1);
    expect(cut.weeks.at(-1)).toMatchObject({ weekStart: '2026-02-23', partial: true, qty: 24 });
    expect(cut.model.fittedWeeks).toBe(7);
    expect(cut.forecast).toEqual([{ weekStart: '2026-02-23', qty: 24 }]);
  });

  it('count accuracy from an approved count session', async () => {
    await post(tdb.db, { kind: 'receipt', item: 'FLOUR', to: 'bin-a', qty: 50 });
    await post(tdb.db, { kind: 'receipt', item: 'SUGAR', to: 'bin-b', qty: 20 });
    const s = await f.as('warehouse', 'POST', '/api/count-sessions', { location: 'site-1' });
    expect(s.status).toBe(201);
    // counted: FLOUR 48 of 50 (−2), SUGAR 20 of 20, SALT 50 of 50 in the dry store and 30 of 30 in the chiller (moved 03-07)
    const lines = [
      { item: 'FLOUR', location: 'bin-a', counted: 48 },
      { item: 'SUGAR', location: 'bin-b', counted: 20 },
      { item: 'SALT', location: 'dry', counted: 50 },
      { item: 'SALT', location: 'chiller', counted: 30 },
    ];
    expect((await f.as('warehouse', 'POST', `/api/count-sessions/${s.json.id}/submit`, { lines })).status).toBe(200);
    expect((await f.as('finance', 'POST', `/api/count-sessions/${s.json.id}/approve`, {})).status).toBe(200);
    const r = await f.as('warehouse', 'GET', '/api/analytics/count-accuracy');
    expect(r.status).toBe(200);
    // 4 lines, 3 exact → 0.75; expected 50 + 20 + 50 + 30 = 150, |diff| 2 → 1 − 2/150 = 0.9867
    expect(r.json.overall).toEqual({ sessions: 1, lines: 4, exactLines: 3, lineAccuracy: 0.75, expectedQty: 150, absDiffQty: 2, qtyAccuracy: 0.9867 });
    expect(r.json.sessions[0]).toMatchObject({ id: s.json.id, location: 'site-1', lineAccuracy: 0.75 });
  });

  it('the API: cost only for cost roles, 400 naming the field', async () => {
    expect((await f.as('sales', 'GET', '/api/analytics/price-trend')).status).toBe(403);
    const price = await f.as('purchasing', 'GET', '/api/analytics/price-trend?from=2026-03-01&to=2026-04-30&item=SUGAR');
    expect(price.status).toBe(200);
    expect(price.json.items).toHaveLength(1);
    const wh = await f.as('warehouse', 'GET', '/api/analytics/turnover?from=2026-03-01&to=2026-03-10');
    expect(wh.status).toBe(200);
    expect(wh.json.total).toBeUndefined();
    expect((await f.as('finance', 'GET', '/api/analytics/turnover?from=2026-03-01&to=2026-03-10')).json.total.turnoverDays).toBe(15);
    const onTime = await f.as('viewer', 'GET', '/api/analytics/supplier-on-time?from=2026-03-01&to=2026-03-31');
    expect(onTime.json.suppliers.map((s: { supplier: string }) => s.supplier)).toEqual(['MILL-A', 'MILL-B']);
    const sales = await f.as('sales', 'GET', '/api/analytics/sales-trend?item=BREAD&from=2026-01-05&to=2026-03-01&horizon=2');
    expect(sales.json.forecast.map((x: { qty: number }) => x.qty)).toEqual([26, 28]);
    const noItem = await f.as('sales', 'GET', '/api/analytics/sales-trend');
    expect(noItem.status).toBe(400);
    expect(noItem.json.details[0].field).toBe('querystring.item');
    const backwards = await f.as('viewer', 'GET', '/api/analytics/count-accuracy?from=2026-05-01&to=2026-04-01');
    expect(backwards.status).toBe(400);
    expect(backwards.json.details[0].field).toBe('querystring.from');
    expect((await f.as('sales', 'GET', '/api/analytics/sales-trend?item=NOPE')).status).toBe(404);
  });
});
