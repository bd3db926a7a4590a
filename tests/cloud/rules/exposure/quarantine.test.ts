import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { JobRunner } from '../../../../cloud/jobs/runner.ts';
import { jobs } from '../../../../cloud/jobs/registry.ts';
import { verifyLedger } from '../../../../cloud/inventory/verify.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../../helpers/db.ts';
import { apiFixture, seedItem, type ApiFixture } from '../../../helpers/inventory-fixture.ts';
import { HOUR, MIN, iotZone, readings, withWindows } from '../../../helpers/exposure-history.ts';

// The scenario with an injected clock and a generated history: a one-hour excursion
// in the chiller (probe 1 at 11 °C, 12.5 °C peak) quarantines exactly the lots that were in the
// chiller for 30 min of it — not the lot moved in afterwards, not the one that left before,
// not the one that arrived for the last 15 minutes, not the freezer's lot (whose 20-minute
// spike is under the frozen profile's 60). Then QA releases one and rejects the other through
// the API (scrap movement in the ledger, stock figures follow), the passport API answers, and
// re-running the job changes nothing.

let tdb: TestDatabase;
let f: ApiFixture;
// a fixed hour two days ago: the job's clock is injected, the API's passport reads up to now
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 48 * HOUR;
const EXC = { from: T0 + 10 * HOUR, to: T0 + 11 * HOUR };
const RUN_AT = new Date(T0 + 24 * HOUR + 5 * MIN);
const lot: Record<string, number> = {};
const runner = () => new JobRunner({ db: tdb.db, jobs, log: pino({ level: 'silent' }), clock: () => RUN_AT });
const iso = (t: number) => new Date(t).toISOString();

async function move(body: Record<string, unknown>) {
  const r = await f.as('warehouse', 'POST', '/api/movements', { qty: 10, ...body, at: iso(body.at as number) });
  if (r.status !== 201) throw new Error(`movement ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.json)}`);
}
const stock = async (sku: string) => (await f.as('warehouse', 'GET', `/api/stock?item=${sku}`)).json[0];
const statusOf = async (code: string) => (await f.as('qa', 'GET', '/api/lots')).json.find((l: any) => l.code === code).status;
const snapshot = async () => ({
  evidence: await tdb.db.query('SELECT * FROM lot_exposure_evidence ORDER BY id'),
  history: await tdb.db.query('SELECT id, lot_id, from_status, to_status, reason FROM lot_status_history ORDER BY id'),
  lots: await tdb.db.query('SELECT id, status FROM lots ORDER BY id'),
  movements: await tdb.db.query('SELECT count(*)::int AS n FROM movements'),
});

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  for (const l of [
    { id: 'site-1', kind: 'site', name: 'Bakery' },
    { id: 'chiller', kind: 'zone', parent: 'site-1', name: 'Chiller', iotZone: 'chiller', tempLow: 2, tempHigh: 8 },
    { id: 'chiller-a', kind: 'bin', parent: 'chiller', name: 'Chiller A' },
    { id: 'chiller-b', kind: 'bin', parent: 'chiller', name: 'Chiller B' },
    { id: 'freezer', kind: 'zone', parent: 'site-1', name: 'Freezer', iotZone: 'freezer', tempHigh: -18 },
    { id: 'freezer-a', kind: 'bin', parent: 'freezer', name: 'Freezer A' },
    { id: 'dock', kind: 'zone', parent: 'site-1', name: 'Dock (not measured)' },
  ]) expect((await f.as('warehouse', 'POST', '/api/locations', l)).status).toBe(201);
  await seedItem(f, { sku: 'MILK', name: 'Milk 1 l', lotTracked: true, storageProfile: 'chilled' });
  await seedItem(f, { sku: 'PEAS', name: 'Frozen peas', lotTracked: true, storageProfile: 'frozen' });
  for (const [item, code] of [['MILK', 'A'], ['MILK', 'B'], ['MILK', 'C'], ['MILK', 'D'], ['MILK', 'E'], ['PEAS', 'P']]) {
    const r = await f.as('warehouse', 'POST', '/api/lots', { item, code });
    lot[code!] = r.json.id;
  }
  await iotZone(tdb.db, 'chiller', ['chiller-t1', 'chiller-t2'], { low: 2, high: 8 });
  await iotZone(tdb.db, 'freezer', ['freezer-t1'], { high: -18 });
  const day = { from: T0, to: T0 + 24 * HOUR };
  await readings(tdb.db, 'chiller-t1', 'chiller', day.from, day.to, MIN,
    withWindows(4, [{ from: EXC.from + 30 * MIN, to: EXC.from + 31 * MIN, value: 12.5 }, { ...EXC, value: 11 }]));
  await readings(tdb.db, 'chiller-t2', 'chiller', day.from, day.to, MIN, withWindows(4.5, [{ ...EXC, value: 7.5 }]));
  await readings(tdb.db, 'freezer-t1', 'freezer', day.from, day.to, MIN, withWindows(-20, [{ from: EXC.from, to: EXC.from + 20 * MIN, value: -14 }]));

  await move({ kind: 'receipt', item: 'MILK', lot: 'A', to: 'chiller-a', at: T0 + HOUR });            // in all along
  await move({ kind: 'receipt', item: 'MILK', lot: 'B', to: 'chiller-a', at: EXC.to + 30 * MIN });     // moved in afterwards
  await move({ kind: 'receipt', item: 'MILK', lot: 'C', to: 'chiller-a', at: T0 + HOUR });
  await move({ kind: 'transfer', item: 'MILK', lot: 'C', from: 'chiller-a', to: 'dock', at: T0 + 9 * HOUR }); // left before
  await move({ kind: 'receipt', item: 'MILK', lot: 'D', to: 'chiller-a', at: T0 + HOUR });
  await move({ kind: 'transfer', item: 'MILK', lot: 'D', from: 'chiller-a', to: 'chiller-b', at: EXC.from + 20 * MIN }); // same zone
  await move({ kind: 'receipt', item: 'MILK', lot: 'E', to: 'chiller-b', at: EXC.to - 15 * MIN });     // last 15 min only
  await move({ kind: 'receipt', item: 'PEAS', lot: 'P', to: 'freezer-a', at: T0 + HOUR });
});
afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
});

