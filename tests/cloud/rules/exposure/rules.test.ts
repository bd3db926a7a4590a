import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createItem, createLocation } from '../../../../cloud/inventory/master-data.ts';
import { createLot, getLot } from '../../../../cloud/inventory/lots.ts';
import { postMovement } from '../../../../cloud/inventory/ledger.ts';
import { meanKineticTemperature } from '../../../../cloud/rules/exposure/mkt.ts';
import { upsertProfile } from '../../../../cloud/rules/exposure/profiles.ts';
import { lotPassport } from '../../../../cloud/rules/exposure/passport.ts';
import { runExposure } from '../../../../cloud/rules/exposure/run.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../../helpers/db.ts';
import { HOUR, MIN, iotZone, jobContext, readings } from '../../../helpers/exposure-history.ts';

// The rules beyond the single excursion, each in a zone of its own: MKT against hand-computed
// values (time-weighted when readings come at different intervals, ΔH configurable), the
// cumulative rule (many short excursions adding up past 10 h), and the frozen profile's 60-min
// rule. The job runs with an injected clock.

let tdb: TestDatabase;
const who = { name: 'tester', role: 'warehouse' };
const T0 = Date.UTC(2026, 2, 1);
const lots: Record<string, number> = {};

async function lotIn(sku: string, code: string, location: string, from: number, to?: number) {
  lots[code] = (await createLot(tdb.db, { item: sku, code }, who)).id;
  await postMovement(tdb.db, { kind: 'receipt', item: sku, lot: code, to: location, qty: 5, at: new Date(from).toISOString() }, who);
  if (to !== undefined) await postMovement(tdb.db, { kind: 'shipment', item: sku, lot: code, from: location, qty: 5, at: new Date(to).toISOString() }, who);
}
const evidenceOf = (code: string) => tdb.db.query<any>('SELECT * FROM lot_exposure_evidence WHERE lot_id = $1 ORDER BY id', [lots[code]]);

beforeAll(async () => {
  tdb = await testDatabase();
  await createLocation(tdb.db, { id: 'site', kind: 'site', name: 'Site' });
  for (const z of ['mkt-room', 'cold-room', 'freezer-2']) {
    await createLocation(tdb.db, { id: z, kind: 'zone', parent: 'site', name: z, iotZone: z });
    await createLocation(tdb.db, { id: `${z}-bin`, kind: 'bin', parent: z, name: `${z} bin` });
  }
  // a profile of our own: reported against 15–25 °C, quarantined when MKT exceeds 15 °C
  await upsertProfile(tdb.db, { name: 'ambient-test', tempLow: 15, tempHigh: 25, alarmHigh: null, alarmLow: null, singleMinutes: null,
    cumulativeMinutes: null, mktLimit: 15, deltaHkJ: 83.144 });
  await createItem(tdb.db, { sku: 'WINE', name: 'Wine', unit: 'pcs', lotTracked: true, storageProfile: 'ambient-test' });
  // the same room judged with another activation energy (ΔH per profile)
  await upsertProfile(tdb.db, { name: 'ambient-dh60', tempLow: 15, tempHigh: 25, alarmHigh: null, alarmLow: null, singleMinutes: null,
    cumulativeMinutes: null, mktLimit: null, deltaHkJ: 60 });
  await createItem(tdb.db, { sku: 'OIL', name: 'Oil', unit: 'pcs', lotTracked: true, storageProfile: 'ambient-dh60' });
  await createItem(tdb.db, { sku: 'CHEESE', name: 'Cheese', unit: 'pcs', lotTracked: true, storageProfile: 'chilled' });
  await createItem(tdb.db, { sku: 'ICE', name: 'Ice cream', unit: 'pcs', lotTracked: true, storageProfile: 'frozen' });

  // MKT room: 18 h at 5 °C read every 5 min, then 6 h at 25 °C read every 15 min
  await iotZone(tdb.db, 'mkt-room', ['mkt-t1']);
  await readings(tdb.db, 'mkt-t1', 'mkt-room', T0, T0 + 18 * HOUR, 5 * MIN, () => 5);
  await readings(tdb.db, 'mkt-t1', 'mkt-room', T0 + 18 * HOUR, T0 + 24 * HOUR, 15 * MIN, () => 25);
  await lotIn('WINE', 'W1', 'mkt-room-bin', T0, T0 + 24 * HOUR);
  await lotIn('OIL', 'O1', 'mkt-room-bin', T0, T0 + 24 * HOUR);

  // cold room: every hour 25 min at 9 °C (each under the 30-min single rule), 30 hours long
  await iotZone(tdb.db, 'cold-room', ['cold-t1']);
  await readings(tdb.db, 'cold-t1', 'cold-room', T0, T0 + 30 * HOUR, MIN, (t) => ((t - T0) % HOUR < 25 * MIN ? 9 : 5));
  await lotIn('CHEESE', 'C-ALL', 'cold-room-bin', T0);                      // 30 × 25 = 750 min > 600
  await lotIn('CHEESE', 'C-10H', 'cold-room-bin', T0, T0 + 10 * HOUR);      // 10 × 25 = 250 min

  // freezer 2: −21 °C with one 70-min rise to −12 °C and later one 50-min rise to −13 °C
  await iotZone(tdb.db, 'freezer-2', ['fr2-t1']);
  await readings(tdb.db, 'fr2-t1', 'freezer-2', T0, T0 + 30 * HOUR, MIN, (t) =>
    t >= T0 + 2 * HOUR && t < T0 + 2 * HOUR + 70 * MIN ? -12 : t >= T0 + 20 * HOUR && t < T0 + 20 * HOUR + 50 * MIN ? -13 : -21);
  await lotIn('ICE', 'I-EARLY', 'freezer-2-bin', T0);                        // saw the 70-min rise
  await lotIn('ICE', 'I-LATE', 'freezer-2-bin', T0 + 10 * HOUR);             // saw only the 50-min one

  await runExposure(jobContext(tdb.db, T0 + 30 * HOUR));
});
afterAll(async () => { await tdb?.cleanup(); });

