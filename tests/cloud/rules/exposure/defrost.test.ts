import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createItem, createLocation } from '../../../../cloud/inventory/master-data.ts';
import { createLot, getLot } from '../../../../cloud/inventory/lots.ts';
import { postMovement } from '../../../../cloud/inventory/ledger.ts';
import { lotPassport } from '../../../../cloud/rules/exposure/passport.ts';
import { runExposure } from '../../../../cloud/rules/exposure/run.ts';
import { loadProfiles } from '../../../../cloud/rules/exposure/profiles.ts';
import { splitByWindows } from '../../../../cloud/rules/exposure/defrost.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../../helpers/db.ts';
import { HOUR, MIN, iotZone, jobContext, readings } from '../../../helpers/exposure-history.ts';

// Defrost in the exposure record: the edge reports each defrost (+ recovery) as an info alert of
// rule `defrost`; the frozen profile excuses the first 90 min of each period at ≤ −5 °C
// (migration 0016). Two freezers see the same air: one with the defrost records, one without.

let tdb: TestDatabase;
const who = { name: 'tester', role: 'warehouse' };
const T0 = Date.UTC(2026, 2, 1);
const lots: Record<string, number> = {};

async function lotIn(code: string, location: string, from: number, to?: number) {
  lots[code] = (await createLot(tdb.db, { item: 'ICE', code }, who)).id;
  await postMovement(tdb.db, { kind: 'receipt', item: 'ICE', lot: code, to: location, qty: 5, at: new Date(from).toISOString() }, who);
  if (to !== undefined) await postMovement(tdb.db, { kind: 'shipment', item: 'ICE', lot: code, from: location, qty: 5, at: new Date(to).toISOString() }, who);
}

/** a defrost record as ingest stores the edge's info alert (raised at the start, cleared at the end of recovery) */
async function defrostAlert(zone: string, from: number, to: number | null) {
  await tdb.db.query(
    `INSERT INTO alerts (id, gateway, zone, rule, severity, state, since, raised_at, cleared_at, message)
     VALUES ($1, 'gw-test', $2, 'defrost', 'info', $3, $4, $4, $5, 'defrost')`,
    [`${zone}:defrost:-:${from}`, zone, to === null ? 'active' : 'cleared', new Date(from), to === null ? null : new Date(to)]);
}

// the air of both freezers: −21 °C, with
//   A  02:00–03:10 at −12 °C (a 70-min defrost: beyond the frozen profile's 60-min single rule)
//   B  10:00–12:10 at −12 °C (130 min: the allowance covers 90, the last 40 are an excursion)
//   C  20:00–21:05 at +2 °C  (inside a defrost record, but above the −5 °C ceiling: an excursion)
const air = (t: number) => {
  const m = Math.round((t - T0) / MIN);
  if (m >= 120 && m < 120 + 70) return -12;
  if (m >= 600 && m < 600 + 130) return -12;
  if (m >= 1200 && m < 1200 + 65) return 2;
  return -21;
};

beforeAll(async () => {
  tdb = await testDatabase();
  await createLocation(tdb.db, { id: 'site', kind: 'site', name: 'Site' });
  for (const z of ['fz-records', 'fz-bare']) {
    await createLocation(tdb.db, { id: z, kind: 'zone', parent: 'site', name: z, iotZone: z });
    await createLocation(tdb.db, { id: `${z}-bin`, kind: 'bin', parent: z, name: `${z} bin` });
    await iotZone(tdb.db, z, [`${z}-t1`]);
    await readings(tdb.db, `${z}-t1`, z, T0, T0 + 24 * HOUR, MIN, air);
  }
  await createItem(tdb.db, { sku: 'ICE', name: 'Ice cream', unit: 'pcs', lotTracked: true, storageProfile: 'frozen' });
  // the defrost records (each period: defrost + 30 min recovery)
  await defrostAlert('fz-records', T0 + 2 * HOUR, T0 + 2 * HOUR + 100 * MIN);
  await defrostAlert('fz-records', T0 + 10 * HOUR, T0 + 10 * HOUR + 160 * MIN);
  await defrostAlert('fz-records', T0 + 20 * HOUR, T0 + 20 * HOUR + 95 * MIN);
  await defrostAlert('fz-records', T0 + 23 * HOUR, null); // still defrosting when the job runs

  // a freezer whose gateway simulates the product: the air spikes (A, B, C), the product (τ 60 min) does not pass −15 °C
  await createLocation(tdb.db, { id: 'fz-product', kind: 'zone', parent: 'site', name: 'fz-product', iotZone: 'fz-product' });
  await createLocation(tdb.db, { id: 'fz-product-bin', kind: 'bin', parent: 'fz-product', name: 'fz-product bin' });
  await iotZone(tdb.db, 'fz-product', ['fzp-t1']);
  await readings(tdb.db, 'fzp-t1', 'fz-product', T0, T0 + 24 * HOUR, MIN, air);
  await tdb.db.query(`INSERT INTO sensors (id, gateway, zone, kind, unit, protocol) VALUES ('fzp-t1-product', 'gw-test', 'fz-product', 'product_temperature', '°C', 'simulated')`);
  await readings(tdb.db, 'fzp-t1-product', 'fz-product', T0, T0 + 24 * HOUR, MIN, () => -19.5);
  await tdb.db.query(`UPDATE readings SET kind = 'product_temperature' WHERE sensor = 'fzp-t1-product'`);

  await lotIn('DAY', 'fz-records-bin', T0, T0 + 18 * HOUR);   // A and B
  await lotIn('PRODUCT', 'fz-product-bin', T0, T0 + 18 * HOUR);
  await lotIn('BARE', 'fz-bare-bin', T0, T0 + 18 * HOUR);     // the same air, no records
  await lotIn('EVENING', 'fz-records-bin', T0 + 19 * HOUR);   // C
  await runExposure(jobContext(tdb.db, T0 + 23 * HOUR + 30 * MIN));
});
afterAll(async () => { await tdb?.cleanup(); });

