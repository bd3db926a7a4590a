import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { storeBatch } from '../../../cloud/ingest/store-batch.ts';
import { NotificationDispatcher } from '../../../cloud/notify/dispatcher.ts';
import { escalationPass } from '../../../cloud/notify/escalation.ts';
import { createContact, createRoute } from '../../../cloud/notify/contacts.ts';
import { notificationTargets } from '../../../cloud/notify/targets.ts';
import { UplinkBatch, type AlertEvent } from '../../../protocols/uplink/contract.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/net.ts';
import { registerGateway } from '../../helpers/gateways.ts';
import { apiFixture, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// The edge reports a defrost as an `info` alert of rule `defrost` (a record for the exposure
// history). Stored like any alert by the real ingest path, it must not reach anyone: not the
// webhooks, not a person's escalation chain, not the "active" list or a zone's alert count.

const T = Date.parse('2026-03-01T02:00:00Z');

let tdb: TestDatabase;
let f: ApiFixture;
let rx: WebhookReceiver;
let d: NotificationDispatcher;

const alert = (a: Partial<AlertEvent> & Pick<AlertEvent, 'id' | 'rule' | 'severity'>): AlertEvent => ({
  transition: 'raised', zone: 'freezer', ts: T, since: T, message: `${a.rule} in the freezer`, ...a,
});

beforeAll(async () => {
  tdb = await testDatabase();
  await registerGateway(tdb.db, 'bakery-gw-1', { site: 'bakery-main' });
  f = await apiFixture(tdb.db);
  rx = await startWebhookReceiver();
  d = new NotificationDispatcher({ db: tdb.db, log: pino({ level: 'silent' }), maxAttempts: 3, escalation: false });
  const carol = await createContact(tdb.db, { name: 'carol', role: 'warehouse', channels: [{ type: 'webhook', address: `${rx.url}?who=carol` }], active: true });
  // "anything in the freezer" (no severity named) and a route that asks for info explicitly
  await createRoute(tdb.db, { name: 'freezer', zone: 'freezer', contactIds: [carol.id], enabled: true });
  await createRoute(tdb.db, { name: 'defrost log', kind: 'defrost', severity: 'info', contactIds: [carol.id], enabled: false });
  const batch = UplinkBatch.parse({
    v: 1, gateway: 'bakery-gw-1', stream: 's1', seq: 1, sentAt: T,
    manifest: { site: 'bakery-main', zones: [{ id: 'freezer', name: 'Freezer', profile: { high: -18 }, delaySec: 600, hysteresis: 1 }], sensors: [], devices: [] },
    readings: [],
    alerts: [
      alert({ id: 'freezer:defrost:-:1', rule: 'defrost', severity: 'info', threshold: 2700 }),
      alert({ id: 'freezer:defrost_overrun:-:2', rule: 'defrost_overrun', severity: 'critical', ts: T + 75 * 60_000 }),
    ],
  });
  const stored = await storeBatch(tdb.db, batch, notificationTargets({ webhooks: [{ url: `${rx.url}?target=ops` }], mqttAlerts: false }));
  expect(stored.status).toBe('committed');
});
afterAll(async () => {
  await d?.stop();
  await rx?.close();
  await f?.close();
  await tdb?.cleanup();
});

describe(`info alerts are records, not notifications (${engineLabel})`, () => {
  it('the webhook target gets the overrun only; the defrost record\'s delivery is cancelled with its reason', async () => {
    await d.pass();
    expect(rx.calls.map((c) => c.body.alert.rule)).toEqual(['defrost_overrun']);
    const rows = await tdb.db.query<{ alert_id: string; status: string; last_error: string | null }>(
      'SELECT alert_id, status, last_error FROM notification_deliveries ORDER BY id');
    expect(rows).toEqual([
      { alert_id: 'freezer:defrost:-:1', status: 'cancelled', last_error: 'info alert: kept as a record, not sent' },
      { alert_id: 'freezer:defrost_overrun:-:2', status: 'sent', last_error: null },
    ]);
  });

  it('a route naming no severity does not take info alerts into a person\'s chain', async () => {
    const before = rx.calls.length;
    const r = await escalationPass(tdb.db, new Date(T + 80 * 60_000));
    await d.pass();
    expect(r.routed).toBe(1);
    expect(rx.calls.slice(before).map((c) => `${c.body.alert.rule} → ${c.body.contact.name}`)).toEqual(['defrost_overrun → carol']);
  });

  it('the API lists the defrost record with all alerts but not as active, and the zone counts one active alert', async () => {
    const active = await f.as('viewer', 'GET', '/api/alerts?state=active');
    expect(active.json.map((a: { rule: string }) => a.rule)).toEqual(['defrost_overrun']);
    const all = await f.as('viewer', 'GET', '/api/alerts?state=all');
    expect(all.json.map((a: { rule: string }) => a.rule).sort()).toEqual(['defrost', 'defrost_overrun']);
    const zones = await f.as('viewer', 'GET', '/api/zones');
    expect(zones.json.find((z: { id: string }) => z.id === 'freezer').activeAlerts).toBe(1);
  });
});
