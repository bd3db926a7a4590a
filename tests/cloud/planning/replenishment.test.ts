import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';
import { JobRunner } from '../../../cloud/jobs/runner.ts';
import { replenishmentJob } from '../../../cloud/planning/job.ts';
import { jobs as registeredJobs } from '../../../cloud/jobs/registry.ts';
import { DAY, post, utc } from '../../helpers/planning-history.ts';

// Replenishment on a known demand series, through the real job runner with an injected clock.
//
// The series: 182 days (26 whole weeks) before Monday 2026-06-01, with a fixed weekday
// pattern Mon..Sun = 10, 10, 10, 10, 20, 30, 0 (kg). Tuesdays are consumption, the other days
// shipments; one Friday ships 25 and 5 of it is reversed (net 20); a transfer between zones
// must not count as demand. Lead time L = 5 days, service level 95 %.

const NOW = new Date('2026-06-01T03:00:00Z');        // a Monday
const PATTERN = [10, 10, 10, 10, 20, 30, 0];          // Mon..Sun
const WINDOW_DAYS = 182;
const L = 5;

// ---- the expected figures, computed here by hand from the pattern (not by the code under test)
// d̄ = weekly total / 7 = 90 / 7
const D_BAR = 90 / 7;
// σ: sample SD of 182 values, 26 of each weekday value: Σ(y − d̄)² = 26 · Σ_k (p_k − d̄)², over n − 1 = 181
const SIGMA = Math.sqrt((26 * PATTERN.reduce((a, p) => a + (p - D_BAR) ** 2, 0)) / 181);
// z for 95 % from the normal table
const Z95 = 1.6448536269514722;
// Seasonal index: the pattern repeats exactly, so every centred 7-day average is 90/7 and the
// weekday index is p_k / (90/7) (it already averages 1). The lead time covers Mon..Fri from
// today, so d̄·s·L = the demand of Mon..Fri = 10+10+10+10+20 = 60.
const LEAD_DEMAND = 60;
const SS = Z95 * SIGMA * Math.sqrt(L);
const ROP = LEAD_DEMAND + SS;
// stock left: 2 390 received − 2 345 shipped/consumed + 5 taken back = 50
const AVAILABLE = 50;
// order up to ROP + d̄·14 (cover days), rounded up to a whole kg
const SUGGESTED = Math.ceil(ROP + D_BAR * 14 - AVAILABLE);

let tdb: TestDatabase;
let f: ApiFixture;
let runner: JobRunner;

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  await seedLocations(f);
  await seedItem(f, { sku: 'FLOUR', name: 'Flour T55', unit: 'kg', leadTimeDays: L });
  await seedItem(f, { sku: 'YEAST', name: 'Yeast', unit: 'kg' });   // no lead time: skipped with a reason
  for (const [id, price] of [['MILL-A', 120], ['MILL-B', 100]] as const) {
    expect((await f.as('purchasing', 'POST', '/api/suppliers', { id, name: id })).status).toBe(201);
    expect((await f.as('purchasing', 'POST', `/api/suppliers/${id}/prices`, { item: 'FLOUR', priceMinor: price, validFrom: '2026-01-01' })).status).toBe(200);
  }
  const start = utc('2026-06-01') - WINDOW_DAYS * DAY;
  await post(tdb.db, { kind: 'receipt', item: 'FLOUR', to: 'dry', qty: 2390, at: new Date(start - DAY).toISOString() });
  let reversedOnce = false;
  for (let t = start; t < utc('2026-06-01'); t += DAY) {
    const wd = (new Date(t).getUTCDay() + 6) % 7;     // Monday = 0
    const at = new Date(t + 12 * 3600_000).toISOString();
    if (!PATTERN[wd]) continue;
    if (wd === 4 && !reversedOnce) {
      reversedOnce = true;
      const id = await post(tdb.db, { kind: 'shipment', item: 'FLOUR', from: 'dry', qty: 25, at });
      await post(tdb.db, { kind: 'adjustment', item: 'FLOUR', to: 'dry', qty: 5, reverses: id, at: new Date(t + 13 * 3600_000).toISOString() });
      continue;
    }
    await post(tdb.db, { kind: wd === 1 ? 'consumption' : 'shipment', item: 'FLOUR', from: 'dry', qty: PATTERN[wd], at });
  }
  await post(tdb.db, { kind: 'transfer', item: 'FLOUR', from: 'dry', to: 'chiller', qty: 10, at: new Date(start + 40 * DAY).toISOString() });
  await post(tdb.db, { kind: 'transfer', item: 'FLOUR', from: 'chiller', to: 'dry', qty: 10, at: new Date(start + 41 * DAY).toISOString() });
  runner = new JobRunner({ db: tdb.db, jobs: [replenishmentJob], log: pino({ level: 'silent' }), clock: () => NOW });
}, 120_000);

afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
});

const run = async () => {
  const out = await runner.runNow('replenishment');
  if (!out.ran) throw new Error(`job did not run: ${out.reason}`);
  expect(out.run.status, out.run.error ?? '').toBe('succeeded');
  return out.run.counts;
};
const plan = async (sku: string) => (await f.as('purchasing', 'GET', `/api/replenishment?item=${sku}`)).json.plans[0];
const purchaseOrders = async () => (await f.as('purchasing', 'GET', '/api/purchase-orders')).json as { id: number; status: string; partner: string; lines: { item: string; qty: number; priceMinor: number }[] }[];

