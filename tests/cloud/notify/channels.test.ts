import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { NotificationDispatcher } from '../../../cloud/notify/dispatcher.ts';
import { escalationPass } from '../../../cloud/notify/escalation.ts';
import { createContact, createRoute } from '../../../cloud/notify/contacts.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/net.ts';
import { apiFixture, type ApiFixture } from '../../helpers/inventory-fixture.ts';
import { insertAlert, parseMail, startSmtpServer } from '../../helpers/notify-fixture.ts';

// One contact with all five channels, created through the API: a critical chiller alert reaches
// each channel in that channel's own format — checked byte for byte at real loopback receivers
// and a real SMTP server — and no robot key, signing secret or SMTP password ever shows in the
// API, the audit log or a stored error.

const T0 = new Date('2026-03-01T08:02:00Z');
const CLOCK = 1_772_352_123_456;   // the dispatcher's clock: DingTalk's signing timestamp
const SECRETS = ['wecom-key-123', 'ding-token-456', 'SECding-secret-789', 'slacksecret789', 'hook-token-000', 'smtp-pa55'];
const TITLE = '[CRITICAL] High temperature · chiller';
const ACK = 'Acknowledge: https://stock.example.com/?alert=chiller-high-1';

let tdb: TestDatabase;
let f: ApiFixture;
let wecom: WebhookReceiver, ding: WebhookReceiver, slack: WebhookReceiver, hook: WebhookReceiver;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let dispatcher: NotificationDispatcher;
let contactId: number;

beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  [wecom, ding, slack, hook] = await Promise.all([startWebhookReceiver(), startWebhookReceiver(), startWebhookReceiver(), startWebhookReceiver()]);
  smtp = await startSmtpServer('alerts', 'smtp-pa55');
  dispatcher = new NotificationDispatcher({
    db: tdb.db, log: pino({ level: 'silent' }), clock: () => CLOCK, maxAttempts: 3,
    smtp: { transport: `smtp://alerts:smtp-pa55@127.0.0.1:${smtp.port}`, from: 'stockpulse <alerts@stock.example.com>' },
  });
});
afterAll(async () => {
  await dispatcher?.stop();
  await Promise.all([wecom, ding, slack, hook].map((r) => r?.close()));
  await smtp?.close();
  await f?.close();
  await tdb?.cleanup();
});

