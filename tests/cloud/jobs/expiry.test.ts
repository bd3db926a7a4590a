import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { JobRunner } from '../../../cloud/jobs/runner.ts';
import { expiryJob } from '../../../cloud/rules/expiry/job.ts';
import { NotificationDispatcher } from '../../../cloud/notify/dispatcher.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { startWebhookReceiver, waitFor, type WebhookReceiver } from '../../helpers/net.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';
import { testClock } from '../../helpers/jobs-clock.ts';

// The expiry sweep for 10 March 2099 (far from the machine's real date, so only the sweep —
// not the database's current_date — can make these lots expire): exactly the right lots move,
// each gets one alert, each role one digest that reaches a real webhook; expired stock leaves
// available-to-promise and picking / shipping refuse it with SP_ERR_LOT_EXPIRED naming the
// lot; running the sweep again for the same day changes nothing.

const DAY = '2099-03-10';
let tdb: TestDatabase;
let f: ApiFixture;
let hook: WebhookReceiver;
let runner: JobRunner;
let kicks = 0;
const clock = testClock(`${DAY}T00:10:00Z`);   // the runner starts before the day's fire

async function ok(r: Promise<{ status: number; json: any }>, want = 200) {
  const res = await r;
  if (res.status !== want) throw new Error(`${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
}
async function lot(item: string, code: string, expiresOn: string, qty: number, to = 'bin-a') {
  const l = await ok(f.as('warehouse', 'POST', '/api/lots', { item, code, expiresOn }), 201);
  if (qty) await ok(f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item, lot: code, to, qty }), 201);
  return l.id as number;
}
const lotsByCode = async () => Object.fromEntries(
  ((await ok(f.as('viewer', 'GET', '/api/lots'))) as any[]).map((l) => [l.code, l.status]));
const snapshot = async () => ({
  lots: await lotsByCode(),
  history: await tdb.db.query('SELECT lot_id, from_status, to_status, reason FROM lot_status_history ORDER BY id'),
  alerts: await tdb.db.query('SELECT id, state FROM alerts ORDER BY id'),
  digests: await tdb.db.query('SELECT day::text, role, lots FROM expiry_digests ORDER BY role'),
  deliveries: await tdb.db.query('SELECT alert_id, transition, target FROM notification_deliveries ORDER BY id'),
});

const ids: Record<string, number> = {};
let soBeforeSweep: number;   // reserved before the sweep, picked after it
let soPicked: number;        // picked (from the oldest lot) before the sweep, shipped after it

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  hook = await startWebhookReceiver();
  await seedLocations(f);
  await seedItem(f, { sku: 'MILK', unit: 'l', lotTracked: true, expiryAlertDays: 3 });
  await seedItem(f, { sku: 'CHEESE', unit: 'kg', lotTracked: true, expiryAlertDays: 10 });
  await seedItem(f, { sku: 'YOG', lotTracked: true });                 // no alert days: the default (3)
  await ok(f.as('sales', 'POST', '/api/customers', { id: 'shop', name: 'Corner shop' }), 201);
  ids['M-OLD'] = await lot('MILK', 'M-OLD', '2099-03-09', 6);          // yesterday → expired
  ids['M-TODAY'] = await lot('MILK', 'M-TODAY', '2099-03-10', 2, 'bin-b'); // last day → near expiry
  ids['M-EDGE'] = await lot('MILK', 'M-EDGE', '2099-03-13', 3);        // D+3 = alert days → near expiry
  ids['M-FAR'] = await lot('MILK', 'M-FAR', '2099-03-14', 4);          // D+4 → stays available
  ids['M-EMPTY'] = await lot('MILK', 'M-EMPTY', '2099-03-01', 0);      // expired, nothing on hand: no alert
  ids['M-QUAR'] = await lot('MILK', 'M-QUAR', '2099-03-02', 1);        // QA's: left alone
  await ok(f.as('qa', 'POST', `/api/lots/${ids['M-QUAR']}/status`, { status: 'quarantined', reason: 'dented cans' }));
  ids['C-9'] = await lot('CHEESE', 'C-9', '2099-03-19', 5);            // D+9 ≤ 10 → near expiry
  ids['C-11'] = await lot('CHEESE', 'C-11', '2099-03-21', 5);          // D+11 → available
  ids['C-WAS-NEAR'] = await lot('CHEESE', 'C-WAS-NEAR', '2099-03-05', 2); // near expiry before, now past → expired
  await ok(f.as('qa', 'POST', `/api/lots/${ids['C-WAS-NEAR']}/status`, { status: 'near_expiry', reason: 'checked by hand' }));
  ids['Y-3'] = await lot('YOG', 'Y-3', '2099-03-13', 1);               // default 3 days → near expiry
  ids['Y-4'] = await lot('YOG', 'Y-4', '2099-03-14', 1);               // → available

  // before the sweep, M-OLD is sellable: an order holds all 15 l of sellable milk, another picks 2 l (FEFO: M-OLD)
  soPicked = (await ok(f.as('sales', 'POST', '/api/sales-orders', { customer: 'shop', lines: [{ item: 'MILK', qty: 2 }] }), 201)).id;
  await ok(f.as('sales', 'POST', `/api/sales-orders/${soPicked}/reserve`, {}));
  const picked = await ok(f.as('warehouse', 'POST', `/api/sales-orders/${soPicked}/pick`, {}));
  expect(picked.data.picks).toEqual([{ item: 'MILK', lot: 'M-OLD', location: 'bin-a', qty: 2 }]);
  soBeforeSweep = (await ok(f.as('sales', 'POST', '/api/sales-orders', { customer: 'shop', lines: [{ item: 'MILK', qty: 13 }] }), 201)).id;
  await ok(f.as('sales', 'POST', `/api/sales-orders/${soBeforeSweep}/reserve`, {}));

  runner = new JobRunner({
    db: tdb.db, jobs: [expiryJob], log: pino({ level: 'silent' }), clock,
    notify: { targets: [{ channel: 'webhook', target: hook.url }], kick: () => { kicks++; } },
  });
});
afterAll(async () => {
  await f?.close();
  await hook?.close();
  await tdb?.cleanup();
});

describe(`expiry sweep (${engineLabel})`, () => {
  it('moves exactly the lots due on the day, with history, one alert per lot in stock, one digest per role', async () => {
    expect(await runner.tick()).toEqual([]);     // 00:10: not yet
    clock.set(`${DAY}T00:15:07Z`);
    const [out] = await runner.tick();
    expect(out).toMatchObject({ ran: true, run: { job: 'expiry-sweep', status: 'succeeded', periodFrom: `${DAY}T00:15:00.000Z` } });
    expect(out!.ran && out!.run.counts).toEqual({ lots_near_expiry: 4, lots_expired: 3, alerts_raised: 6, digests: 4 });

    expect(await lotsByCode()).toEqual({
      'M-OLD': 'expired', 'M-TODAY': 'near_expiry', 'M-EDGE': 'near_expiry', 'M-FAR': 'available', 'M-EMPTY': 'expired', 'M-QUAR': 'quarantined',
      'C-9': 'near_expiry', 'C-11': 'available', 'C-WAS-NEAR': 'expired', 'Y-3': 'near_expiry', 'Y-4': 'available',
    });
    const history = await ok(f.as('viewer', 'GET', `/api/lots/${ids['M-EDGE']}/history`));
    expect(history.at(-1)).toMatchObject({ from: 'available', to: 'near_expiry', actor: 'job:expiry-sweep',
      reason: `expires on 2099-03-13, within 3 alert days (expiry sweep of ${DAY})`, at: Date.parse(`${DAY}T00:15:07Z`) });
    expect((await ok(f.as('viewer', 'GET', `/api/lots/${ids['C-WAS-NEAR']}/history`))).at(-1))
      .toMatchObject({ from: 'near_expiry', to: 'expired', reason: `expired on 2099-03-05 (expiry sweep of ${DAY})` });

    const alerts = await tdb.db.query<{ id: string; rule: string; severity: string; zone: string; message: string }>(
      'SELECT id, rule, severity, zone, message FROM alerts ORDER BY id');
    // M-OLD keeps 6 l on hand (2 l of it are picked, not shipped); M-EMPTY has nothing on hand: no alert
    expect(alerts.map((a) => a.id).sort()).toEqual([
      `lot:${ids['C-9']}:near_expiry`, `lot:${ids['C-WAS-NEAR']}:expired`, `lot:${ids['M-EDGE']}:near_expiry`,
      `lot:${ids['M-OLD']}:expired`, `lot:${ids['M-TODAY']}:near_expiry`, `lot:${ids['Y-3']}:near_expiry`,
    ].sort());
    expect(alerts.find((a) => a.id === `lot:${ids['M-OLD']}:expired`)).toMatchObject({
      rule: 'lot_expired', severity: 'critical', zone: 'bin-a', message: 'Lot M-OLD of MILK expired on 2099-03-09: 6 l blocked (not sellable, not pickable)',
    });
    expect(alerts.find((a) => a.id === `lot:${ids['M-TODAY']}:near_expiry`)).toMatchObject({ rule: 'lot_near_expiry', severity: 'warning', zone: 'bin-b' });

    const digests = await tdb.db.query<{ role: string; lots: any }>('SELECT role, lots FROM expiry_digests WHERE day = $1 ORDER BY role', [DAY]);
    expect(digests.map((d) => d.role)).toEqual(['purchasing', 'qa', 'sales', 'warehouse']);
    const wh = digests.find((d) => d.role === 'warehouse')!.lots;
    expect(wh.expired.map((l: any) => [l.lot, l.onHand, l.locations])).toEqual([['C-WAS-NEAR', 2, ['bin-a']], ['M-OLD', 6, ['bin-a']]]);
    expect(wh.nearExpiry.map((l: any) => l.lot)).toEqual(['M-TODAY', 'M-EDGE', 'Y-3', 'C-9']);
    expect(wh.text).toContain('M-OLD: 6 l, expires 2099-03-09 (bin-a)');
    expect(wh.text).toContain('pull these lots from the shelves');
    expect(digests.find((d) => d.role === 'sales')!.lots.text).toContain('no longer available to promise');
    expect(kicks).toBe(1);
  });

  it('the alerts and digests reach a real webhook through the notification dispatcher', async () => {
    const dispatcher = new NotificationDispatcher({ db: tdb.db, log: pino({ level: 'silent' }) });
    await dispatcher.pass();
    await waitFor(() => hook.calls.length >= 10, 'the webhook calls');
    const digests = hook.calls.filter((c) => c.body.type === 'stockpulse.expiry_digest');
    expect(digests.map((c) => c.body.role).sort()).toEqual(['purchasing', 'qa', 'sales', 'warehouse']);
    const lotAlerts = hook.calls.filter((c) => c.body.type === 'stockpulse.alert').map((c) => c.body.alert);
    expect(lotAlerts.map((a) => a.lot.code).sort()).toEqual(['C-9', 'C-WAS-NEAR', 'M-EDGE', 'M-OLD', 'M-TODAY', 'Y-3']);
    expect(lotAlerts.find((a) => a.lot.code === 'M-OLD')).toMatchObject({ rule: 'lot_expired', severity: 'critical', lot: { item: 'MILK', expiresOn: '2099-03-09' } });
  });

  it('expired stock leaves available-to-promise', async () => {
    const [milk] = await ok(f.as('viewer', 'GET', '/api/stock?item=MILK'));
    // on hand 16 (M-QUAR 1 is quarantined, M-OLD 6 expired); 15 reserved before the sweep
    expect(milk).toMatchObject({ onHand: 16, expired: 6, quarantined: 1, reserved: 15, available: 0 });
    const r = await f.as('sales', 'POST', '/api/reservations', { item: 'MILK', qty: 1, channel: 'web' });
    expect(r.status).toBe(409);
    expect(r.json.details[0].reason).toMatch(/insufficient stock: 0 of MILK available/);
  });

  it('picking refuses expired stock with SP_ERR_LOT_EXPIRED naming the lot', async () => {
    const r = await f.as('warehouse', 'POST', `/api/sales-orders/${soBeforeSweep}/pick`, {});
    expect(r.status).toBe(409);
    expect(r.json.code).toBe('SP_ERR_LOT_EXPIRED');
    expect(r.json.details).toEqual([{
      field: 'lines', reason: 'lot M-OLD of MILK expired on 2099-03-09 (6 on hand) and cannot be picked; only 9 of 13 MILK can be picked from sellable stock',
    }]);
  });

  it('shipping an order picked before the sweep is refused with SP_ERR_LOT_EXPIRED naming the lot', async () => {
    const r = await f.as('warehouse', 'POST', `/api/sales-orders/${soPicked}/ship`, {});
    expect(r.status).toBe(409);
    expect(r.json).toMatchObject({ code: 'SP_ERR_LOT_EXPIRED', details: [{ field: 'body.lot', reason: 'lot M-OLD of MILK expired on 2099-03-09 and cannot be shipped' }] });
    const direct = await f.as('warehouse', 'POST', '/api/movements', { kind: 'shipment', item: 'MILK', lot: 'M-OLD', from: 'bin-a', qty: 1 });
    expect(direct.json).toMatchObject({ code: 'SP_ERR_LOT_EXPIRED', details: [{ field: 'body.lot' }] });
    // the order stays picked; nothing left the ledger
    expect((await ok(f.as('viewer', 'GET', `/api/sales-orders/${soPicked}`))).status).toBe('picked');
  });

  it('running the sweep again for the same day changes nothing', async () => {
    const before = await snapshot();
    clock.set(`${DAY}T16:40:00Z`);
    const again = await runner.runNow('expiry-sweep');                       // by hand, same period
    const byDate = await runner.runNow('expiry-sweep', { period: DAY });      // named by its date
    for (const o of [again, byDate]) {
      expect(o).toMatchObject({ ran: true, run: { status: 'succeeded', trigger: 'manual', periodFrom: `${DAY}T00:15:00.000Z` } });
      expect(o.ran && o.run.counts).toEqual({ lots_near_expiry: 0, lots_expired: 0, alerts_raised: 0, digests: 0 });
    }
    expect(await runner.tick()).toEqual([]);                                    // the schedule already ran it
    expect(await snapshot()).toEqual(before);
    expect(kicks).toBe(1);
  });

  it('the next day moves what became due since', async () => {
    clock.set('2099-03-11T00:15:00Z');
    const [out] = await runner.tick();
    // near expiry: M-FAR and Y-4 (D+3), C-11 (D+10 of its 10 days); expired: M-TODAY (its last day was yesterday)
    expect(out!.ran && out!.run.counts).toEqual({ lots_near_expiry: 3, lots_expired: 1, alerts_raised: 4, digests: 4 });
    const lots = await lotsByCode();
    expect([lots['M-TODAY'], lots['M-EDGE'], lots['M-FAR'], lots['Y-4'], lots['C-11']]).toEqual(['expired', 'near_expiry', 'near_expiry', 'near_expiry', 'near_expiry']);
    // the expired lot's near-expiry warning is cleared: the critical alert replaces it
    const [warning] = await tdb.db.query<{ state: string }>('SELECT state FROM alerts WHERE id = $1', [`lot:${ids['M-TODAY']}:near_expiry`]);
    expect(warning!.state).toBe('cleared');
  });
});
