import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { storeBatch } from '../../../cloud/ingest/store-batch.ts';
import { NotificationDispatcher } from '../../../cloud/notify/dispatcher.ts';
import { escalationPass } from '../../../cloud/notify/escalation.ts';
import { createRoute } from '../../../cloud/notify/contacts.ts';
import en from '../../../cloud/notify/i18n/en.ts';
import zh from '../../../cloud/notify/i18n/zh-CN.ts';
import { notificationTargets } from '../../../cloud/notify/targets.ts';
import { UplinkBatch, type AlertEvent } from '../../../protocols/uplink/contract.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { startWebhookReceiver, waitFor, type WebhookReceiver } from '../../helpers/net.ts';
import { registerGateway } from '../../helpers/gateways.ts';
import { apiFixture, type ApiFixture } from '../../helpers/inventory-fixture.ts';
import { parseMail, startSmtpServer } from '../../helpers/notify-fixture.ts';

// Issue #14: the words the notifier writes around an alert come from cloud/notify/i18n/{en,zh-CN}.ts,
// in the language of the person who gets them (the contact's locale). Both catalogues must hold the
// same keys with the same {placeholders}; a zh-CN contact's WeCom, DingTalk and e-mail messages are
// Chinese around the gateway's English alert text, an en contact's are exactly what they were before
// the catalogue (golden strings written from the pre-catalogue code). Through the real API, ingest,
// escalation pass, dispatcher, a loopback robot endpoint and a loopback SMTP server.

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join();

describe('notification catalogues, en and zh-CN', () => {
  it('have the same keys, the same placeholders, no empty value, and zh-CN is Chinese', () => {
    const e = en as Record<string, string>;
    const z = zh as Record<string, string>;
    expect(Object.keys(z).filter((k) => !(k in e)), 'in zh-CN only').toEqual([]);
    expect(Object.keys(e).filter((k) => !(k in z)), 'in en only').toEqual([]);
    for (const [lang, cat] of Object.entries({ en: e, 'zh-CN': z })) {
      for (const [k, v] of Object.entries(cat)) expect(typeof v === 'string' && v.trim().length > 0, `${lang} ${k} is empty`).toBe(true);
    }
    expect(Object.keys(e).filter((k) => placeholders(e[k]!) !== placeholders(z[k]!)), 'placeholders differ').toEqual([]);
    // a zh-CN value with letters but no Chinese character is an untranslated copy (values of only placeholders and symbols are fine)
    const untranslated = Object.entries(z).filter(([, v]) => /[a-z]{3,}/i.test(v.replace(/\{\w+\}|POST \/api\/\S+/g, '')) && !/\p{Script=Han}/u.test(v));
    expect(untranslated, 'zh-CN values without Chinese').toEqual([]);
  });
});

const T = Date.parse('2026-03-01T08:00:00Z');
const GW = 'bakery-gw-1';
let tdb: TestDatabase;
let f: ApiFixture;
let rx: WebhookReceiver;
let d: NotificationDispatcher;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let seq = 0;
const manifest = {
  site: 'bakery-main',
  zones: [{ id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 }, delaySec: 300, hysteresis: 0.5 }],
  sensors: ['chiller-p1', 'chiller-p2'].map((id) => ({ id, zone: 'chiller', kind: 'temperature', unit: '°C', protocol: 'mqtt-json' })),
  devices: [],
};
const alert = (min: number, id: string, sensor: string): AlertEvent => ({
  id, sensor, transition: 'raised', zone: 'chiller', rule: 'high', severity: 'critical', ts: T + min * 60_000, since: T + min * 60_000 - 300_000,
  value: 9.5, threshold: 8, message: `${sensor} above 8 °C`,
});
async function ingest(a: AlertEvent) {
  seq++;
  const batch = UplinkBatch.parse({ v: 1, gateway: GW, stream: 's1', seq, sentAt: a.ts, ...(seq === 1 ? { manifest } : {}), readings: [], alerts: [a] });
  expect((await storeBatch(tdb.db, batch, notificationTargets({ webhooks: [], mqttAlerts: false }))).status).toBe('committed');
}
const channels = (who: string) => [
  { type: 'wecom', address: `${rx.url}?key=${who}-wecom` },
  { type: 'dingtalk', address: `${rx.url}?access_token=${who}-ding` },
  { type: 'email', address: `${who}@stock.example.com` },
];
const robot = (who: string, ch: 'wecom' | 'ding') => rx.calls.filter((c) => c.path?.includes(`${who}-${ch}`)).map((c) => c.body);
const mails = (who: string) => smtp.mails.filter((m) => m.to.includes(`${who}@stock.example.com`)).map((m) => parseMail(m.raw));

