import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { storeBatch } from '../../../cloud/ingest/store-batch.ts';
import { GroupCommitter } from '../../../cloud/ingest/group-commit.ts';
import { NotificationDispatcher } from '../../../cloud/notify/dispatcher.ts';
import { notificationTargets } from '../../../cloud/notify/targets.ts';
import { UplinkBatch, type AlertEvent } from '../../../protocols/uplink/contract.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { startWebhookReceiver, waitFor, type WebhookReceiver } from '../../helpers/net.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// The alarm's direct path (dispatcher.ts send, issue #12): the ingest inserts an alert's
// deliveries already leased to its instance and hands them to that instance's dispatcher after
// the COMMIT, which sends them without a claim. The lease is what keeps it correct with other
// instances: no pass takes a leased delivery, and one whose instance died before sending is sent
// by another pass once the lease has run out.

const T = Date.parse('2026-03-01T08:00:00Z');
const GW = 'bakery-gw-1';
const log = pino({ level: 'silent' });

let tdb: TestDatabase;
let rx: WebhookReceiver;
let seq = 0;

const alert = (id: string, a: Partial<AlertEvent> = {}): AlertEvent => ({
  id, transition: 'raised', zone: 'chiller', rule: 'high', severity: 'critical', ts: T + seq * 1000, since: T, value: 9.5, threshold: 8, message: 'above 8 °C', ...a,
});
const batch = (...alerts: AlertEvent[]) => UplinkBatch.parse({ v: 1, gateway: GW, stream: 's1', seq: ++seq, sentAt: T + seq * 1000, readings: [], alerts });
const targets = () => notificationTargets({ webhooks: [{ url: `${rx.url}?target=ops` }], mqttAlerts: false });
const callsFor = (alertId: string) => rx.calls.filter((c) => c.body?.alert?.id === alertId);
const delivery = async (alertId: string) => (await tdb.db.query<{ status: string; attempts: number; leased: boolean; last_error: string | null }>(
  `SELECT status, attempts, next_attempt_at > now() + interval '10 seconds' AS leased, last_error FROM notification_deliveries WHERE alert_id = $1`, [alertId]))[0]!;
/** what the lease's 30 s do (as tests/cloud/notify-retry.test.ts skips the backoff wait) */
const leaseRunsOut = () => tdb.db.query("UPDATE notification_deliveries SET next_attempt_at = now() - interval '1 second' WHERE status = 'pending'");

beforeAll(async () => {
  tdb = await testDatabase();
  await registerGateway(tdb.db, GW, { site: 'bakery-main' });
  rx = await startWebhookReceiver();
});
afterAll(async () => {
  await rx?.close();
  await tdb?.cleanup();
});