describe(`notification channels (${engineLabel})`, () => {
  it('contacts and routes are created through the API; bad input is a 400 naming the field; viewers may not', async () => {
    const created = await f.as('qa', 'POST', '/api/notify/contacts', {
      name: 'Wang Wei', role: 'qa', mobile: '13800001111',
      channels: [
        { type: 'wecom', address: `${wecom.url}?key=wecom-key-123`, userId: 'wangwei' },
        { type: 'dingtalk', address: `${ding.url}?access_token=ding-token-456`, secret: 'SECding-secret-789' },
        { type: 'slack', address: `${new URL(slack.url).origin}/services/T000/B000/slacksecret789`, userId: 'U024BE7LH' },
        { type: 'webhook', address: `${hook.url}?token=hook-token-000` },
        { type: 'email', address: 'wang.wei@example.com' },
      ],
    });
    expect(created.status).toBe(201);
    contactId = created.json.id;
    const route = await f.as('qa', 'POST', '/api/notify/routes', { name: 'chiller highs', kind: 'high', zone: 'chiller', contactIds: [contactId] });
    expect(route.status).toBe(201);
    expect(route.json).toMatchObject({ kind: 'high', zone: 'chiller', contactIds: [contactId], channels: null, escalateAfterMin: null });

    const badUrl = await f.as('qa', 'POST', '/api/notify/contacts', { name: 'X', role: 'qa', channels: [{ type: 'dingtalk', address: 'not a url' }] });
    expect(badUrl.status).toBe(400);
    expect(badUrl.json.code).toBe('SP_ERR_VALIDATION');
    expect(badUrl.json.details.map((d: { field: string }) => d.field)).toContain('body.channels.0.address');
    const nobody = await f.as('qa', 'POST', '/api/notify/routes', { name: 'empty', zone: 'chiller' });
    expect(nobody.status).toBe(400);
    expect(nobody.json.details[0].field).toBe('body.contactIds');
    const ghost = await f.as('qa', 'POST', '/api/notify/routes', { name: 'ghost', contactIds: [9999] });
    expect(ghost.json.details[0]).toEqual({ field: 'body.contactIds.0', reason: 'no contact with id 9999' });
    expect((await f.as('qa', 'POST', '/api/notify/contacts', { name: 'Wang Wei', role: 'qa' })).status).toBe(409);
    expect((await f.as('viewer', 'POST', '/api/notify/contacts', { name: 'V', role: 'viewer' })).status).toBe(403);
  });

  it('sends each channel its own exact payload', async () => {
    await insertAlert(tdb.db, {
      id: 'chiller-high-1', zone: 'chiller', sensor: 'chiller-t1', rule: 'high', severity: 'critical', value: 9.4, threshold: 8,
      message: 'Chiller above 8 °C for 60 s', since: new Date('2026-03-01T08:00:00Z'), raisedAt: new Date('2026-03-01T08:01:00Z'),
    });
    const r = await escalationPass(tdb.db, T0, { publicUrl: 'https://stock.example.com' });
    expect(r).toMatchObject({ routed: 1, messages: 5 });
    expect(await dispatcher.pass()).toBe(5);

    const facts = ['Zone', 'chiller', 'Sensor', 'chiller-t1', 'Severity', 'critical', 'Value', '9.4 (threshold 8)', 'Since', '2026-03-01T08:00:00Z', 'Alert', 'chiller-high-1'];
    const pairs = Array.from({ length: 6 }, (_, i) => [facts[2 * i]!, facts[2 * i + 1]!] as const);

    // WeCom group robot: markdown, key in the URL, <@userid> mention
    expect(wecom.calls).toHaveLength(1);
    expect(wecom.calls[0]!.path).toBe('/hook?key=wecom-key-123');
    expect(wecom.calls[0]!.body).toEqual({
      msgtype: 'markdown',
      markdown: {
        content: [`### <font color="warning">${TITLE}</font>`, 'Chiller above 8 °C for 60 s', ...pairs.map(([k, v]) => `> ${k}: **${v}**`),
          'You are the first contact for this alert.', '<@wangwei>', ACK].join('\n'),
      },
    });

    // DingTalk robot: markdown + at.atMobiles, signed URL — signature recomputed here from the known secret
    expect(ding.calls).toHaveLength(1);
    const path = ding.calls[0]!.path!;
    const q = new URL(path, 'http://x').searchParams;
    expect(q.get('access_token')).toBe('ding-token-456');
    expect(q.get('timestamp')).toBe(String(CLOCK));
    const expectedSign = createHmac('sha256', 'SECding-secret-789').update(`${CLOCK}\nSECding-secret-789`).digest('base64');
    expect(q.get('sign')).toBe(expectedSign);
    expect(path).toBe(`/hook?access_token=ding-token-456&timestamp=${CLOCK}&sign=${encodeURIComponent(expectedSign)}`);
    expect(ding.calls[0]!.body).toEqual({
      msgtype: 'markdown',
      markdown: {
        title: TITLE,
        text: [`#### ${TITLE}`, 'Chiller above 8 °C for 60 s', ...pairs.map(([k, v]) => `> ${k}: **${v}**`),
          'You are the first contact for this alert.', ACK, '@13800001111'].join('\n\n'),
      },
      at: { atMobiles: ['13800001111'], isAtAll: false },
    });

    // Slack incoming webhook: fallback text + blocks, <@U…> mention
    expect(slack.calls).toHaveLength(1);
    expect(slack.calls[0]!.path).toBe('/services/T000/B000/slacksecret789');
    expect(slack.calls[0]!.body).toEqual({
      text: `${TITLE}: Chiller above 8 °C for 60 s`,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: TITLE, emoji: true } },
        { type: 'section', text: { type: 'mrkdwn', text: '<@U024BE7LH> Chiller above 8 °C for 60 s\n_You are the first contact for this alert._' } },
        { type: 'section', fields: pairs.map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${v}` })) },
        { type: 'context', elements: [{ type: 'mrkdwn', text: ACK }] },
      ],
    });

    // generic webhook: stable JSON
    expect(hook.calls).toHaveLength(1);
    expect(hook.calls[0]!.body).toEqual({
      type: 'stockpulse.notification', stage: 'raised', level: 0, contact: { name: 'Wang Wei', role: 'qa' }, title: TITLE,
      alert: {
        id: 'chiller-high-1', rule: 'high', ruleLabel: 'High temperature', severity: 'critical', state: 'active', zone: 'chiller',
        sensor: 'chiller-t1', gateway: 'gw-bakery', message: 'Chiller above 8 °C for 60 s', value: 9.4, threshold: 8,
        since: '2026-03-01T08:00:00Z', raisedAt: '2026-03-01T08:01:00Z', clearedAt: null,
      },
    });

    // e-mail over SMTP, logged in with the configured account
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail).toMatchObject({ from: 'alerts@stock.example.com', to: ['wang.wei@example.com'], user: 'alerts' });
    const parsed = parseMail(mail.raw);
    expect(parsed.subject).toBe(TITLE);
    expect(parsed.to).toBe('wang.wei@example.com');
    expect(parsed.text).toBe(['Chiller above 8 °C for 60 s', '', ...pairs.map(([k, v]) => `${k}: ${v}`), '',
      'You are the first contact for this alert.', ACK].join('\n'));
    expect(parsed.html).toBe(`<p>Chiller above 8 °C for 60 s</p><table>${pairs.map(([k, v]) => `<tr><th align="left">${k}</th><td>${v}</td></tr>`).join('')}</table>`
      + `<p><em>You are the first contact for this alert.</em></p><p>${ACK}</p>`);
  });

  it('the same pass again sends nothing twice', async () => {
    expect(await escalationPass(tdb.db, T0, { publicUrl: 'https://stock.example.com' })).toMatchObject({ routed: 0, messages: 0 });
    expect(await dispatcher.pass()).toBe(0);
    expect(wecom.calls.length + ding.calls.length + slack.calls.length + hook.calls.length + smtp.mails.length).toBe(5);
  });

  it('the deliveries API lists every attempt with status, addresses masked', async () => {
    const res = await f.as('viewer', 'GET', '/api/notifications/deliveries?alert=chiller-high-1');
    expect(res.status).toBe(200);
    const list = res.json.deliveries as any[];
    expect(list.map((d) => d.channel).sort()).toEqual(['dingtalk', 'email', 'slack', 'webhook', 'wecom']);
    for (const d of list) {
      expect(d).toMatchObject({ alertId: 'chiller-high-1', stage: 'raised', level: 0, status: 'sent', attempts: 1, contact: { id: contactId, name: 'Wang Wei', role: 'qa' } });
      expect(d.attemptLog).toHaveLength(1);
      expect(d.attemptLog[0]).toMatchObject({ attempt: 1, ok: true, error: null });
    }
    expect(list.find((d) => d.channel === 'wecom').target).toBe(`${wecom.url}?key=***`);
    expect(list.find((d) => d.channel === 'slack').target).toBe(`${new URL(slack.url).origin}/services/***`);
    expect(list.find((d) => d.channel === 'email').target).toBe('wang.wei@example.com');
    expect(res.json.escalations).toEqual([expect.objectContaining({ alertId: 'chiller-high-1', level: 0, closedAt: null })]);
  });

  it('never shows a credential: contacts API, deliveries API, audit log; a masked contact sent back keeps its secrets', async () => {
    const contacts = await f.as('qa', 'GET', '/api/notify/contacts');
    const shown = contacts.json[0];
    expect(shown.channels.find((c: any) => c.type === 'dingtalk')).toEqual({ type: 'dingtalk', address: `${ding.url}?access_token=***`, secret: '***', format: 'markdown' });
    // the dashboard edits and sends back what it was shown: the stored credentials stay
    const put = await f.as('qa', 'PUT', `/api/notify/contacts/${contactId}`, { ...shown, id: undefined, mobile: '13900002222' });
    expect(put.status).toBe(200);
    const row = (await tdb.db.query<{ channels: any[] }>('SELECT channels FROM notify_contacts WHERE id = $1', [contactId]))[0]!;
    expect(row.channels.find((c) => c.type === 'dingtalk')).toMatchObject({ address: `${ding.url}?access_token=ding-token-456`, secret: 'SECding-secret-789' });
    expect(row.channels.find((c) => c.type === 'wecom').address).toBe(`${wecom.url}?key=wecom-key-123`);

    const everything = JSON.stringify([
      contacts.json, put.json,
      (await f.as('admin', 'GET', '/api/notifications/deliveries')).json,
      (await f.as('admin', 'GET', '/api/audit?limit=1000')).json,
    ]);
    for (const s of SECRETS) expect(everything, s).not.toContain(s);
  });

  it('DingTalk text format without signing; a robot answering errcode ≠ 0 is a failed attempt', async () => {
    // a DingTalk robot that refuses the message the way DingTalk does: HTTP 200 with an errcode
    const refusing = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end('{"errcode":310000,"errmsg":"sign not match"}')); });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const li = await createContact(tdb.db, {
        name: 'Li Lei', role: 'warehouse', mobile: '13911112222', active: true,
        channels: [{ type: 'dingtalk', address: `${ding.url}?access_token=ding-token-456`, format: 'text' }],
      });
      const zhao = await createContact(tdb.db, {
        name: 'Zhao Min', role: 'warehouse', active: true,
        channels: [{ type: 'dingtalk', address: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/robot/send?access_token=ding-token-456`, secret: 'SECding-secret-789', format: 'markdown' }],
      });
      await createRoute(tdb.db, { name: 'doors', kind: 'door_open', contactIds: [li.id], enabled: true });
      await createRoute(tdb.db, { name: 'doors too', kind: 'door_open', contactIds: [zhao.id], enabled: true });
      await insertAlert(tdb.db, { id: 'door-1', zone: 'chiller', rule: 'door_open', severity: 'warning', message: 'Chiller door open for 5 min' });
      expect(await escalationPass(tdb.db, T0)).toMatchObject({ routed: 2, messages: 2 });
      expect(await dispatcher.pass()).toBe(2);
      const call = ding.calls.at(-1)!;
      expect(call.path).toBe('/hook?access_token=ding-token-456');   // no secret: no timestamp/sign
      expect(call.body).toEqual({
        msgtype: 'text',
        text: { content: ['[WARNING] Door open · chiller', 'Chiller door open for 5 min', 'Zone: chiller', 'Severity: warning', 'Since: 2026-03-01T08:00:00Z',
          'Alert: door-1', 'You are the first contact for this alert.', 'Acknowledge on the dashboard or POST /api/alerts/door-1/ack', '@13911112222'].join('\n') },
        at: { atMobiles: ['13911112222'], isAtAll: false },
      });
      const refused = (await f.as('qa', 'GET', '/api/notifications/deliveries?alert=door-1&status=pending')).json.deliveries;
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ contact: { name: 'Zhao Min' }, attempts: 1, lastError: 'dingtalk errcode 310000: sign not match' });
    } finally {
      // the refused delivery would be retried in the next test's passes: take it out
      await tdb.db.query("UPDATE notification_deliveries SET status = 'failed' WHERE alert_id = 'door-1' AND status = 'pending'");
      refusing.closeAllConnections();
      await new Promise((resolve) => refusing.close(resolve));
    }
  });

  it('an SMTP login failure is retried and recorded, without the password', async () => {
    const bad = new NotificationDispatcher({
      db: tdb.db, log: pino({ level: 'silent' }), maxAttempts: 2,
      smtp: { transport: `smtp://alerts:wrong-smtp-pa55@127.0.0.1:${smtp.port}`, from: 'alerts@stock.example.com' },
    });
    await tdb.db.query(`UPDATE notify_routes SET channels = '{email}' WHERE name = 'chiller highs'`);
    await insertAlert(tdb.db, { id: 'chiller-high-2', zone: 'chiller', rule: 'high', severity: 'critical' });
    expect(await escalationPass(tdb.db, T0)).toMatchObject({ routed: 1, messages: 1 });
    expect(await bad.pass()).toBe(1);
    await tdb.db.query(`UPDATE notification_deliveries SET next_attempt_at = now() - interval '1 second' WHERE status = 'pending'`);
    expect(await bad.pass()).toBe(1);
    await bad.stop();
    const res = await f.as('qa', 'GET', '/api/notifications/deliveries?alert=chiller-high-2');
    const d = res.json.deliveries[0];
    expect(d).toMatchObject({ channel: 'email', status: 'failed', attempts: 2 });
    expect(d.attemptLog.map((a: any) => [a.attempt, a.ok])).toEqual([[1, false], [2, false]]);
    expect(d.attemptLog[0].error).toMatch(/auth|login|535/i);
    expect(JSON.stringify(res.json)).not.toContain('wrong-smtp-pa55');
    expect(smtp.mails).toHaveLength(1);
  });
});
