import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createItem, createLocation } from '../../../../cloud/inventory/master-data.ts';
import { createLot, getLot } from '../../../../cloud/inventory/lots.ts';
import { postMovement } from '../../../../cloud/inventory/ledger.ts';
import { runExposure } from '../../../../cloud/rules/exposure/run.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../../helpers/db.ts';
import { HOUR, MIN, iotZone, jobContext, readings } from '../../../helpers/exposure-history.ts';

// An excursion still running when the job looks: the clock is injected, readings after it are
// already in the table (as if replayed later) and must not count. The first run quarantines on
// the evidence so far; later runs only extend that one evidence row (end, minutes, max) and
// never quarantine twice; a run for the same moment changes nothing.

let tdb: TestDatabase;
const T0 = Date.UTC(2026, 3, 1);
let lotId = 0;
const who = { name: 'tester', role: 'warehouse' };

beforeAll(async () => {
  tdb = await testDatabase();
  await createLocation(tdb.db, { id: 'site', kind: 'site', name: 'Site' });
  await createLocation(tdb.db, { id: 'chiller', kind: 'zone', parent: 'site', name: 'Chiller', iotZone: 'chiller' });
  await createItem(tdb.db, { sku: 'HAM', name: 'Ham', unit: 'pcs', lotTracked: true, storageProfile: 'chilled' });
  lotId = (await createLot(tdb.db, { item: 'HAM', code: 'H1' }, who)).id;
  await postMovement(tdb.db, { kind: 'receipt', item: 'HAM', lot: 'H1', to: 'chiller', qty: 3, at: new Date(T0).toISOString() }, who);
  await iotZone(tdb.db, 'chiller', ['ch-t1']);
  // 4 °C until 20:00, then climbing 0.01 °C a minute from 10 °C until 30:00
  await readings(tdb.db, 'ch-t1', 'chiller', T0, T0 + 30 * HOUR, MIN, (t) => (t < T0 + 20 * HOUR ? 4 : 10 + (t - T0 - 20 * HOUR) / MIN / 100));
});
afterAll(async () => { await tdb?.cleanup(); });

const evidence = () => tdb.db.query<any>('SELECT * FROM lot_exposure_evidence ORDER BY id');
const history = () => tdb.db.query<any>('SELECT * FROM lot_status_history WHERE lot_id = $1 ORDER BY id', [lotId]);

describe(`an excursion still running (${engineLabel})`, () => {
  it('20 minutes in: under the 30-min rule, nothing happens', async () => {
    const c = await runExposure(jobContext(tdb.db, T0 + 20 * HOUR + 20 * MIN));
    expect(c).toMatchObject({ lots_evaluated: 1, findings: 0, lots_quarantined: 0 });
    expect((await getLot(tdb.db, lotId)).status).toBe('available');
  });

  it('an hour in: quarantined, evidence marked ongoing up to the clock (later readings ignored)', async () => {
    const c = await runExposure(jobContext(tdb.db, T0 + 21 * HOUR));
    expect(c).toMatchObject({ evidence_added: 1, lots_quarantined: 1 });
    const [e] = await evidence();
    expect(e).toMatchObject({ rule: 'single_high', ongoing: true, minutes: 60, max_temp: 10.59 });
    expect(new Date(e.ended_at).getTime()).toBe(T0 + 21 * HOUR);
    expect((await getLot(tdb.db, lotId)).status).toBe('quarantined');
  });

  it('two hours in: the same evidence row is extended, no second quarantine', async () => {
    const before = await history();
    const c = await runExposure(jobContext(tdb.db, T0 + 22 * HOUR));
    expect(c).toMatchObject({ evidence_added: 0, evidence_updated: 1, lots_quarantined: 0 });
    const ev = await evidence();
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ ongoing: true, minutes: 120, max_temp: 11.19 });
    expect(await history()).toEqual(before);
  });

  it('the same moment again changes nothing', async () => {
    const before = { ev: await evidence(), h: await history() };
    const c = await runExposure(jobContext(tdb.db, T0 + 22 * HOUR));
    expect(c).toMatchObject({ evidence_added: 0, evidence_updated: 0, lots_quarantined: 0 });
    expect({ ev: await evidence(), h: await history() }).toEqual(before);
  });
});
