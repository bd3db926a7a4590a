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
import { parseMail, startSmtpServer } from '../../helpers/notify-fixture.ts';

// Issue #13: "The chiller failure raised one critical alert per probe; acknowledging one left the
// other escalating." Through the real ingest path (storeBatch), the real escalation pass on an
// injected clock, the real dispatcher POSTing to a loopback webhook receiver, and the API:
// two probes of one zone are one incident, one chain, one thread, one acknowledgement.

const T = Date.parse('2026-03-01T08:00:00Z');
const at = (min: number) => new Date(T + min * 60_000);
const GW = 'bakery-gw-1';

let tdb: TestDatabase;
let f: ApiFixture;
let rx: WebhookReceiver;
let d: NotificationDispatcher;
let seq = 0;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

const manifest = {
  site: 'bakery-main',
  zones: [
    { id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 }, delaySec: 300, hysteresis: 0.5 },
    { id: 'freezer', name: 'Freezer', profile: { high: -18 }, delaySec: 600, hysteresis: 1 },
    { id: 'coldroom', name: 'Cold room', profile: { low: 0, high: 4 }, delaySec: 300, hysteresis: 0.5 },
  ],
  sensors: ['chiller-p1', 'chiller-p2', 'chiller-p3', 'freezer-f1', 'freezer-f2', 'coldroom-c1', 'coldroom-c2'].map((id) => ({
    id, zone: id.split('-')[0]!, kind: 'temperature', unit: '°C', protocol: 'mqtt-json' })),
  devices: [],
};
const alert = (min: number, a: Partial<AlertEvent> & Pick<AlertEvent, 'id'>): AlertEvent => ({
  transition: 'raised', zone: 'chiller', rule: 'high', severity: 'critical', ts: T + min * 60_000, since: T + min * 60_000 - 300_000,
  value: 9.5, threshold: 8, message: `${a.sensor ?? 'probe'} above 8 °C`, ...a,
});
async function ingest(...alerts: AlertEvent[]) {
  seq++;
  const batch = UplinkBatch.parse({ v: 1, gateway: GW, stream: 's1', seq, sentAt: alerts[0]!.ts, ...(seq === 1 ? { manifest } : {}), readings: [], alerts });
  const r = await storeBatch(tdb.db, batch, notificationTargets({ webhooks: [{ url: `${rx.url}?target=ops` }], mqttAlerts: false }));
  expect(r.status).toBe('committed');
}

/** what reached people (contact webhooks) since the last call: "alert → contact stage" */
let seenPeople = 0;
function people(): string[] {
  const calls = rx.calls.filter((c) => c.body.type === 'stockpulse.notification');
  const out = calls.slice(seenPeople).map((c) => `${c.body.alert.id} → ${c.body.contact.name} ${c.body.stage}${c.body.stage === 'escalated' ? `:L${c.body.level}` : ''}`);
  seenPeople = calls.length;
  return out;
}
const ops = () => rx.calls.filter((c) => c.path?.includes('target=ops')).map((c) => c.body);
async function step(min: number) {
  const r = await escalationPass(tdb.db, at(min));
  await d.pass();
  return r;
}

beforeAll(async () => {
  tdb = await testDatabase();
  await registerGateway(tdb.db, GW, { site: 'bakery-main' });
  f = await apiFixture(tdb.db);
  rx = await startWebhookReceiver();
  smtp = await startSmtpServer('alerts', 'smtp-pa55');
  d = new NotificationDispatcher({ db: tdb.db, log: pino({ level: 'silent' }), maxAttempts: 3, escalation: false,
    smtp: { transport: `smtp://alerts:smtp-pa55@127.0.0.1:${smtp.port}`, from: 'stockpulse <alerts@stock.example.com>' } });
  const alice = await createContact(tdb.db, { name: 'alice', role: 'qa', channels: [{ type: 'webhook', address: `${rx.url}?who=alice` }], active: true });
  const bob = await createContact(tdb.db, { name: 'bob', role: 'qa', channels: [{ type: 'webhook', address: `${rx.url}?who=bob` }], active: true });
  // alice first, bob when nobody acknowledged for 10 min, a reminder every 15 min
  await createRoute(tdb.db, { name: 'cold rooms', kind: 'high', contactIds: [alice.id, bob.id], escalateAfterMin: 10, repeatEveryMin: 15, enabled: true });
  // the cold room's lows go to frank by e-mail only
  const frank = await createContact(tdb.db, { name: 'frank', role: 'warehouse', channels: [{ type: 'email', address: 'frank@stock.example.com' }], active: true });
  await createRoute(tdb.db, { name: 'cold room lows', kind: 'low', zone: 'coldroom', contactIds: [frank.id], enabled: true });
});
afterAll(async () => {
  await d?.stop();
  await rx?.close();
  await smtp?.close();
  await f?.close();
  await tdb?.cleanup();
});

