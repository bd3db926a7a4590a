import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { chromiumOr, launchChromium } from '../../helpers/browser.ts';
import { buildApi } from '../../../cloud/api/server.ts';
import { createCloudMetrics } from '../../../cloud/metrics.ts';
import { createApiToken } from '../../../cloud/auth/tokens.ts';
import { storeBatch } from '../../../cloud/ingest/store-batch.ts';
import { NotificationDispatcher } from '../../../cloud/notify/dispatcher.ts';
import { escalationPass } from '../../../cloud/notify/escalation.ts';
import { createContact, createRoute } from '../../../cloud/notify/contacts.ts';
import { notificationTargets } from '../../../cloud/notify/targets.ts';
import { UplinkBatch } from '../../../protocols/uplink/contract.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/net.ts';
import { registerGateway } from '../../helpers/gateways.ts';

// The dashboard's operations panels — devices, notifications (with the contacts and the language
// of their notifications), scheduled jobs, gateways — for a Chinese-speaking admin (issue #14): the
// page opens in English, the header switch turns the four panels into Chinese without a reload
// (headings, device states, summaries, job status and counts, the Run answer, the revoke question,
// the one-time credential sentence, delivery stages and statuses), the admin sets a contact's
// language from the list and adds a contact with one; at 390×844 nothing scrolls sideways.
// Screenshots: docs/screenshots/panels-zh-*.png. Data words (ids, names, the server's error
// sentences, a cron schedule) stay as they are.

const SHOTS = new URL('../../../docs/screenshots/', import.meta.url).pathname;
const haveChromium = chromiumOr('operations panels zh-CN browser test');
const GW = 'bakery-gw-1';

let tdb: TestDatabase;
let app: FastifyInstance;
let url: string;
let token: string;
let browser: Browser;
let rx: WebhookReceiver;
const contexts: BrowserContext[] = [];
const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, json: await res.json() as any };
};

const text = async (page: Page, sel: string) => ((await page.locator(sel).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
const texts = async (page: Page, sel: string) => (await page.locator(sel).allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim());
const noSidewaysScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
const PANELS = '[data-testid=devices-panel], [data-testid=notifications-panel], [data-testid=jobs-panel], [data-testid=gateways-panel]';
/** what the four panels write themselves, with the data (names, ids, the server's sentences, schedules) taken out */
const ownWords = (page: Page) => page.evaluate((sel) => Array.from(document.querySelectorAll(sel)).map((p) => {
  const c = p.cloneNode(true) as HTMLElement;
  for (const e of Array.from(c.querySelectorAll('.dev-name, .dev-error, .d-error, .j-error, b, .muted, code, select, input, .g-name'))) e.remove();
  return c.innerText;
}).join('\n'), PANELS);
const ENGLISH_UI = /\b(online|offline|failed|no report|never|seen|ago|just now|Run|ran|running|succeeded|next|by|Revoke|revoked|Add|registered|zones|sensors|site|credential|notified|sent|pending|recent|notice|escalation|reminder|Jobs|Gateways|Notifications|Devices|Contacts|down)\b/i;

async function open(viewport: { width: number; height: number }, locale = 'en-US'): Promise<{ page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ locale, viewport });
  contexts.push(ctx);
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}/?range=15m&refresh=5s#token=${token}`, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  await page.locator('[data-testid=device-row]').first().waitFor({ timeout: 30_000 });
  await page.locator('[data-testid=job-row]').first().waitFor({ timeout: 30_000 });
  await page.locator('[data-testid=gateway-row]').first().waitFor({ timeout: 30_000 });
  await page.locator('[data-testid=delivery-row]').first().waitFor({ timeout: 30_000 });
  await page.locator('[data-testid=contact-row]').first().waitFor({ timeout: 30_000 });
  return { page, errors };
}

