import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { NotificationDispatcher } from '../../cloud/notify/dispatcher.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../helpers/db.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/net.ts';

// A failing webhook is retried with backoff and every attempt is recorded; after the last
// allowed attempt the delivery is marked failed, and other deliveries are not held back.

let tdb: TestDatabase;
let hook: WebhookReceiver;

beforeAll(async () => {
  tdb = await testDatabase();
  hook = await startWebhookReceiver();
});
afterAll(async () => {
  await hook.close();
  await tdb.cleanup();
});

const row = async (id: number) => (await tdb.db.query<{ status: string; attempts: number; last_error: string | null }>(
  'SELECT status, attempts, last_error FROM notification_deliveries WHERE id = $1', [id]))[0]!;
/** make every pending delivery due now (skips the real backoff wait) */
const due = () => tdb.db.query("UPDATE notification_deliveries SET next_attempt_at = now() - interval '1 second' WHERE status = 'pending'");

describe(`notification retries (${engineLabel})`, () => {
  it('retries a failing webhook, records attempts and errors, then succeeds', async () => {
    const [{ id }] = await tdb.db.query<{ id: number }>(
      `INSERT INTO notification_deliveries (alert_id, transition, channel, target, payload)
       VALUES ('a1', 'raised', 'webhook', $1, '{"type":"stockpulse.alert"}') RETURNING id::int AS id`, [hook.url]) as [{ id: number }];
    const d = new NotificationDispatcher({ db: tdb.db, log: pino({ level: 'silent' }), maxAttempts: 3 });

    hook.status = 500;
    expect(await d.pass()).toBe(1);
    expect(await row(id)).toMatchObject({ status: 'pending', attempts: 1, last_error: 'webhook answered HTTP 500' });
    expect(await d.pass()).toBe(0); // not due yet: backing off (at least 1 s)
    await due();
    hook.status = 200;
    await d.pass();
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
    expect(hook.calls).toHaveLength(1);
  });

  it('gives up after maxAttempts and marks the delivery failed', async () => {
    const [{ id }] = await tdb.db.query<{ id: number }>(
      `INSERT INTO notification_deliveries (alert_id, transition, channel, target, payload)
       VALUES ('a2', 'raised', 'webhook', 'http://127.0.0.1:9/unreachable', '{}') RETURNING id::int AS id`) as [{ id: number }];
    const d = new NotificationDispatcher({ db: tdb.db, log: pino({ level: 'silent' }), maxAttempts: 2, webhookTimeoutMs: 1000 });
    await d.pass();
    await due();
    await d.pass();
    const r = await row(id);
    expect(r.status).toBe('failed');
    expect(r.attempts).toBe(2);
    expect(r.last_error).toBeTruthy();
  });
});