describe(`exposure rules (${engineLabel})`, () => {
  it('MKT matches hand-computed values (ΔH/R = 83.144 / 0.0083144 = 10 000 K)', () => {
    // 5 °C and 25 °C, equal time: 10000/278.15 = 35.951825, 10000/298.15 = 33.540164, difference 2.411660;
    // Σ/n = e^−33.540164 · (1 + e^−2.411660)/2 = e^−33.540164 · (1 + 0.0896663)/2 = e^−33.540164 · 0.5448332
    // −ln = 33.540164 + 0.607276 = 34.147440 → Tk = 10000/34.147440 = 292.8477 K = 19.698 °C
    expect(meanKineticTemperature([5, 25])).toBeCloseTo(19.698, 2);
    // 18 h at 5 °C and 6 h at 25 °C: weights 3:1 → (3·e^−35.951825 + e^−33.540164)/4
    // = e^−33.540164 · (3·0.0896663 + 1)/4 = e^−33.540164 · 0.3172497; −ln = 33.540164 + 1.148066 = 34.688230 → 288.2822 K = 15.132 °C
    expect(meanKineticTemperature([5, 25], { weights: [18, 6] })).toBeCloseTo(15.132, 2);
    // ΔH configurable: 60 kJ/mol → ΔH/R = 7216.39 K; same data gives 18.594 °C
    expect(meanKineticTemperature([5, 25], { deltaHkJ: 60 })).toBeCloseTo(18.594, 2);
    expect(meanKineticTemperature([4, 4, 4])).toBeCloseTo(4, 9);
  });

  it("the lot's MKT is time-weighted when readings come at different intervals, and the MKT rule quarantines", async () => {
    const p = await lotPassport(tdb.db, lots.W1!, { now: T0 + 30 * HOUR });
    // 216 readings at 5 °C + 24 at 25 °C would give 10.53 °C unweighted; by time it is 18 h : 6 h
    expect(p.summary.mkt).toBeCloseTo(15.132, 2);
    expect(p.summary).toMatchObject({ presenceMinutes: 1440, belowMinutes: 1080, inRangeMinutes: 360, aboveMinutes: 0, noDataMinutes: 0, max: 25, min: 5 });
    expect((await getLot(tdb.db, lots.W1!)).status).toBe('quarantined');
    expect(await evidenceOf('W1')).toEqual([expect.objectContaining({ rule: 'mkt', sensor: 'mkt-t1', limit_value: 15, quarantined: true })]);
    expect((await evidenceOf('W1'))[0].threshold).toBeCloseTo(15.132, 2);
    // ΔH from the lot's profile: 60 kJ/mol on the same 18 h : 6 h history gives 13.587 °C (no MKT limit: not quarantined)
    const oil = await lotPassport(tdb.db, lots.O1!, { now: T0 + 30 * HOUR });
    expect(oil.summary.deltaHkJ).toBe(60);
    expect(oil.summary.mkt).toBeCloseTo(13.587, 2);
    expect((await getLot(tdb.db, lots.O1!)).status).toBe('available');
  });

  it('cumulative: short excursions adding up past 10 h quarantine; the same pattern for 10 h does not', async () => {
    expect((await getLot(tdb.db, lots['C-ALL']!)).status).toBe('quarantined');
    const ev = await evidenceOf('C-ALL');
    expect(ev).toEqual([expect.objectContaining({ rule: 'cumulative', sensor: 'cold-t1', minutes: 750, limit_value: 600, max_temp: 9 })]);
    expect(new Date(ev[0].started_at).getTime()).toBe(T0);
    expect((await getLot(tdb.db, lots['C-10H']!)).status).toBe('available');
    expect(await evidenceOf('C-10H')).toEqual([]);
  });

  it('frozen: above −15 °C for 70 min quarantines, for 50 min does not', async () => {
    expect((await getLot(tdb.db, lots['I-EARLY']!)).status).toBe('quarantined');
    expect(await evidenceOf('I-EARLY')).toEqual([expect.objectContaining({ rule: 'single_high', threshold: -15, minutes: 70, max_temp: -12, limit_value: 60 })]);
    expect((await getLot(tdb.db, lots['I-LATE']!)).status).toBe('available');
    const p = await lotPassport(tdb.db, lots['I-LATE']!, { now: T0 + 30 * HOUR });
    expect(p.summary.excursions).toEqual([expect.objectContaining({ minutes: 50, max: -13 })]);
    expect(p.summary.findings).toEqual([]);
  });
});