describe.runIf(haveChromium)(`the operations panels in Chinese, in chromium (${engineLabel})`, () => {
  beforeAll(async () => {
    tdb = await testDatabase();
    app = await buildApi({ db: tdb.db, log: pino({ level: 'silent' }), metrics: createCloudMetrics(), mqttConnected: () => true });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    token = (await createApiToken(tdb.db, { role: 'admin', name: 'site-admin' })).token;
    rx = await startWebhookReceiver();
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });

    // a gateway with three devices: one online, one failed (with the driver's error), one offline
    await registerGateway(tdb.db, GW, { site: 'bakery-main' });
    const now = Date.now();
    const batch = UplinkBatch.parse({
      v: 1, gateway: GW, stream: 's1', seq: 1, sentAt: now,
      manifest: {
        site: 'bakery-main',
        zones: [{ id: 'chiller', name: 'Chiller', profile: { low: 2, high: 8 }, delaySec: 300, hysteresis: 0.5 }],
        sensors: ['chiller-p1', 'chiller-p2', 'chiller-door'].map((id) => ({ id, zone: 'chiller', kind: id.endsWith('door') ? 'door' : 'temperature', unit: '°C', protocol: 'mqtt-json' })),
        devices: [
          { id: 'probe-1', name: 'Chiller probe 1', protocol: 'mqtt-json', heartbeatSec: 60, sensors: ['chiller-p1'] },
          { id: 'probe-2', name: 'Chiller probe 2', protocol: 'modbus-tcp', heartbeatSec: 30, sensors: ['chiller-p2'] },
          { id: 'door-1', name: 'Chiller door', protocol: 'mqtt-json', heartbeatSec: 60, sensors: ['chiller-door'] },
        ],
      },
      readings: [], devices: [
        { device: 'probe-1', ts: now, state: 'online', lastSeen: now - 12_000, battery: 87, signal: -61 },
        { device: 'probe-2', ts: now, state: 'failed', lastSeen: now - 600_000, error: { code: 'SP_ERR_DEVICE', message: 'SP_ERR_DEVICE: devices.probe-2: 10.0.0.5:502 unit 1: no answer' } },
        { device: 'door-1', ts: now, state: 'offline', lastSeen: now - 3_600_000, battery: 12 },
      ],
      alerts: [{ id: 'chiller:high:p1:1', sensor: 'chiller-p1', transition: 'raised', zone: 'chiller', rule: 'high', severity: 'critical', ts: now - 60_000, since: now - 360_000, value: 9.5, threshold: 8, message: 'chiller-p1 above 8 °C' }],
    });
    expect((await storeBatch(tdb.db, batch, notificationTargets({ webhooks: [], mqttAlerts: false }))).status).toBe('committed');

    // two QA contacts, one reading Chinese; the alert reaches both (WeCom robot on a loopback receiver)
    const li = await createContact(tdb.db, { name: 'Li Na', role: 'qa', locale: 'zh-CN', channels: [{ type: 'wecom', address: `${rx.url}?key=li` }], active: true });
    const alice = await createContact(tdb.db, { name: 'Alice', role: 'qa', channels: [{ type: 'email', address: 'alice@stock.example.com' }, { type: 'wecom', address: `${rx.url}?key=alice` }], active: true });
    await createRoute(tdb.db, { name: 'chiller to li', zone: 'chiller', contactIds: [li.id], enabled: true });
    await createRoute(tdb.db, { name: 'chiller to alice', zone: 'chiller', contactIds: [alice.id], enabled: true });
    await escalationPass(tdb.db, new Date());
    const d = new NotificationDispatcher({ db: tdb.db, log: pino({ level: 'silent' }), escalation: false, maxAttempts: 1 });
    await d.pass();
    await d.stop();
    // a job that has run: status and counts on its row
    expect((await api('POST', '/api/jobs/expiry-sweep/run', {})).status).toBe(200);
  }, 240_000);

  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await app?.close();
    await rx?.close();
    await tdb?.cleanup();
  });

  it('opens in English; the header switch turns the four panels into Chinese at 1600×900', async () => {
    const { page, errors } = await open({ width: 1600, height: 900 });
    expect(await texts(page, '[data-testid=devices-panel] h2, [data-testid=notifications-panel] h2, [data-testid=jobs-panel] h2, [data-testid=gateways-panel] h2'))
      .toEqual(['Devices', 'Notifications', 'Jobs', 'Gateways']);
    expect(await texts(page, '[data-testid=device-row] .dev-state')).toEqual(['FAILED', 'OFFLINE', 'online']);
    expect(await text(page, '[data-testid=devices-panel] [data-role=summary]')).toBe('2 / 3 down');

    await page.locator('header.top [data-testid=lang-switch]').selectOption('zh-CN');
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');

    // devices: states, summary, ages, the tooltip; the driver's own words stay
    expect(await texts(page, '[data-testid=devices-panel] h2, [data-testid=notifications-panel] h2, [data-testid=jobs-panel] h2, [data-testid=gateways-panel] h2'))
      .toEqual(['设备', '通知', '定时作业', '网关']);
    expect(await texts(page, '[data-testid=device-row] .dev-state')).toEqual(['故障', '离线', '在线']);
    expect(await text(page, '[data-testid=devices-panel] [data-role=summary]')).toBe('2 / 3 台异常');
    expect(await text(page, '[data-testid=device-row][data-device=probe-1] .dev-age')).toMatch(/^\d+秒前$/);
    expect(await text(page, '[data-testid=device-row][data-device=door-1] .dev-age')).toMatch(/^1小时\d{2}分前$/);
    expect(await text(page, '[data-testid=device-row][data-device=probe-2] .dev-error')).toBe('10.0.0.5:502 unit 1: no answer');
    expect(await page.locator('[data-testid=device-row][data-device=probe-2]').getAttribute('title'))
      .toBe('probe-2 · modbus-tcp，经由 bakery-gw-1 · 每 30 秒\n最近错误：SP_ERR_DEVICE: devices.probe-2: 10.0.0.5:502 unit 1: no answer');
    expect(await page.locator('[data-testid=device-row][data-device=probe-1] .dev-battery').getAttribute('title')).toBe('电量');

    // jobs: status word, counts, schedule line; Run answers in Chinese
    const expiry = page.locator('[data-testid=job-row][data-job=expiry-sweep]');
    expect(await text(page, '[data-testid=job-row][data-job=expiry-sweep] .j-name')).toBe('效期检查');
    expect(await expiry.locator('[data-testid=job-status]').textContent()).toBe('成功');
    expect(await expiry.locator('[data-testid=job-counts]').textContent()).toBe('新增告警 0 · 效期汇总 0 · 过期批次 0 · 临期批次 0');
    expect(await text(page, '[data-testid=job-row][data-job=expiry-sweep] .j-meta')).toMatch(/^15 0 \* \* \*（UTC 时间） · 下次 .+ · 执行实例 \S+$/);
    // every other registered job has not run yet: each says so in Chinese
    const others = await texts(page, '[data-testid=job-row]:not([data-job=expiry-sweep]) [data-testid=job-status]');
    expect(others.length).toBeGreaterThanOrEqual(3);
    expect(new Set(others)).toEqual(new Set(['从未运行']));
    await expiry.locator('[data-testid=job-run]').click();
    await expect.poll(() => expiry.locator('[data-testid=job-message]').textContent(), { timeout: 20_000 }).toBe('已运行：成功');
    // as many jobs as the cloud has registered (the registry grows: the count comes from the API)
    const registered = (await api('GET', '/api/jobs')).json;
    const n = (Array.isArray(registered) ? registered : registered.jobs).length;
    expect(await text(page, '[data-testid=jobs-panel] [data-role=summary]')).toBe(`${n} 个作业`);
    expect(others.length).toBe(n - 1);

    // gateways: the row, the form, the one-time credential and the revoke question
    expect(await text(page, `[data-testid=gateway-row][data-gateway=${GW}] .g-meta`)).toMatch(/^站点：bakery-main · 凭据 #1 \S+… · 1 个区域，3 个传感器 · (最近联系 .+|从未联系)$/);
    expect(await text(page, '[data-testid=gateways-panel] [data-role=summary]')).toBe('已登记 1 个');
    expect(await page.locator('[data-testid=gateway-add] input[name=id]').getAttribute('placeholder')).toBe('网关编号');
    await page.locator('[data-testid=gateway-add] input[name=id]').fill('dock-gw-2');
    await page.locator('[data-testid=gateway-add] button').click();
    const credential = page.locator('[data-testid=gateway-credential]');
    await credential.waitFor({ timeout: 20_000 });
    expect((await credential.textContent())!.replace(/\s+/g, ' ').trim()).toMatch(/^dock-gw-2 的凭据只显示这一次，请立即保存（即网关的 uplink\.password，用户名 dock-gw-2）：\S+$/);
    const asked: string[] = [];
    page.once('dialog', (dlg) => { asked.push(dlg.message()); void dlg.accept(); });
    await page.locator('[data-testid=gateway-row][data-gateway=dock-gw-2] [data-testid=gateway-revoke]').click();
    await expect.poll(() => text(page, '[data-testid=gateway-row][data-gateway=dock-gw-2]'), { timeout: 20_000 }).toMatch(/已吊销/);
    expect(asked).toEqual(['吊销网关“dock-gw-2”？从现在起将拒收它上传的数据。']);

    // notifications: the line under the alert, the deliveries' stage and status
    await expect.poll(() => text(page, '[data-testid=alert-row] [data-testid=alert-notified]'), { timeout: 20_000 }).toBe('已通知：Li Na ✓ 企业微信 · Alice ✗ 邮件 ✓ 企业微信');
    const stages = await texts(page, '[data-testid=delivery-row] > span:first-child');
    expect(stages.every((s) => / · 首次通知 · /.test(s))).toBe(true);
    expect(await texts(page, '[data-testid=delivery-row] .d-status')).toEqual(expect.arrayContaining(['已送达', '失败']));
    expect(await text(page, '[data-testid=notifications-panel] [data-role=summary]')).toBe('1 条失败');

    // contacts: each with the language of their notifications; Alice switched to Chinese from the list
    expect(await text(page, '[data-testid=contacts] h3')).toBe('联系人');
    expect(await page.locator('[data-testid=contact-row][data-locale=zh-CN] b').allTextContents()).toEqual(['Li Na']);
    const aliceRow = page.locator('[data-testid=contact-row]', { hasText: 'Alice' });
    expect(await aliceRow.locator('.c-who').textContent()).toMatch(/Alice\s+质检 · 邮件, 企业微信/);
    expect(await aliceRow.locator('[data-testid=contact-locale]').getAttribute('aria-label')).toBe('Alice 的通知语言');
    await aliceRow.locator('[data-testid=contact-locale]').selectOption('zh-CN');
    await expect.poll(() => text(page, '[data-testid=contact-said]'), { timeout: 20_000 }).toBe('Alice：通知改用中文');
    const stored = (await api('GET', '/api/notify/contacts')).json;
    expect(stored.find((c: any) => c.name === 'Alice')).toMatchObject({ locale: 'zh-CN', channels: [{ type: 'email', address: 'alice@stock.example.com' }, { type: 'wecom' }] });
    // the masked robot key went back and the stored one was kept
    const [aliceDb] = await tdb.db.query<{ channels: { address: string }[] }>("SELECT channels FROM notify_contacts WHERE name = 'Alice'");
    expect(aliceDb!.channels[1]!.address).toBe(`${rx.url}?key=alice`);

    // a new contact with English notifications, from the form
    const form = page.locator('[data-testid=contact-add]');
    await form.locator('input[name=name]').fill('Zhang Min');
    await form.locator('select[name=role]').selectOption('warehouse');
    await form.locator('select[name=locale]').selectOption('en');
    await form.locator('input[name=email]').fill('zhang@stock.example.com');
    expect(await form.locator('select[name=role] option:checked').textContent()).toBe('仓库');
    await form.locator('button').click();
    await expect.poll(() => text(page, '[data-testid=contact-said]'), { timeout: 20_000 }).toBe('已添加 Zhang Min');
    expect((await api('GET', '/api/notify/contacts')).json.find((c: any) => c.name === 'Zhang Min')).toMatchObject({ role: 'warehouse', locale: 'en' });
    // an invalid one: the server's refusal, in a sentence (the form's own check is bypassed)
    await form.locator('input[name=email]').evaluate((e: HTMLInputElement) => { e.type = 'text'; e.value = 'not-an-address'; });
    await form.locator('input[name=name]').fill('Bad Mail');
    await form.locator('button').click();
    await expect.poll(() => text(page, '[data-testid=contact-said]'), { timeout: 20_000 }).toMatch(/^未保存：/);

    const own = await ownWords(page);
    expect(own.split('\n').filter((l) => ENGLISH_UI.test(l))).toEqual([]);
    // a catalogue key on screen (panels.jobs.run): the panel asked for a word the catalogue does not have
    expect(own.match(/\bpanels\.[a-z]+\.[\w.-]+/g) ?? []).toEqual([]);
    expect(await noSidewaysScroll(page)).toBe(true);
    await page.locator('[data-testid=contact-said]').evaluate((e) => { e.textContent = ''; });
    await form.locator('input[name=name]').fill('');
    await form.locator('input[name=email]').fill('');
    // the side column scrolls on its own: the devices and notifications first, then jobs and gateways
    await page.locator('[data-testid=devices-panel]').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(SHOTS, 'panels-zh-1600x900.png') });
    await page.locator('[data-testid=gateways-panel]').evaluate((e) => e.scrollIntoView({ block: 'end' }));
    await page.screenshot({ path: join(SHOTS, 'panels-zh-1600x900-jobs-gateways.png') });

    // and back: English again, the same rows
    await page.locator('header.top [data-testid=lang-switch]').selectOption('en');
    await expect.poll(() => texts(page, '[data-testid=device-row] .dev-state')).toEqual(['FAILED', 'OFFLINE', 'online']);
    expect(await expiry.locator('[data-testid=job-message]').textContent()).toBe('ran: succeeded');
    expect(await text(page, '[data-testid=alert-row] [data-testid=alert-notified]')).toBe('notified: Li Na ✓ wecom · Alice ✗ email ✓ wecom');
    expect(await text(page, '[data-testid=contacts] h3')).toBe('Contacts');
    expect(errors).toEqual([]);
  }, 240_000);

  it('fits a 390×844 phone in Chinese: no sideways scroll, each panel shot', async () => {
    await api('PUT', '/api/me/preferences', { locale: 'zh-CN' });
    const { page, errors } = await open({ width: 390, height: 844 }, 'zh-CN');
    await expect.poll(() => texts(page, '[data-testid=device-row] .dev-state')).toEqual(['故障', '离线', '在线']);
    expect(await noSidewaysScroll(page)).toBe(true);
    for (const [name, sel] of [['devices', 'devices-panel'], ['notifications', 'notifications-panel'], ['jobs', 'jobs-panel'], ['gateways', 'gateways-panel']] as const) {
      const panel = page.locator(`[data-testid=${sel}]`);
      await panel.scrollIntoViewIfNeeded();
      const box = (await panel.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, `${name} panel inside the screen`).toBeLessThanOrEqual(390);
      // nothing inside a panel sticks out of it
      const overflow = await panel.evaluate((p) => {
        const right = p.getBoundingClientRect().right + 0.5;
        return Array.from(p.querySelectorAll('*')).filter((e) => e.getBoundingClientRect().right > right && getComputedStyle(e).display !== 'none')
          .map((e) => `${e.tagName.toLowerCase()}.${(e as HTMLElement).className}`);
      });
      expect(overflow, `${name} panel`).toEqual([]);
      await panel.screenshot({ path: join(SHOTS, `panels-zh-390x844-${name}.png`) });
    }
    expect(errors).toEqual([]);
  }, 240_000);
});