beforeAll(async () => {
  tdb = await testDatabase();
  await registerGateway(tdb.db, GW, { site: 'bakery-main' });
  f = await apiFixture(tdb.db);
  rx = await startWebhookReceiver();
  smtp = await startSmtpServer('alerts', 'smtp-pa55');
  d = new NotificationDispatcher({ db: tdb.db, log: pino({ level: 'silent' }), maxAttempts: 3, escalation: false,
    smtp: { transport: `smtp://alerts:smtp-pa55@127.0.0.1:${smtp.port}`, from: 'stockpulse <alerts@stock.example.com>' } });
});
afterAll(async () => {
  await d?.stop();
  await rx?.close();
  await smtp?.close();
  await f?.close();
  await tdb?.cleanup();
});

describe(`notifications in the recipient's language (${engineLabel})`, () => {
  let incident = 0;

  it('a contact carries a locale through the API: zh-CN or en (the default); anything else is a 400 naming body.locale', async () => {
    const bad = await f.as('qa', 'POST', '/api/notify/contacts', { name: 'Pierre', role: 'qa', locale: 'fr', channels: [] });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('SP_ERR_VALIDATION');
    expect(bad.json.details.map((x: { field: string }) => x.field)).toContain('body.locale');
    const li = await f.as('qa', 'POST', '/api/notify/contacts', { name: 'Li Na', role: 'qa', locale: 'zh-CN', channels: channels('li') });
    expect(li.status).toBe(201);
    expect(li.json.locale).toBe('zh-CN');
    const alice = await f.as('qa', 'POST', '/api/notify/contacts', { name: 'Alice', role: 'qa', channels: channels('alice') });
    expect(alice.status).toBe(201);
    expect(alice.json.locale).toBe('en');
    const listed = await f.as('qa', 'GET', '/api/notify/contacts');
    expect(listed.json.map((c: { name: string; locale: string }) => [c.name, c.locale])).toEqual([['Li Na', 'zh-CN'], ['Alice', 'en']]);
    await createRoute(tdb.db, { name: 'chiller to li', kind: 'high', contactIds: [li.json.id], enabled: true });
    await createRoute(tdb.db, { name: 'chiller to alice', kind: 'high', contactIds: [alice.json.id], enabled: true });
  });

  it('the first message: Chinese scaffolding around the English alert text for Li, the unchanged English for Alice', async () => {
    await ingest(alert(0, 'chiller:high:p1:1', 'chiller-p1'));
    expect(await escalationPass(tdb.db, new Date(T))).toMatchObject({ routed: 2, messages: 6 });
    await d.pass();
    await waitFor(() => robot('li', 'wecom').length === 1 && robot('alice', 'ding').length === 1 && smtp.mails.length === 2, 'the deliveries');
    incident = Number((await f.as('viewer', 'GET', '/api/incidents')).json[0].id);
    const i = incident;

    expect(robot('alice', 'wecom')[0].markdown.content).toBe([
      `### <font color="warning">[CRITICAL] High temperature · chiller — incident #${i}</font>`,
      'chiller-p1 above 8 °C',
      '> Zone: **chiller**', '> Sensor: **chiller-p1**', '> Severity: **critical**', '> Value: **9.5 (threshold 8)**',
      '> Since: **2026-03-01T07:55:00Z**', '> Alert: **chiller:high:p1:1**', `> Incident: **#${i} (1 alert, critical)**`,
      'You are the first contact for this alert.', `Acknowledge on the dashboard or POST /api/incidents/${i}/ack`,
    ].join('\n'));
    expect(robot('li', 'wecom')[0].markdown.content).toBe([
      `### <font color="warning">【严重】温度过高 · chiller — 事件 #${i}</font>`,
      'chiller-p1 above 8 °C',   // the gateway's own words, as sent
      '> 区域: **chiller**', '> 传感器: **chiller-p1**', '> 严重程度: **严重**', '> 数值: **9.5（阈值 8）**',
      '> 开始时间: **2026-03-01T07:55:00Z**', '> 告警: **chiller:high:p1:1**', `> 事件: **#${i}（1 条告警，严重）**`,
      '您是此告警的第一联系人。', `请在看板上确认，或 POST /api/incidents/${i}/ack`,
    ].join('\n'));

    const [aliceDing] = robot('alice', 'ding');
    expect(aliceDing.markdown.title).toBe(`[CRITICAL] High temperature · chiller — incident #${i}`);
    expect(aliceDing.markdown.text.split('\n\n').slice(-2)).toEqual(['You are the first contact for this alert.', `Acknowledge on the dashboard or POST /api/incidents/${i}/ack`]);
    const [liDing] = robot('li', 'ding');
    expect(liDing.markdown.title).toBe(`【严重】温度过高 · chiller — 事件 #${i}`);
    expect(liDing.markdown.text).toContain('chiller-p1 above 8 °C');
    expect(liDing.markdown.text).toContain('> 数值: **9.5（阈值 8）**');

    const [aliceMail] = mails('alice');
    expect(aliceMail!.subject).toBe(`[CRITICAL] High temperature · chiller — incident #${i}`);
    expect(aliceMail!.text).toContain('Zone: chiller\nSensor: chiller-p1\nSeverity: critical');
    const [liMail] = mails('li');
    expect(liMail!.subject).toBe(`【严重】温度过高 · chiller — 事件 #${i}`);
    expect(liMail!.text).toContain('chiller-p1 above 8 °C\n\n区域: chiller\n传感器: chiller-p1\n严重程度: 严重');
    expect(liMail!.html).toContain('<th align="left">数值</th><td>9.5（阈值 8）</td>');
    expect(liMail!.text).not.toMatch(/Zone|Severity|Acknowledge|first contact/);
  });

  it('an update in the thread: Li gets "回复：" + the Chinese subject and 【更新】, Alice "Re:" and [UPDATE]', async () => {
    await ingest(alert(2, 'chiller:high:p2:1', 'chiller-p2'));
    expect(await escalationPass(tdb.db, new Date(T + 3 * 60_000))).toMatchObject({ updates: 2 });
    await d.pass();
    await waitFor(() => smtp.mails.length === 4 && robot('li', 'wecom').length === 2, 'the deliveries');
    const i = incident;
    expect(mails('alice')[1]!.subject).toBe(`Re: [CRITICAL] High temperature · chiller — incident #${i}`);
    expect(mails('alice')[1]!.text!.split('\n')[0]).toBe(`[UPDATE] High temperature · chiller — incident #${i}`);
    expect(mails('li')[1]!.subject).toBe(`回复：【严重】温度过高 · chiller — 事件 #${i}`);
    expect(mails('li')[1]!.text!.split('\n')[0]).toBe(`【更新】温度过高 · chiller — 事件 #${i}`);
    expect(robot('li', 'wecom')[1].markdown.content).toContain(`事件 #${i} 新增一条告警（现共 2 条）：属于同一事件，并非新的呼叫。`);
    expect(robot('alice', 'wecom')[1].markdown.content).toContain(`Another alert joined incident #${i} (2 alerts now): the same event, not a new page.`);
  });
});