describe(`cold-chain exposure → quarantine (${engineLabel})`, () => {
  it('before the job every lot counts as available', async () => {
    expect((await stock('MILK')).available).toBe(50);
  });

  it('an excursion in the chiller quarantines exactly the lots that were in it for it, with the evidence', async () => {
    const out = await runner().runNow('cold-chain-exposure');
    expect(out.ran).toBe(true);
    if (!out.ran) return;
    expect(out.run.status).toBe('succeeded');
    expect(out.run.counts).toMatchObject({ lots_quarantined: 2, evidence_added: 2 });

    const statuses = Object.fromEntries(await Promise.all(Object.keys(lot).map(async (c) => [c, await statusOf(c)])));
    expect(statuses).toEqual({ A: 'quarantined', D: 'quarantined', B: 'available', C: 'available', E: 'available', P: 'available' });

    const ev = await tdb.db.query<any>('SELECT * FROM lot_exposure_evidence ORDER BY lot_id');
    expect(ev.map((e) => Number(e.lot_id))).toEqual([lot.A, lot.D]);
    for (const e of ev) {
      expect(e).toMatchObject({ rule: 'single_high', zone: 'chiller', location: 'chiller', sensor: 'chiller-t1', minutes: 60, max_temp: 12.5,
        threshold: 8, limit_value: 30, ongoing: false, quarantined: true, profile: 'chilled' });
      expect(new Date(e.started_at).getTime()).toBe(EXC.from);
      expect(new Date(e.ended_at).getTime()).toBe(EXC.to);
    }
    // the reason in the lot history carries the evidence too
    const hist = (await f.as('qa', 'GET', `/api/lots/${lot.A}/history`)).json;
    expect(hist.at(-1)).toMatchObject({ from: 'available', to: 'quarantined', actor: 'cold-chain-exposure' });
    expect(hist.at(-1).reason).toMatch(/chiller-t1: above 8 °C for 60 min .*max 12\.5 °C/);
    // and QA hears of it: one critical alert per quarantined lot, in the alert list like any other
    const alerts = await tdb.db.query<any>(`SELECT id, rule, severity, state, zone, message FROM alerts WHERE rule = 'lot_quarantined' ORDER BY id`);
    expect(alerts.map((a) => [a.id, a.severity, a.state, a.zone])).toEqual([[`lot:${lot.A}:quarantined:${EXC.from}`, 'critical', 'active', 'chiller'], [`lot:${lot.D}:quarantined:${EXC.from}`, 'critical', 'active', 'chiller']].sort());
    expect(alerts[0].message).toMatch(/quarantined: above range in chiller for 60 min \(12\.5 °C, sensor chiller-t1\)/);
  });

  it('quarantine takes the lots out of available to promise', async () => {
    expect(await stock('MILK')).toMatchObject({ onHand: 50, quarantined: 20, available: 30 });
    const res = await f.as('sales', 'POST', '/api/reservations', { item: 'MILK', qty: 31 });
    expect(res.status).toBe(409);
  });

  it('re-running the job for the same period changes nothing', async () => {
    const before = await snapshot();
    const out = await runner().runNow('cold-chain-exposure');
    expect(out.ran && out.run.counts).toMatchObject({ lots_quarantined: 0, evidence_added: 0, evidence_updated: 0, findings: 2 });
    expect(await snapshot()).toEqual(before);
  });

  it('the passport API: series (≤ maxPoints buckets) + summary + quarantine evidence', async () => {
    const r = await f.as('viewer', 'GET', `/api/lots/${lot.A}/exposure`);
    expect(r.status).toBe(200);
    const p = r.json;
    expect(p.lot).toMatchObject({ id: lot.A, code: 'A', item: 'MILK', status: 'quarantined' });
    expect(p.profile).toMatchObject({ name: 'chilled', tempLow: 2, tempHigh: 8, alarmHigh: 8, singleMinutes: 30, cumulativeMinutes: 600, deltaHkJ: 83.144 });
    expect(p.presence).toEqual([{ location: 'chiller', zone: 'chiller', from: T0 + HOUR, to: null }]);
    expect(p.summary).toMatchObject({ worstSensor: 'chiller-t1', aboveMinutes: 60, belowMinutes: 0, max: 12.5, min: 4 });
    expect(typeof p.summary.mkt).toBe('number');
    expect(p.summary.excursions).toEqual([expect.objectContaining({ sensor: 'chiller-t1', zone: 'chiller', direction: 'high', from: EXC.from, to: EXC.to, minutes: 60, max: 12.5 })]);
    expect(p.quarantine.status).toBe('quarantined');
    expect(p.quarantine.evidence).toEqual([expect.objectContaining({ rule: 'single_high', sensor: 'chiller-t1', zone: 'chiller', start: EXC.from, end: EXC.to, minutes: 60, maxTemp: 12.5 })]);
    expect(p.sensors.map((s: any) => s.sensor).sort()).toEqual(['chiller-t1', 'chiller-t2']);
    const { series } = p;
    expect(series.t.length).toBeGreaterThan(10);
    expect(series.t.length).toBeLessThanOrEqual(1000);
    for (const s of series.sensors) for (const k of ['avg', 'min', 'max']) expect(s[k]).toHaveLength(series.t.length);
    // the excursion survives downsampling: some bucket of probe 1 still shows the 12.5 °C peak
    expect(Math.max(...series.sensors.find((s: any) => s.sensor === 'chiller-t1').max.filter((v: any) => v !== null))).toBe(12.5);

    const small = await f.as('viewer', 'GET', `/api/lots/${lot.A}/exposure?maxPoints=50`);
    expect(small.json.series.t.length).toBeLessThanOrEqual(50);
    const bad = await f.as('viewer', 'GET', `/api/lots/${lot.A}/exposure?maxPoints=lots`);
    expect(bad.status).toBe(400);
    expect(bad.json.details[0].field).toBe('querystring.maxPoints');
    expect((await f.as('viewer', 'GET', '/api/lots/999999/exposure')).status).toBe(404);
    expect((await f.as(null, 'GET', `/api/lots/${lot.A}/exposure`)).status).toBe(401);
  });

  it('QA releases with a reason: back to available and into ATP', async () => {
    expect((await f.as('warehouse', 'POST', `/api/lots/${lot.A}/release`, { reason: 'ok' })).status).toBe(403);
    const noReason = await f.as('qa', 'POST', `/api/lots/${lot.A}/release`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.json.details[0].field).toBe('body.reason');
    expect((await f.as('qa', 'POST', `/api/lots/${lot.B}/release`, { reason: 'x' })).status).toBe(409);   // B is not quarantined
    const r = await f.as('qa', 'POST', `/api/lots/${lot.A}/release`, { reason: 'core temperature 5.1 °C measured; probe 1 sits in the door draught' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ lot: { status: 'available' }, scrapped: [] });
    expect((await f.as('qa', 'GET', `/api/lots/${lot.A}/history`)).json.at(-1)).toMatchObject({ to: 'available', actor: 'test-qa', reason: expect.stringContaining('door draught') });
    expect(await stock('MILK')).toMatchObject({ onHand: 50, quarantined: 10, available: 40 });
    const alert = (await tdb.db.query<any>(`SELECT state FROM alerts WHERE id = $1`, [`lot:${lot.A}:quarantined:${EXC.from}`]))[0];
    expect(alert.state).toBe('cleared'); // decided: nothing left for QA to be reminded of
  });

  it('QA rejects with a reason: a scrap movement leaves the ledger, stock figures follow', async () => {
    const r = await f.as('qa', 'POST', `/api/lots/${lot.D}/reject`, { reason: 'product at 11 °C for an hour' });
    expect(r.status).toBe(200);
    expect(r.json.lot.status).toBe('rejected');
    expect(r.json.scrapped).toEqual([expect.objectContaining({ kind: 'scrap', item: 'MILK', lot: 'D', from: 'chiller-b', qty: 10 })]);
    const moves = (await f.as('qa', 'GET', '/api/movements?item=MILK')).json;
    expect(moves[0]).toMatchObject({ kind: 'scrap', lot: 'D', from: 'chiller-b', to: null, qty: 10, actor: 'test-qa', note: expect.stringContaining('11 °C') });
    expect(await stock('MILK')).toMatchObject({ onHand: 40, quarantined: 0, rejected: 0, available: 40 });
    expect((await verifyLedger(tdb.db)).differences).toEqual([]);
    // a rejected lot cannot be rejected again (and no second scrap)
    expect((await f.as('qa', 'POST', `/api/lots/${lot.D}/reject`, { reason: 'again' })).status).toBe(409);
  });

  it('after QA decided, a re-run quarantines nothing again (no new excursion)', async () => {
    const before = await snapshot();
    const out = await runner().runNow('cold-chain-exposure');
    expect(out.ran && out.run.counts).toMatchObject({ lots_quarantined: 0, evidence_added: 0 });
    expect(await snapshot()).toEqual(before);
    expect(await statusOf('A')).toBe('available');
  });
});