describe(`incidents: one zone event, many alerts (${engineLabel})`, () => {
  let incident = 0;

  it('two probes of one zone in excursion are one incident, with the per-probe detail inside', async () => {
    await ingest(alert(0, { id: 'chiller:high:p1:1', sensor: 'chiller-p1' }));
    expect(await step(0)).toMatchObject({ routed: 1, messages: 1 });
    expect(people()).toEqual(['chiller:high:p1:1 → alice raised']);
    await ingest(alert(2, { id: 'chiller:high:p2:1', sensor: 'chiller-p2', value: 9.9 }));

    const open = await f.as('viewer', 'GET', '/api/incidents');
    expect(open.status).toBe(200);
    expect(open.json).toHaveLength(1);
    const [inc] = open.json;
    incident = inc.id;
    expect(inc).toMatchObject({ zone: 'chiller', key: 'zone:chiller', severity: 'critical', state: 'open', activeAlerts: 2, unackedAlerts: 2, probes: 2, ackedAt: null });
    expect(inc.alerts.map((a: { sensor: string; incidentId: number }) => [a.sensor, a.incidentId]).sort())
      .toEqual([['chiller-p1', incident], ['chiller-p2', incident]]);
    // the alert list carries the incident too; /?alert=ID resolves through the alert
    const list = await f.as('viewer', 'GET', '/api/alerts?state=active');
    expect(list.json.map((a: { incidentId: number }) => a.incidentId)).toEqual([incident, incident]);
    expect((await f.as('viewer', 'GET', `/api/alerts/${encodeURIComponent('chiller:high:p2:1')}/incident`)).json.id).toBe(incident);
    expect((await f.as('viewer', 'GET', `/api/incidents/${incident}`)).json.alerts).toHaveLength(2);
  });

  it('the second probe starts no second chain: whoever was told gets one update in the same thread, nobody is paged anew', async () => {
    const r = await step(3);
    expect(r).toMatchObject({ routed: 0, updates: 1, escalations: 0 });
    expect(people()).toEqual(['chiller:high:p2:1 → alice update']);
    const update = rx.calls.filter((c) => c.body.type === 'stockpulse.notification').at(-1)!.body;
    expect(update.incident).toMatchObject({ id: incident, thread: `incident:${incident}`, update: true, alerts: 2 });
    expect(update.title).toContain(`incident #${incident}`);
    // only one escalation (the incident's) is running
    const chains = await tdb.db.query<{ alert_id: string; closed_reason: string | null }>(
      'SELECT alert_id, closed_reason FROM notify_escalations ORDER BY alert_id');
    expect(chains).toEqual([{ alert_id: 'chiller:high:p1:1', closed_reason: null }, { alert_id: 'chiller:high:p2:1', closed_reason: 'merged' }]);
  });

  it('the configured webhook gets both raises in one thread: a stable incident id, the second marked as an update', async () => {
    await d.pass();
    const raised = ops().filter((b) => b.transition === 'raised');
    expect(raised.map((b) => [b.alert.id, b.thread, b.incident.update])).toEqual([
      ['chiller:high:p1:1', `incident:${incident}`, false],
      ['chiller:high:p2:1', `incident:${incident}`, true],
    ]);
    // what the receiver is told of the incident at each raise: the second joined it (2 alerts)
    expect(raised.map((b) => [b.incident.alerts, b.incident.state])).toEqual([[1, 'open'], [2, 'open']]);
  });

  it('unacknowledged, the incident escalates once (not once per probe)', async () => {
    expect(await step(10)).toMatchObject({ escalations: 1 });
    expect(people()).toEqual(['chiller:high:p1:1 → bob escalated:L1']);
  });

  it('acknowledging a single alert of a two-alert incident does not stop its escalation; the incident is still waiting', async () => {
    const one = await f.as('warehouse', 'POST', `/api/alerts/${encodeURIComponent('chiller:high:p1:1')}/ack`, { by: 'dora' });
    expect(one.status).toBe(200);
    expect(one.json.incidentId).toBe(incident);
    expect(await step(15)).toMatchObject({ reminders: 1, closed: 0 });
    expect(people()).toEqual(['chiller:high:p1:1 → bob reminder']);
  });

  it('one acknowledgement of the incident acknowledges every alert in it, is audited, and stops the escalation for both', async () => {
    expect((await f.as('viewer', 'POST', `/api/incidents/${incident}/ack`, { by: 'x' })).status).toBe(403);
    expect((await f.as('warehouse', 'POST', '/api/incidents/abc/ack', { by: 'x' })).json).toMatchObject({ code: 'SP_ERR_VALIDATION' });
    expect((await f.as('warehouse', 'POST', '/api/incidents/999999/ack', { by: 'x' })).json).toMatchObject({ code: 'SP_ERR_NOT_FOUND' });
    const res = await f.as('qa', 'POST', `/api/incidents/${incident}/ack`, { by: 'erik', note: 'compressor tripped, on it' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: incident, ackedBy: 'erik', unackedAlerts: 0 });
    // p1 keeps dora's earlier acknowledgement; p2 is acknowledged by the incident's
    expect(res.json.alerts.map((a: { id: string; ackedBy: string }) => [a.id, a.ackedBy]).sort()).toEqual([
      ['chiller:high:p1:1', 'dora'], ['chiller:high:p2:1', 'erik']]);
    const audit = await tdb.db.query<{ entity: string; entity_id: string; actor: string; after: { alertsAcknowledged: string[] } }>(
      "SELECT entity, entity_id, actor, after FROM audit_log WHERE entity = 'incident'");
    expect(audit).toEqual([expect.objectContaining({ entity: 'incident', entity_id: String(incident), after: expect.objectContaining({ alertsAcknowledged: ['chiller:high:p2:1'] }) })]);

    const r = await step(30);
    expect(r).toMatchObject({ closed: 1, escalations: 0, reminders: 0 });
    expect(people()).toEqual([]);
    expect(await step(60)).toMatchObject({ messages: 0 });
    expect(people()).toEqual([]);
  });

  it('a later probe of the acknowledged incident (no more severe) is acknowledged with it and pages nobody', async () => {
    await ingest(alert(61, { id: 'chiller:high:p3:1', sensor: 'chiller-p3' }));
    const joined = (await f.as('viewer', 'GET', `/api/incidents/${incident}`)).json;
    expect(joined.alerts.find((a: { id: string }) => a.id === 'chiller:high:p3:1')).toMatchObject({ ackedBy: 'erik' });
    expect(await step(62)).toMatchObject({ routed: 0, updates: 0, messages: 0 });
    expect(people()).toEqual([]);
  });

  it('alerts of two zones are two incidents', async () => {
    await ingest(alert(63, { id: 'freezer:high:f1:1', zone: 'freezer', sensor: 'freezer-f1', severity: 'warning', threshold: -18, value: -16 }));
    const open = (await f.as('viewer', 'GET', '/api/incidents')).json as { id: number; zone: string; alerts: unknown[] }[];
    expect(open.map((i) => [i.zone, i.alerts.length]).sort()).toEqual([['chiller', 3], ['freezer', 1]]);
    expect(new Set(open.map((i) => i.id)).size).toBe(2);
    expect(await step(63)).toMatchObject({ routed: 1 });
    expect(people()).toEqual(['freezer:high:f1:1 → alice raised']);
  });

  it('a more severe alert joining an acknowledged incident withdraws the acknowledgement and pages again', async () => {
    const freezer = (await f.as('viewer', 'GET', '/api/incidents?zone=freezer')).json[0];
    expect((await f.as('warehouse', 'POST', `/api/incidents/${freezer.id}/ack`, { by: 'erik' })).status).toBe(200);
    expect(await step(64)).toMatchObject({ closed: 1, messages: 0 });
    await ingest(alert(65, { id: 'freezer:high:f2:1', zone: 'freezer', sensor: 'freezer-f2', severity: 'critical', threshold: -18, value: -8 }));
    const worse = (await f.as('viewer', 'GET', `/api/incidents/${freezer.id}`)).json;
    expect(worse).toMatchObject({ severity: 'critical', ackedAt: null, unackedAlerts: 1 });
    expect(worse.ackNote).toContain('withdrawn');
    // the webhook's raise says the incident is critical now (not the warning it was), in its thread
    await d.pass();
    expect(ops().filter((b) => b.transition === 'raised' && b.alert.id === 'freezer:high:f2:1').map((b) => b.incident))
      .toEqual([{ id: freezer.id, thread: `incident:${freezer.id}`, update: true, severity: 'critical', state: 'open', alerts: 2 }]);
    expect(await step(65)).toMatchObject({ routed: 1 });
    expect(people()).toEqual(['freezer:high:f2:1 → alice raised']);
  });

  it('the incident closes when its last alert clears; a new excursion after that is a new incident', async () => {
    const clear = (id: string, sensor: string, min: number): AlertEvent => ({ ...alert(min, { id, sensor }), transition: 'cleared' });
    await ingest(clear('chiller:high:p1:1', 'chiller-p1', 70), clear('chiller:high:p2:1', 'chiller-p2', 71));
    expect((await f.as('viewer', 'GET', `/api/incidents/${incident}`)).json.state).toBe('open');   // p3 still warm
    await ingest(clear('chiller:high:p3:1', 'chiller-p3', 72));
    const closed = (await f.as('viewer', 'GET', `/api/incidents/${incident}`)).json;
    expect(closed).toMatchObject({ state: 'closed', activeAlerts: 0, closedAt: at(72).getTime() });
    // the clears in the thread: the last one ends it (update false), the earlier ones were updates
    await d.pass();
    // (the dispatcher sends a pass's deliveries in parallel: arrival order is not theirs)
    expect(ops().filter((b) => b.transition === 'cleared' && b.incident.id === incident).map((b) => [b.alert.id, b.incident.update]).sort()).toEqual([
      ['chiller:high:p1:1', true], ['chiller:high:p2:1', true], ['chiller:high:p3:1', false]]);
    // the last clear's payload shows the incident it ended as closed; the earlier ones, still open
    expect(ops().filter((b) => b.transition === 'cleared' && b.incident.id === incident).map((b) => [b.alert.id, b.incident.state, b.incident.alerts]).sort()).toEqual([
      ['chiller:high:p1:1', 'open', 3], ['chiller:high:p2:1', 'open', 3], ['chiller:high:p3:1', 'closed', 3]]);

    await ingest(alert(90, { id: 'chiller:high:p1:2', sensor: 'chiller-p1' }));
    const now = (await f.as('viewer', 'GET', '/api/incidents?zone=chiller')).json;
    expect(now).toHaveLength(1);
    expect(now[0].id).not.toBe(incident);
    expect(now[0].alerts.map((a: { id: string }) => a.id)).toEqual(['chiller:high:p1:2']);
  });

  it('e-mail: one incident is one conversation — the second probe\'s update answers the first message ("Re: …", same References)', async () => {
    const low = (min: number, id: string, sensor: string): AlertEvent => ({
      ...alert(min, { id, sensor, zone: 'coldroom' }), rule: 'low', value: -1.2, threshold: 0, message: `${sensor} below 0 °C` });
    await ingest(low(100, 'coldroom:low:c1:1', 'coldroom-c1'));
    await step(100);   // (also moves this file's earlier chains along: only frank's mail is looked at here)
    await ingest(low(101, 'coldroom:low:c2:1', 'coldroom-c2'));
    expect(await step(101)).toMatchObject({ updates: 1 });
    const inc = (await f.as('viewer', 'GET', '/api/incidents?zone=coldroom')).json[0];
    expect(smtp.mails).toHaveLength(2);
    const [first, second] = smtp.mails.map((m) => ({ ...parseMail(m.raw), raw: m.raw }));
    expect(first!.subject).toBe(`[CRITICAL] Low temperature · coldroom — incident #${inc.id}`);
    expect(second!.subject).toBe(`Re: [CRITICAL] Low temperature · coldroom — incident #${inc.id}`);
    expect(second!.text).toContain(`Another alert joined incident #${inc.id} (2 alerts now)`);
    for (const m of [first!, second!]) {
      expect(m.raw).toMatch(new RegExp(`^References: <incident-${inc.id}@stockpulse>`, 'm'));
      expect(m.raw).toMatch(new RegExp(`^In-Reply-To: <incident-${inc.id}@stockpulse>`, 'm'));
    }
  });
});
