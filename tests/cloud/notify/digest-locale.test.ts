import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { JobRunner } from '../../../cloud/jobs/runner.ts';
import { expiryJob } from '../../../cloud/rules/expiry/job.ts';
import { NotificationDispatcher } from '../../../cloud/notify/dispatcher.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { startWebhookReceiver, waitFor, type WebhookReceiver } from '../../helpers/net.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';
import { parseMail, startSmtpServer } from '../../helpers/notify-fixture.ts';
import { testClock } from '../../helpers/jobs-clock.ts';

// Issue #14: the daily expiry digest reaches people in their own language. Every active contact
// whose role is the digest's gets it on each of their channels (WeCom, DingTalk, e-mail) — heading,
// the role's step and one line per lot in Chinese for a zh-CN contact, in the English the digest
// always had for an en contact; the config webhook keeps the machine payload (English `text`).
// Through the real API, the job runner, the dispatcher, a loopback robot endpoint and SMTP server.

const DAY = '2099-03-10';
let tdb: TestDatabase;
let f: ApiFixture;
let rx: WebhookReceiver;
let hook: WebhookReceiver;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let d: NotificationDispatcher;
const clock = testClock(`${DAY}T00:15:07Z`);

async function ok(r: Promise<{ status: number; json: any }>, want = 200) {
  const res = await r;
  if (res.status !== want) throw new Error(`${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
}
async function lot(item: string, code: string, expiresOn: string, qty: number, to = 'bin-a') {
  await ok(f.as('warehouse', 'POST', '/api/lots', { item, code, expiresOn }), 201);
  await ok(f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item, lot: code, to, qty }), 201);
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
  f = await apiFixture(tdb.db);
  [rx, hook] = await Promise.all([startWebhookReceiver(), startWebhookReceiver()]);
  smtp = await startSmtpServer('alerts', 'smtp-pa55');
  await seedLocations(f);
  await seedItem(f, { sku: 'MILK', unit: 'l', lotTracked: true, expiryAlertDays: 3 });
  await lot('MILK', 'M-OLD', '2099-03-09', 6);            // expired on the day
  await lot('MILK', 'M-SOON', '2099-03-12', 2, 'bin-b');  // near expiry
  for (const c of [
    { name: 'Li Na', role: 'qa', locale: 'zh-CN', channels: channels('li') },
    { name: 'Alice', role: 'qa', channels: channels('alice') },                              // no locale: English
    { name: 'Wang Wei', role: 'warehouse', locale: 'zh-CN', channels: channels('wang') },
    { name: 'Old QA', role: 'qa', locale: 'zh-CN', active: false, channels: channels('old') }, // inactive: nothing
    { name: 'Fin', role: 'finance', locale: 'zh-CN', channels: channels('fin') },             // no digest for finance
  ]) await ok(f.as('qa', 'POST', '/api/notify/contacts', c), 201);
  d = new NotificationDispatcher({ db: tdb.db, log: pino({ level: 'silent' }), maxAttempts: 3, escalation: false,
    smtp: { transport: `smtp://alerts:smtp-pa55@127.0.0.1:${smtp.port}`, from: 'stockpulse <alerts@stock.example.com>' } });
});
afterAll(async () => {
  await d?.stop();
  await Promise.all([rx?.close(), hook?.close(), smtp?.close()]);
  await f?.close();
  await tdb?.cleanup();
});