describe(`replenishment (${engineLabel})`, () => {
  it('is registered with the job runner', () => {
    expect(registeredJobs.map((j) => j.name)).toContain('replenishment');
  });

  it('gives the hand-computed safety stock and reorder point, a low_stock alert and one draft order', async () => {
    expect((await f.as('purchasing', 'PUT', '/api/replenishment/items/FLOUR', { preferredSupplier: 'MILL-A' })).status).toBe(200);
    const counts = await run();
    expect(counts).toMatchObject({ items: 2, below_reorder_point: 1, drafts_created: 1, alerts_raised: 1, skipped: 1 });

    const p = await plan('FLOUR');
    const e = p.explanation;
    expect(p.status).toBe('reorder');
    expect(e.inputs.demand).toMatchObject({ from: '2025-12-01', to: '2026-05-31', days: 182, total: 2340 });
    expect(e.inputs.dBar).toBeCloseTo(D_BAR, 5);
    expect(e.inputs.sigma).toBeCloseTo(SIGMA, 5);
    expect(e.inputs.z).toBeCloseTo(Z95, 5);
    expect(e.inputs.leadTimeDays).toBe(L);
    expect(e.inputs.seasonality.granularity).toBe('day-of-week');
    expect(e.inputs.seasonality.indices.sat).toBeCloseTo(30 / D_BAR, 5);
    expect(e.inputs.seasonality.indices.sun).toBeCloseTo(0, 6);
    expect(e.inputs.seasonality.leadTime.weekdays).toEqual(['mon', 'tue', 'wed', 'thu', 'fri']);
    expect(e.inputs.seasonality.indexUsed).toBeCloseTo(LEAD_DEMAND / L / D_BAR, 5);
    expect(e.inputs.available).toBe(AVAILABLE);
    expect(e.inputs.onOrder).toBe(0);
    expect(p.safetyStock).toBeCloseTo(SS, 5);
    expect(p.reorderPoint).toBeCloseTo(ROP, 5);
    expect(p.suggestedQty).toBe(SUGGESTED);
    expect(e.formula.safetyStock.value).toBeCloseTo(SS, 5);
    expect(e.formula.reorderPoint.value).toBeCloseTo(ROP, 5);
    expect(e.inputs.supplier).toMatchObject({ id: 'MILL-A', chosen: 'preferred', priceMinor: 120 });

    // the draft went through the purchase-order module: a draft for MILL-A with a submit task for purchasing
    const pos = await purchaseOrders();
    expect(pos).toHaveLength(1);
    expect(pos[0]).toMatchObject({ id: p.purchaseOrder, status: 'draft', partner: 'MILL-A', lines: [{ item: 'FLOUR', qty: SUGGESTED, priceMinor: 120 }] });
    const tasks = (await f.as('purchasing', 'GET', '/api/tasks?status=open')).json as { documentId: number; action: string; role: string }[];
    expect(tasks).toContainEqual(expect.objectContaining({ documentId: p.purchaseOrder, action: 'submit', role: 'purchasing' }));

    const alerts = (await f.as('warehouse', 'GET', '/api/alerts?state=active')).json as { id: string; rule: string; value: number; threshold: number; message: string }[];
    const low = alerts.filter((a) => a.rule === 'low_stock');
    expect(low).toHaveLength(1);
    expect(low[0]!.id).toBe(p.alert.id);
    expect(low[0]!.threshold).toBeCloseTo(ROP, 5);
    expect(low[0]!.message).toContain('FLOUR');

    const yeast = await plan('YEAST');
    expect(yeast).toMatchObject({ status: 'skipped', reason: expect.stringContaining('lead time') });
  });

  it('a re-run adds no second draft and no second alert while the order is open', async () => {
    const before = await plan('FLOUR');
    const counts = await run();
    expect(counts).toMatchObject({ drafts_created: 0, alerts_raised: 0, below_reorder_point: 1 });
    expect(await purchaseOrders()).toHaveLength(1);
    const after = await plan('FLOUR');
    expect(after.purchaseOrder).toBe(before.purchaseOrder);
    expect(after.explanation.purchaseOrder.note).toContain('already open');
    expect(((await f.as('warehouse', 'GET', '/api/alerts?state=active')).json as { rule: string }[]).filter((a) => a.rule === 'low_stock')).toHaveLength(1);
  });

  it('once approved the order counts as on order: back above the reorder point, the alert clears', async () => {
    const { purchaseOrder: id } = await plan('FLOUR');
    expect((await f.as('purchasing', 'POST', `/api/purchase-orders/${id}/submit`, {})).status).toBe(200);
    expect((await f.as('finance', 'POST', `/api/purchase-orders/${id}/approve`, {})).status).toBe(200);
    const counts = await run();
    expect(counts).toMatchObject({ drafts_created: 0, alerts_cleared: 1, below_reorder_point: 0 });
    const p = await plan('FLOUR');
    expect(p.status).toBe('ok');
    expect(p.explanation.inputs.onOrder).toBe(SUGGESTED);
    expect(p.explanation.inputs.position).toBe(AVAILABLE + SUGGESTED);
    expect(p.suggestedQty).toBe(0);
    expect(await purchaseOrders()).toHaveLength(1);
    expect(((await f.as('warehouse', 'GET', '/api/alerts?state=active')).json as { rule: string }[]).filter((a) => a.rule === 'low_stock')).toHaveLength(0);
  });

  it('the service level is configurable per item (99 % → z 2.326)', async () => {
    expect((await f.as('purchasing', 'PUT', '/api/replenishment/items/FLOUR', { serviceLevel: 0.99 })).status).toBe(200);
    await run();
    const p = await plan('FLOUR');
    expect(p.explanation.inputs.z).toBeCloseTo(2.3263478740408408, 5);
    expect(p.safetyStock).toBeCloseTo(2.3263478740408408 * SIGMA * Math.sqrt(L), 5);
  });
});