describe(`exposure: defrost periods (${engineLabel})`, () => {
  it('the frozen profile carries the defrost allowance (migration 0016)', async () => {
    expect((await loadProfiles(tdb.db)).get('frozen')).toMatchObject({ defrostMinutes: 90, defrostMaxTemp: -5 });
    expect((await loadProfiles(tdb.db)).get('chilled')).toMatchObject({ defrostMinutes: null, defrostMaxTemp: null });
  });

  it('a defrost within the allowance is not an excursion: the lot stays available, the passport lists the periods', async () => {
    expect((await getLot(tdb.db, lots.DAY!)).status).toBe('available');
    const p = await lotPassport(tdb.db, lots.DAY!, { now: T0 + 23 * HOUR + 30 * MIN });
    expect(p.summary.defrosts).toEqual([
      { zone: 'fz-records', from: T0 + 2 * HOUR, to: T0 + 2 * HOUR + 100 * MIN, minutes: 100, ongoing: false },
      { zone: 'fz-records', from: T0 + 10 * HOUR, to: T0 + 10 * HOUR + 160 * MIN, minutes: 160, ongoing: false },
    ]);
    expect(p.summary.defrostAllowance).toEqual({ minutes: 90, maxTemp: -5 });
    // A: 70 min excused; B: 90 of its 130 min excused, the last 40 an excursion (under the 60-min rule)
    expect(p.summary.excursions).toMatchObject([{ direction: 'high', from: T0 + 10 * HOUR + 90 * MIN, to: T0 + 10 * HOUR + 130 * MIN, minutes: 40, max: -12 }]);
    expect(p.summary.findings).toEqual([]);
    // defrost time: the excused part of each period (90 min of A's 100 and of B's 160)
    expect(p.summary.defrostMinutes).toBe(90 + 90);
    expect(p.summary.aboveMinutes).toBe(40);
    // the inspector still sees the real maximum
    expect(p.summary.max).toBe(-12);
  });

  it('the same air without defrost records is a 70-min excursion: quarantined', async () => {
    expect((await getLot(tdb.db, lots.BARE!)).status).toBe('quarantined');
    const p = await lotPassport(tdb.db, lots.BARE!, { now: T0 + 23 * HOUR + 30 * MIN });
    expect(p.summary.defrosts).toEqual([]);
    expect(p.summary.findings.map((f) => [f.rule, f.minutes])).toEqual([['single_high', 70], ['single_high', 130]]);
  });

  it('above the defrost ceiling it is an excursion even inside a defrost record; an active record runs to the clock', async () => {
    expect((await getLot(tdb.db, lots.EVENING!)).status).toBe('quarantined');
    const p = await lotPassport(tdb.db, lots.EVENING!, { now: T0 + 23 * HOUR + 30 * MIN });
    expect(p.summary.findings.map((f) => [f.rule, f.minutes, f.max])).toEqual([['single_high', 65, 2]]);
    expect(p.summary.defrosts.map((d) => [d.from - T0, d.to - T0, d.ongoing])).toEqual([
      [20 * HOUR, 20 * HOUR + 95 * MIN, false],
      [23 * HOUR, 23 * HOUR + 30 * MIN, true],
    ]);
  });

  it('a zone with a simulated product is judged on the product, not the air', async () => {
    expect((await getLot(tdb.db, lots.PRODUCT!)).status).toBe('available');
    const p = await lotPassport(tdb.db, lots.PRODUCT!, { now: T0 + 23 * HOUR + 30 * MIN });
    expect(p.sensors.map((x) => x.sensor)).toEqual(['fzp-t1-product']);
    expect(p.summary).toMatchObject({ max: -19.5, findings: [], excursions: [] });
  });

  it('splitByWindows cuts a held reading at the windows\' edges', () => {
    const pieces: [number, number, boolean][] = [];
    splitByWindows(0, 100, [{ from: -10, to: 5 }, { from: 20, to: 30 }, { from: 90, to: 200 }], (a, b, inside) => pieces.push([a, b, inside]));
    expect(pieces).toEqual([[0, 5, true], [5, 20, false], [20, 30, true], [30, 90, false], [90, 100, true]]);
  });
});
