import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';
import { runReplenishment } from '../../../cloud/planning/replenishment.ts';
import { replenishmentJob } from '../../../cloud/planning/job.ts';
import { DAY, post, utc } from '../../helpers/planning-history.ts';

// The explanation API (who sees what, validation), supplier choice, an item with a short
// history, and two runs at the same moment (two cloud instances) opening one draft only.

const NOW = new Date('2026-06-03T06:00:00Z');   // a Wednesday

let tdb: TestDatabase;
let f: ApiFixture;

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  await seedLocations(f);
  // SUGAR: 10 kg a day for the last 20 days only (the item is new), 15 kg left, lead time 4 days
  await seedItem(f, { sku: 'SUGAR', name: 'Sugar', unit: 'kg', leadTimeDays: 4 });
  // SALT: no demand at all, but a configured safety stock of 8 and nothing on hand
  await seedItem(f, { sku: 'SALT', name: 'Salt', unit: 'kg', leadTimeDays: 3, safetyStock: 8 });
  for (const [id, sugar] of [['S-CHEAP', 90], ['S-DEAR', 95]] as const) {
    expect((await f.as('purchasing', 'POST', '/api/suppliers', { id, name: id })).status).toBe(201);
    expect((await f.as('purchasing', 'POST', `/api/suppliers/${id}/prices`, { item: 'SUGAR', priceMinor: sugar, validFrom: '2026-01-01' })).status).toBe(200);
  }
  const first = utc('2026-06-03') - 20 * DAY;
  await post(tdb.db, { kind: 'receipt', item: 'SUGAR', to: 'dry', qty: 215, at: new Date(first).toISOString() });
  for (let t = first; t < utc('2026-06-03'); t += DAY) {
    await post(tdb.db, { kind: 'shipment', item: 'SUGAR', from: 'dry', qty: 10, at: new Date(t + 10 * 3600_000).toISOString() });
  }
}, 120_000);

afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
});

describe(`replenishment API and edge cases (${engineLabel})`, () => {
  it('two runs at the same moment open one draft per item', async () => {
    const [a, b] = await Promise.all([runReplenishment(tdb.db, { now: NOW }), runReplenishment(tdb.db, { now: NOW })]);
    expect(a.drafts_created + b.drafts_created).toBe(1);   // SUGAR only: SALT has no supplier
    expect(a.alerts_raised + b.alerts_raised).toBe(2);     // SUGAR and SALT, once each
    const pos = (await f.as('purchasing', 'GET', '/api/purchase-orders')).json as { partner: string; lines: { item: string; qty: number; priceMinor: number }[] }[];
    expect(pos).toHaveLength(1);
    // no preferred supplier: the cheapest current price
    expect(pos[0]).toMatchObject({ partner: 'S-CHEAP', lines: [{ item: 'SUGAR', priceMinor: 90 }] });
  });

  it('explains the suggestion: a young item is measured from its first movement', async () => {
    const r = await f.as('purchasing', 'GET', '/api/replenishment?status=reorder');
    expect(r.status).toBe(200);
    const sugar = r.json.plans.find((p: { item: string }) => p.item === 'SUGAR');
    // 20 days of 10 kg (not 182 days with 162 zeros): d̄ = 10, σ = 0; flat seasonal index (< 21 days)
    expect(sugar.explanation.inputs.demand).toMatchObject({ from: '2026-05-14', to: '2026-06-02', days: 20, total: 200 });
    expect(sugar.explanation.inputs).toMatchObject({ dBar: 10, sigma: 0, leadTimeDays: 4, available: 15, onOrder: 0 });
    expect(sugar.explanation.inputs.seasonality).toMatchObject({ method: 'flat', indexUsed: 1 });
    // SS = 1.645 · 0 · √4 = 0; ROP = 10 · 1 · 4 + 0 = 40; order up to 40 + 10 · 14 = 180 → 180 − 15 = 165
    expect(sugar).toMatchObject({ safetyStock: 0, reorderPoint: 40, suggestedQty: 165, purchaseOrderStatus: 'draft', alert: { state: 'active' } });
    expect(sugar.explanation.inputs.supplier).toMatchObject({ id: 'S-CHEAP', chosen: 'cheapest', priceMinor: 90 });
    expect(sugar.explanation.formula.reorderPoint.formula).toBe('d̄·s·L + SS');

    // SALT: no demand, the configured safety stock is the floor; no supplier → alert, no draft, and why
    const salt = r.json.plans.find((p: { item: string }) => p.item === 'SALT');
    expect(salt).toMatchObject({ safetyStock: 8, reorderPoint: 8, purchaseOrder: null, alert: { state: 'active' } });
    expect(salt.explanation.purchaseOrder.note).toMatch(/no supplier/);
  });

  it('only cost roles see the supplier price; sales may not read plans', async () => {
    const wh = await f.as('warehouse', 'GET', '/api/replenishment?item=SUGAR');
    expect(wh.status).toBe(200);
    expect(wh.json.plans[0].explanation.inputs.supplier).toEqual({ id: 'S-CHEAP', chosen: 'cheapest', currency: 'EUR' });
    expect((await f.as('finance', 'GET', '/api/replenishment?item=SUGAR')).json.plans[0].explanation.inputs.supplier.priceMinor).toBe(90);
    expect((await f.as('sales', 'GET', '/api/replenishment')).status).toBe(403);
  });

  it('bad input is a 400 naming the field; an unknown item is a 404', async () => {
    const bad = await f.as('purchasing', 'GET', '/api/replenishment?status=maybe');
    expect(bad.status).toBe(400);
    expect(bad.json.details[0].field).toBe('querystring.status');
    const level = await f.as('purchasing', 'PUT', '/api/replenishment/items/SUGAR', { serviceLevel: 1.5 });
    expect(level.status).toBe(400);
    expect(level.json.details[0].field).toBe('body.serviceLevel');
    const sup = await f.as('purchasing', 'PUT', '/api/replenishment/items/SUGAR', { preferredSupplier: 'NOBODY' });
    expect(sup.status).toBe(400);
    expect(sup.json.details[0]).toMatchObject({ field: 'body.preferredSupplier' });
    expect((await f.as('purchasing', 'PUT', '/api/replenishment/items/NOPE', { serviceLevel: 0.9 })).status).toBe(404);
  });

  it('runs as a job through POST /api/jobs/replenishment/run', async () => {
    expect(replenishmentJob.schedule).toBe('15 2 * * *');
    const r = await f.as('admin', 'POST', '/api/jobs/replenishment/run', {});
    expect([200, 201]).toContain(r.status);
    expect(JSON.stringify(r.json)).toContain('drafts_created');
    // it ran with today's clock: still one open draft for SUGAR, none added
    expect(((await f.as('purchasing', 'GET', '/api/purchase-orders')).json as unknown[])).toHaveLength(1);
  });
});
