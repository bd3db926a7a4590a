import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { NotificationDispatcher } from '../../../cloud/notify/dispatcher.ts';
import { escalationPass } from '../../../cloud/notify/escalation.ts';
import { createContact, createRoute } from '../../../cloud/notify/contacts.ts';
import { jobs } from '../../../cloud/jobs/registry.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { startWebhookReceiver, waitFor, type WebhookReceiver } from '../../helpers/net.ts';
import { apiFixture, type ApiFixture } from '../../helpers/inventory-fixture.ts';
import { insertAlert } from '../../helpers/notify-fixture.ts';

// Routing by kind / zone / role, escalation after N minutes, reminders every M minutes, ack
// stopping both, the all-clear, and retries — all on an injected clock (the pass gets `now`),
// delivered for real to a loopback webhook receiver. Every contact has one generic webhook, so
// the receiver sees who got what, in order.

const T = Date.parse('2026-03-01T08:00:00Z');
const at = (min: number) => new Date(T + min * 60_000);

let tdb: TestDatabase;
let f: ApiFixture;
let rx: WebhookReceiver;
let d: NotificationDispatcher;
const id: Record<string, number> = {};

/** what the receiver got since the last call: "contact stage[:level|#reminder]" per message */
let seen = 0;
function received(): string[] {
  const out = rx.calls.slice(seen).map((c) => `${c.body.alert.id} → ${c.body.contact.name} ${c.body.stage}`
    + (c.body.stage === 'escalated' ? `:L${c.body.level}` : c.body.stage === 'reminder' ? `#${c.body.reminder}` : ''));
  seen = rx.calls.length;
  return out;
}
/** one pass at minute `min`, then send what it created */
async function step(min: number) {
  const r = await escalationPass(tdb.db, at(min));
  await d.pass();
  return r;
}

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  rx = await startWebhookReceiver();
  d = new NotificationDispatcher({ db: tdb.db, log: pino({ level: 'silent' }), maxAttempts: 5, escalation: false });
  for (const [name, role] of [['alice', 'qa'], ['bob', 'qa'], ['carol', 'warehouse'], ['dave', 'purchasing'], ['erin', 'warehouse']] as const) {
    id[name] = (await createContact(tdb.db, { name, role, channels: [{ type: 'webhook', address: `${rx.url}?who=${name}` }], active: name !== 'erin' })).id;
  }
  // chiller highs: alice first, then bob after 10 min; a reminder every 4 min
  await createRoute(tdb.db, { name: 'chiller highs', kind: 'high', zone: 'chiller', contactIds: [id.alice!, id.bob!], escalateAfterMin: 10, repeatEveryMin: 4, enabled: true });
  // anything in the freezer: the warehouse role (erin is inactive, so only carol)
  await createRoute(tdb.db, { name: 'freezer', zone: 'freezer', role: 'warehouse', contactIds: [], enabled: true });
  // low stock anywhere: purchasing
  await createRoute(tdb.db, { name: 'low stock', kind: 'low_stock', role: 'purchasing', contactIds: [], enabled: true });
});
afterAll(async () => {
  await d?.stop();
  await rx?.close();
  await f?.close();
  await tdb?.cleanup();
});

