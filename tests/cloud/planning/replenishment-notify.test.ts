import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';
import { post } from '../../helpers/planning-history.ts';
import { runReplenishment } from '../../../cloud/planning/replenishment.ts';

// The low_stock alert goes the way every alert goes (cloud/notify/alerts.ts): stored once, given
// its own incident (an item's stock is a fact of its own, incidents.ts), and queued for every
// configured target with the payload built from the alert as stored (deliveries.ts). Cleared,
// the receivers are told why, the stored alert keeps its message, and its incident closes.
//
// No demand at all: the reorder point is the item's safety-stock floor (12), nothing on hand.

const NOW = new Date('2026-06-01T03:00:00Z');
const LATER = new Date('2026-06-02T03:00:00Z');
const targets = [{ channel: 'webhook', target: 'http://127.0.0.1:9/hook' }, { channel: 'mqtt', target: 'stockpulse/v1/alerts/{zone}' }];
const notify = { targets, kick: () => {} };

let tdb: TestDatabase;
let f: ApiFixture;

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  await seedLocations(f);
  await seedItem(f, { sku: 'SALT', name: 'Sea salt', unit: 'kg', leadTimeDays: 3, safetyStock: 12, costMinor: 50 });
}, 120_000);

afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
});

const deliveries = () => tdb.db.query<{ alert_id: string; transition: string; channel: string; payload: any }>(
  'SELECT alert_id, transition, channel, payload FROM notification_deliveries ORDER BY id');

describe(`replenishment alerts through the one alert writer (${engineLabel})`, () => {
  it('raises low_stock once, with its incident and one delivery per target', async () => {
    const counts = await runReplenishment(tdb.db, { now: NOW, notify, item: 'SALT' });
    expect(counts).toMatchObject({ below_reorder_point: 1, alerts_raised: 1 });
    const [a] = await tdb.db.query<{ id: string; rule: string; severity: string; zone: string; gateway: string; value: number; threshold: number; message: string; incident_id: string | null }>(
      `SELECT id, rule, severity, zone, gateway, value, threshold, message, incident_id FROM alerts WHERE rule = 'low_stock'`);
    expect(a).toMatchObject({ id: `low_stock:SALT:${NOW.getTime()}`, severity: 'warning', zone: 'inventory', gateway: 'cloud' });
    expect(Number(a!.value)).toBe(0);
    expect(Number(a!.threshold)).toBe(12);
    expect(a!.message).toMatch(/^Low stock: SALT \(Sea salt\) available 0 \+ on order 0 = 0 kg, below the reorder point 12 kg; suggested order \d+ kg/);
    expect(a!.incident_id).not.toBeNull();
    const [inc] = await tdb.db.query<{ key: string; state: string }>('SELECT key, state FROM incidents WHERE id = $1', [a!.incident_id]);
    expect(inc).toEqual({ key: `alert:${a!.id}`, state: 'open' });

    const d = await deliveries();
    expect(d.map((x) => [x.alert_id, x.transition, x.channel])).toEqual([[a!.id, 'raised', 'webhook'], [a!.id, 'raised', 'mqtt']]);
    expect(d[0]!.payload).toMatchObject({
      type: 'stockpulse.alert', transition: 'raised',
      alert: { id: a!.id, rule: 'low_stock', severity: 'warning', zone: 'inventory', sensor: null, gateway: 'cloud', message: a!.message,
        value: 0, threshold: 12, since: NOW.toISOString(), at: NOW.toISOString(), item: 'SALT' },
      thread: `incident:${a!.incident_id}`,
    });
    expect(d[1]!.payload.topic).toBe('stockpulse/v1/alerts/inventory');

    // a re-run keeps the open alert: nothing new stored, nothing new sent
    await runReplenishment(tdb.db, { now: NOW, notify, item: 'SALT' });
    expect(await deliveries()).toHaveLength(2);
  });

  it('clears when stock is back: receivers told why, the stored message kept, the incident closed', async () => {
    await post(tdb.db, { kind: 'receipt', item: 'SALT', to: 'dry', qty: 100, at: NOW.toISOString() });
    const counts = await runReplenishment(tdb.db, { now: LATER, notify, item: 'SALT' });
    expect(counts).toMatchObject({ below_reorder_point: 0, alerts_cleared: 1 });
    const [a] = await tdb.db.query<{ id: string; state: string; message: string; incident_id: string }>(
      `SELECT id, state, message, incident_id FROM alerts WHERE rule = 'low_stock'`);
    expect(a!.state).toBe('cleared');
    expect(a!.message).toMatch(/^Low stock: SALT/);
    expect((await tdb.db.query<{ state: string }>('SELECT state FROM incidents WHERE id = $1', [a!.incident_id]))[0]!.state).toBe('closed');
    const cleared = (await deliveries()).filter((x) => x.transition === 'cleared');
    expect(cleared.map((x) => x.channel)).toEqual(['webhook', 'mqtt']);
    expect(cleared[0]!.payload.alert).toMatchObject({ id: a!.id, message: `Cleared (back above the reorder point): ${a!.message}`, at: LATER.toISOString() });
  });
});