describe(`direct dispatch of an ingested alert (${engineLabel})`, () => {
  it('without a lease asked for, the deliveries are pending and due, for any pass (as before)', async () => {
    const r = await storeBatch(tdb.db, batch(alert('a-plain')), targets());
    expect(r).toMatchObject({ status: 'committed', deliveries: 1 });
    expect(r.status === 'committed' && r.leased).toBeUndefined();
    expect(await delivery('a-plain')).toMatchObject({ status: 'pending', leased: false });
    const d = new NotificationDispatcher({ db: tdb.db, log, escalation: false });
    await d.pass();
    await d.stop();
    expect(callsFor('a-plain')).toHaveLength(1);
  });

  it('a delivery leased by an instance that died before sending is left alone by other passes until the lease runs out, then sent once', async () => {
    const r = await storeBatch(tdb.db, batch(alert('a-orphan')), targets(), undefined, { lease: true });
    expect(r.status === 'committed' && r.leased?.map((l) => l.alert_id)).toEqual(['a-orphan']);
    // the instance that leased it is gone: nobody calls send
    const other = new NotificationDispatcher({ db: tdb.db, log, escalation: false });
    await other.pass();
    expect(callsFor('a-orphan')).toHaveLength(0);
    expect(await delivery('a-orphan')).toMatchObject({ status: 'pending', leased: true, attempts: 0 });
    await leaseRunsOut();
    await other.pass();
    await other.pass();
    await other.stop();
    expect(callsFor('a-orphan')).toHaveLength(1);
    expect(await delivery('a-orphan')).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('the direct path sends each delivery exactly once while another instance\'s pass runs at the same time', async () => {
    const r = await storeBatch(tdb.db, batch(alert('a-race-1', { sensor: 'p1' }), alert('a-race-2', { sensor: 'p2' })), targets(), undefined, { lease: true });
    const leased = r.status === 'committed' ? r.leased ?? [] : [];
    expect(leased).toHaveLength(2);
    const mine = new NotificationDispatcher({ db: tdb.db, log, escalation: false });
    const other = new NotificationDispatcher({ db: tdb.db, log, escalation: false });
    mine.send(leased);
    const [taken] = await Promise.all([other.pass(), mine.stop()]); // stop waits for the direct attempts
    await other.pass();
    await other.stop();
    expect(taken).toBe(0);
    for (const id of ['a-race-1', 'a-race-2']) {
      expect(callsFor(id)).toHaveLength(1);
      expect(await delivery(id)).toMatchObject({ status: 'sent', attempts: 1 });
    }
    // the body is the same one a pass would have sent
    expect(callsFor('a-race-1')[0]!.body).toMatchObject({ type: 'stockpulse.alert', transition: 'raised', alert: { id: 'a-race-1', sensor: 'p1', severity: 'critical' } });
  });

  it('a failed direct attempt is retried by a pass, as any failed attempt', async () => {
    const r = await storeBatch(tdb.db, batch(alert('a-retry')), targets(), undefined, { lease: true });
    const d = new NotificationDispatcher({ db: tdb.db, log, escalation: false, maxAttempts: 3 });
    rx.status = 500;
    d.send(r.status === 'committed' ? r.leased ?? [] : []);
    await waitFor(async () => (await delivery('a-retry')).attempts === 1, 'the direct attempt recorded');
    rx.status = 200;
    expect(await delivery('a-retry')).toMatchObject({ status: 'pending', last_error: 'webhook answered HTTP 500' });
    await leaseRunsOut(); // the backoff's wait
    await d.pass();
    await d.stop();
    expect(callsFor('a-retry')).toHaveLength(1);
    expect(await delivery('a-retry')).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('an info record sent on the direct path is cancelled, not sent (as by a pass)', async () => {
    const r = await storeBatch(tdb.db, batch(alert('a-defrost', { rule: 'defrost', severity: 'info', zone: 'freezer' })), targets(), undefined, { lease: true });
    const d = new NotificationDispatcher({ db: tdb.db, log, escalation: false });
    d.send(r.status === 'committed' ? r.leased ?? [] : []);
    await d.stop();
    expect(callsFor('a-defrost')).toHaveLength(0);
    expect(await delivery('a-defrost')).toMatchObject({ status: 'cancelled', last_error: 'info alert: kept as a record, not sent' });
  });

  it('a group commit returns each committed batch\'s leased deliveries; a replayed batch leases nothing', async () => {
    const group = new GroupCommitter({ db: tdb.db, targets: targets(), store: { lease: true } });
    const b = batch(alert('a-group'));
    const r = await group.store(b);
    expect(r.status === 'committed' && r.leased?.map((l) => l.alert_id)).toEqual(['a-group']);
    expect(await group.store(b)).toEqual({ status: 'duplicate' });
    const d = new NotificationDispatcher({ db: tdb.db, log, escalation: false });
    d.send(r.status === 'committed' ? r.leased ?? [] : []);
    await d.stop();
    expect(callsFor('a-group')).toHaveLength(1);
  });

  it('a stopped dispatcher sends nothing it is handed: the lease runs out and a pass sends it', async () => {
    const r = await storeBatch(tdb.db, batch(alert('a-stopping')), targets(), undefined, { lease: true });
    const stopped = new NotificationDispatcher({ db: tdb.db, log, escalation: false });
    await stopped.stop();
    stopped.send(r.status === 'committed' ? r.leased ?? [] : []);
    expect(callsFor('a-stopping')).toHaveLength(0);
    await leaseRunsOut();
    const other = new NotificationDispatcher({ db: tdb.db, log, escalation: false });
    await other.pass();
    await other.stop();
    expect(callsFor('a-stopping')).toHaveLength(1);
  });
});