describe(`routing and escalation (${engineLabel})`, () => {
  it('routes by kind, zone and role to the right first contact only', async () => {
    await insertAlert(tdb.db, { id: 'a-chiller-high', zone: 'chiller', rule: 'high', severity: 'critical' });
    await insertAlert(tdb.db, { id: 'a-freezer-high', zone: 'freezer', rule: 'high' });
    await insertAlert(tdb.db, { id: 'a-chiller-door', zone: 'chiller', rule: 'door_open' });   // no route for doors
    await insertAlert(tdb.db, { id: 'a-freezer-offline', zone: 'freezer', rule: 'device_offline' });
    await insertAlert(tdb.db, { id: 'a-flour-low', zone: 'dry', rule: 'low_stock' });
    const r = await step(0);
    expect(r).toMatchObject({ routed: 4, messages: 4 });
    expect(received().sort()).toEqual([
      'a-chiller-high → alice raised',
      'a-flour-low → dave raised',
      'a-freezer-high → carol raised',
      'a-freezer-offline → carol raised',
    ]);
  });

  it('reminds every M minutes and escalates to the next contact after N minutes (injected clock)', async () => {
    await step(3);
    expect(received()).toEqual([]);
    await step(4);
    expect(received()).toEqual(['a-chiller-high → alice reminder#1']);
    await step(4);   // the same minute again: nothing twice
    await step(7.9);
    expect(received()).toEqual([]);
    await step(8);
    expect(received()).toEqual(['a-chiller-high → alice reminder#2']);
    await step(10);
    expect(received()).toEqual(['a-chiller-high → bob escalated:L1']);
    await step(12);
    expect(received()).toEqual(['a-chiller-high → bob reminder#3']);
    // a late pass (nothing ran at 16): only the newest reminder, to whoever is responsible now
    await step(20.5);
    expect(received()).toEqual(['a-chiller-high → bob reminder#5']);
    const [esc] = await tdb.db.query<{ level: number; reminders: number }>(
      "SELECT level, reminders FROM notify_escalations WHERE alert_id = 'a-chiller-high'");
    expect(esc).toEqual({ level: 1, reminders: 5 });
  });

  it('a failed delivery is retried and every attempt recorded', async () => {
    rx.status = 500;
    await step(24);   // reminder 6 to bob: the receiver is down
    const pending = await f.as('qa', 'GET', '/api/notifications/deliveries?alert=a-chiller-high&status=pending');
    expect(pending.json.deliveries).toHaveLength(1);
    expect(pending.json.deliveries[0]).toMatchObject({ stage: 'reminder', contact: { name: 'bob' }, attempts: 1, lastError: 'webhook answered HTTP 500' });
    expect(pending.json.deliveries[0].attemptLog).toEqual([expect.objectContaining({ attempt: 1, ok: false, error: 'webhook answered HTTP 500' })]);
    rx.status = 200;
    await tdb.db.query(`UPDATE notification_deliveries SET next_attempt_at = now() - interval '1 second' WHERE status = 'pending'`);
    expect(await d.pass()).toBe(1);
    expect(received()).toEqual(['a-chiller-high → bob reminder#6']);
    const after = await f.as('qa', 'GET', '/api/notifications/deliveries?alert=a-chiller-high&channel=webhook');
    const r6 = after.json.deliveries.find((x: any) => x.transition.endsWith(':6'));
    expect(r6).toMatchObject({ status: 'sent', attempts: 2 });
    expect(r6.attemptLog.map((a: any) => [a.attempt, a.ok, a.error])).toEqual([[1, false, 'webhook answered HTTP 500'], [2, true, null]]);
  });

  it('acknowledging (API) stops reminders and cancels one that is still waiting to be sent', async () => {
    rx.status = 500;
    await step(28);   // reminder 7: fails, waits for its retry
    rx.status = 200;
    const ack = await f.as('qa', 'POST', '/api/alerts/a-chiller-high/ack', { by: 'bob', note: 'door shut, checking lots' });
    expect(ack.status).toBe(200);
    await tdb.db.query(`UPDATE notification_deliveries SET next_attempt_at = now() - interval '1 second' WHERE status = 'pending'`);
    expect(await d.pass()).toBe(1);   // the dispatcher sees the ack and does not send it
    const r = await step(32);
    expect(r).toMatchObject({ closed: 1, reminders: 0, messages: 0 });
    for (const min of [36, 40, 60]) await step(min);
    expect(received()).toEqual([]);
    const list = (await f.as('qa', 'GET', '/api/notifications/deliveries?alert=a-chiller-high')).json;
    expect(list.deliveries.find((x: any) => x.transition.endsWith(':7'))).toMatchObject({ status: 'cancelled', lastError: 'alert acknowledged before sending' });
    expect(list.escalations[0]).toMatchObject({ closedReason: 'acked', level: 1, reminders: 7 });
  });

  it('an alert that clears unacknowledged tells everyone who was notified, once', async () => {
    await tdb.db.query(`UPDATE alerts SET state = 'cleared', cleared_at = $1 WHERE id = 'a-freezer-offline'`, [at(33)]);
    expect(await step(34)).toMatchObject({ closed: 1, cleared_notices: 1 });
    expect(received()).toEqual(['a-freezer-offline → carol cleared']);
    await step(35);
    expect(received()).toEqual([]);
  });

  it('a contact added later is picked up by a role route; an inactive one never is', async () => {
    await insertAlert(tdb.db, { id: 'a-flour-low-2', zone: 'dry', rule: 'low_stock' });
    await tdb.db.query("UPDATE notify_contacts SET active = false WHERE name = 'dave'");
    expect(await step(40)).toMatchObject({ routed: 0 });   // nobody to tell: not routed yet
    await createContact(tdb.db, { name: 'frank', role: 'purchasing', channels: [{ type: 'webhook', address: `${rx.url}?who=frank` }], active: true });
    await step(41);
    expect(received()).toEqual(['a-flour-low-2 → frank raised']);
  });

  it('has one scheduler: no job runs the pass (the dispatcher loop does), and a second pass at the same clock sends nothing twice', async () => {
    // changed on purpose (issue #15): the `alert-escalation` job used to run this same pass every minute beside the dispatcher
    expect(jobs.map((j) => j.name)).not.toContain('alert-escalation');
    await insertAlert(tdb.db, { id: 'a-chiller-high-b', zone: 'chiller', rule: 'high' });
    expect(await escalationPass(tdb.db, at(50))).toMatchObject({ routed: 1, messages: 1 });
    expect(await escalationPass(tdb.db, at(50))).toMatchObject({ routed: 0, messages: 0 });
    await d.pass();
    expect(received()).toEqual(['a-chiller-high-b → alice raised']);
  });

  it('the running dispatcher routes a new alert to its first contact within seconds', async () => {
    // its clock moves on from the job's minute (the real date would escalate every open alert of this test at once)
    let clock = at(50).getTime();
    const live = new NotificationDispatcher({ db: tdb.db, log: pino({ level: 'silent' }), pollMs: 100, clock: () => (clock += 100), escalation: { everyMs: 100 } });
    live.start();
    try {
      await insertAlert(tdb.db, { id: 'a-freezer-low-live', zone: 'freezer', rule: 'low' });
      await waitFor(() => rx.calls.some((c) => c.body.alert.id === 'a-freezer-low-live'), 'live alert delivered');
    } finally {
      await live.stop();
    }
    expect(received()).toEqual(['a-freezer-low-live → carol raised']);
  });
});