describe(`the expiry digest in the contact's language (${engineLabel})`, () => {
  it('a zh-CN QA contact gets it in Chinese on WeCom, DingTalk and e-mail; an en one the English text; the config webhook the machine payload', async () => {
    const runner = new JobRunner({ db: tdb.db, jobs: [expiryJob], log: pino({ level: 'silent' }), clock, notify: { targets: [{ channel: 'webhook', target: hook.url }], kick: () => {} } });
    const out = await runner.runNow('expiry-sweep', { period: DAY });
    expect(out).toMatchObject({ ran: true, run: { status: 'succeeded', counts: { lots_near_expiry: 1, lots_expired: 1, digests: 4 } } });
    // qa: Li and Alice × 3 channels, warehouse: Wang × 3; never the inactive contact nor the finance one
    const queued = await tdb.db.query<{ alert_id: string; target: string; stage: string }>(
      `SELECT alert_id, target, stage FROM notification_deliveries WHERE transition = 'digest' AND contact_id IS NOT NULL ORDER BY id`);
    expect(queued).toHaveLength(9);
    expect(new Set(queued.map((q) => q.stage))).toEqual(new Set(['digest']));

    await d.pass();
    await waitFor(() => rx.calls.length >= 6 && smtp.mails.length >= 3 && hook.calls.some((c) => c.body.role === 'qa'), 'the digests', 20_000);

    const liWecom = robot('li', 'wecom')[0].markdown.content as string;
    expect(liWecom.split('\n')).toEqual([
      `### ${DAY} 效期汇总（质检）`,
      `${DAY} 效期汇总（质检）：1 个批次临近过期，1 个批次已过期。`,
      '**临近过期——请确认这些批次能否在到期前用完：**',
      '> MILK 批次 M-SOON：2 l，2099-03-12 到期（bin-b）',
      '**已过期——请决定处置方式：判定不合格（报废）或重新检验：**',
      '> MILK 批次 M-OLD：6 l，2099-03-09 到期（bin-a）',
    ]);
    const [liDing] = robot('li', 'ding');
    expect(liDing.markdown.title).toBe(`${DAY} 效期汇总（质检）`);
    expect(liDing.markdown.text).toContain('- MILK 批次 M-OLD：6 l，2099-03-09 到期（bin-a）');
    const [liMail] = mails('li');
    expect(liMail!.subject).toBe(`${DAY} 效期汇总（质检）`);
    expect(liMail!.text).toContain('已过期——请决定处置方式：判定不合格（报废）或重新检验：\n  MILK 批次 M-OLD：6 l，2099-03-09 到期（bin-a）');
    expect(liMail!.text).not.toMatch(/Expiry digest|near expiry|expires/);
    expect(liMail!.html).toContain('<li>MILK 批次 M-SOON：2 l，2099-03-12 到期（bin-b）</li>');

    // English: the digest's text as it has always been, now also by e-mail and chat
    const machine = hook.calls.find((c) => c.body.role === 'qa')!.body;
    expect(machine.text).toBe([
      `Expiry digest ${DAY} for qa: 1 lot(s) near expiry, 1 expired.`,
      'Near expiry — check whether these lots can be used before their date:',
      '  MILK lot M-SOON: 2 l, expires 2099-03-12 (bin-b)',
      'Expired — decide on disposal: reject (scrap) or re-inspect:',
      '  MILK lot M-OLD: 6 l, expires 2099-03-09 (bin-a)',
    ].join('\n'));
    const [aliceMail] = mails('alice');
    expect(aliceMail!.subject).toBe(`Expiry digest ${DAY} for qa`);
    expect(aliceMail!.text!.replace(/\r\n/g, '\n').trimEnd()).toBe(machine.text);
    expect(robot('alice', 'wecom')[0].markdown.content.split('\n')[0]).toBe(`### Expiry digest ${DAY} for qa`);

    // the warehouse's own step, in Chinese
    expect(robot('wang', 'wecom')[0].markdown.content).toContain('**已过期——请将这些批次下架，它们已不能拣货：**');
    expect(robot('old', 'wecom')).toEqual([]);
    expect(robot('fin', 'wecom')).toEqual([]);
  });

  it('running the day again sends nobody a second digest', async () => {
    const before = rx.calls.length + smtp.mails.length;
    const runner = new JobRunner({ db: tdb.db, jobs: [expiryJob], log: pino({ level: 'silent' }), clock, notify: { targets: [{ channel: 'webhook', target: hook.url }], kick: () => {} } });
    const again = await runner.runNow('expiry-sweep', { period: DAY });
    expect(again).toMatchObject({ ran: true, run: { status: 'succeeded', counts: { digests: 0 } } });
    expect(await d.pass()).toBe(0);
    expect(rx.calls.length + smtp.mails.length).toBe(before);
  });
});
