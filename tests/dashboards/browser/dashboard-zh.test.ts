import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import pino from 'pino';
import { chromiumOr, launchChromium } from '../../helpers/browser.ts';
import { startDemoStack, type DemoStack } from '../../../bin/demo-stack.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';

// The cold-chain dashboard for a Chinese-speaking operator (issue #14): a chromium whose
// language is zh-CN opens the running demo (real MQTT, real database, an alarm on the chiller)
// in Chinese — header, time bar, zone panels, legend, sensor strip, the alert list and the
// pinned strip — with no catalogue key and no English word of the page's own showing; the
// switch in the header turns it into English without a reload. Alert messages are the
// server's sentences (English) and are not checked here. Phone size: no sideways scroll.

const SHOTS = new URL('../../../docs/screenshots/', import.meta.url).pathname;
const haveChromium = chromiumOr('dashboard zh-CN browser test');

let tdb: TestDatabase;
let stack: DemoStack;
let browser: Browser;
let dataDir: string;
const contexts: BrowserContext[] = [];

const auth = () => ({ authorization: `Bearer ${stack.token}` });

async function open(locale: string, viewport: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ locale, viewport });
  contexts.push(ctx);
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // the body's data-ready says the page is drawn; the load event can lag on a busy machine
  await page.goto(`${stack.url}/?range=15m#token=${stack.token}`, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  await page.locator('body[data-ready=true]').waitFor({ timeout: 60_000 });
  await page.locator('[data-testid=zone-panel][data-zone=chiller] [data-testid=panel-canvas-ready]').waitFor({ state: 'attached', timeout: 20_000 });
  await page.locator('[data-testid=alert-row]').first().waitFor({ timeout: 20_000 });
  await page.locator('[data-testid=strip-alert]').first().waitFor({ timeout: 20_000 });
  return { page, errors };
}

const text = async (page: Page, sel: string) => ((await page.locator(sel).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
const texts = async (page: Page, sel: string) => (await page.locator(sel).allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim());
const noSidewaysScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
/** a catalogue key on screen (dash.tb.reset): the page asked for a word the catalogue does not have */
const rawKeys = (page: Page) => page.evaluate(() => document.body.innerText.match(/\b(dash|alerts|common|error)\.[A-Za-z]+[\w.]*/g) ?? []);
const HAN = /\p{Script=Han}/u;

describe.runIf(haveChromium)(`the dashboard in Chinese, in chromium (${engineLabel})`, () => {
  beforeAll(async () => {
    tdb = await testDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'sp-dash-zh-'));
    stack = await startDemoStack({
      log: pino({ level: 'silent' }), httpPort: 0, mqttPort: 0, dataDir, db: tdb.db,
      publishMs: 250, timeScale: 3600, delaySec: 1, inbox: false,
    });
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
    // an alarm on screen: the chiller's compressor dies
    stack.sim.setFault('chiller', 'compressor_failure', true);
    await waitFor(async () => {
      const r = await fetch(`${stack.url}/api/alerts?state=active`, { headers: auth() });
      return ((await r.json()) as { severity: string }[]).some((a) => a.severity !== 'info');
    }, 'an active alert', 60_000);
  }, 240_000);

  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await stack?.stop();
    await tdb?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens in Chinese from the browser language at 1600×900, and the header switch turns it into English', async () => {
    const { page, errors } = await open('zh-CN', { width: 1600, height: 900 });
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    expect(await page.title()).toBe('stockpulse · 冷链');

    // header: the links, the switch, the connection and the last update
    expect(await texts(page, 'nav.controls > a')).toEqual(['库存', '批次履历', '计划']);
    expect(await page.locator('header.top [data-testid=lang-switch]').inputValue()).toBe('zh-CN');
    await expect.poll(() => text(page, '#conn .conn-text')).toBe('实时');
    await expect.poll(() => text(page, '[data-testid=last-updated]')).toMatch(/^更新于 \d{2}:\d{2}:\d{2} · \d+秒前$/);
    expect(await text(page, '.alerts-panel h2')).toBe('报警');
    expect(await text(page, '#health .chip')).toBe('MQTT 已连接');
    expect(await text(page, '.operator')).toBe('确认人');

    // the time bar
    expect(await text(page, '[data-testid=time-window]')).toBe('最近 15 分钟');
    expect(await text(page, '[data-testid=zoom-reset]')).toBe('重置');
    expect(await text(page, '[data-testid=abs-toggle]')).toBe('起止时间');
    expect(await text(page, '[data-testid=zone-filter-toggle]')).toBe('区域： 全部');
    expect(await page.locator('[data-testid=range-1h]').getAttribute('title')).toBe('最近 1 小时');
    expect(await page.locator('[data-testid=refresh-select] option:checked').textContent()).toBe('10秒');
    expect(await text(page, '.refresh-label')).toMatch(/^自动刷新/);
    expect(await page.locator('[data-testid=shift-left]').getAttribute('aria-label')).toBe('向前移动');

    // a zone panel: status badge, alert count, legend, footer; the sensor strip
    const chiller = page.locator('[data-testid=zone-panel][data-zone=chiller]');
    await expect.poll(async () => (await chiller.locator('.status-badge').textContent()) ?? '').toMatch(/^(正常|超限|预警|报警|无数据)$/);
    await expect.poll(async () => (await chiller.locator('.alert-badge').textContent()) ?? '').toMatch(/^\d+ 条未解除报警$/);
    expect(await chiller.locator('.legend').textContent()).toContain('最新');
    expect(await chiller.locator('.legend').textContent()).toContain('浅色带：每个聚合区间的最低–最高值');
    expect(await chiller.locator('.bucket-info').textContent()).toMatch(/^(每 \d+ (秒|分钟|小时|天) 聚合|原始数据)/);
    expect(await chiller.locator('[data-testid=panel-csv]').getAttribute('title')).toBe('下载本面板的数据（CSV）');
    const kinds = await texts(page, '[data-testid=sensor-chip] .sc-zone');
    expect(kinds.some((k) => k.endsWith('· 温度'))).toBe(true);
    expect(kinds.filter((k) => /· (temperature|humidity|door|weight)$/.test(k))).toEqual([]);

    // the alert list: severities, rule names, times and the button
    const row = page.locator('[data-testid=alert-row]').first();
    expect(await row.locator('.sev').textContent()).toMatch(/^(严重|预警|信息)$/);
    expect(HAN.test((await row.locator('.ar-rule').textContent()) ?? '')).toBe(true);
    expect(await row.locator('.ar-times').textContent()).toMatch(/^发生 /);
    expect(await row.locator('.ar-duration').textContent()).toMatch(/^\d+(秒|分\d{2}秒|小时\d{2}分)$/);
    expect(await texts(page, '[data-testid=ack-button]')).toContain('确认');
    expect(await text(page, '.alerts-panel .list-head')).toMatch(/^进行中 \d+$/);

    // the pinned strip (on every page): the count with its plural, a row's severity and "for …"
    await expect.poll(() => text(page, '[data-testid=alert-strip-status]')).toMatch(/^\d+ 个进行中的事件/);
    const strip = page.locator('[data-testid=strip-alert]').first();
    expect(await strip.locator('.sev').textContent()).toMatch(/^(严重|预警)$/);
    expect(await strip.locator('.as-when').textContent()).toMatch(/^始于 .+ · 已持续 \d+(秒|分\d{2}秒|小时\d{2}分)$/);
    expect(await strip.locator('[data-testid=strip-ack]').textContent()).toBe('确认');

    expect(await rawKeys(page)).toEqual([]);
    expect(await noSidewaysScroll(page)).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'dashboard-zh-CN-1600x900.png') });

    // the switch: English at once, no reload, the same data
    await page.locator('header.top [data-testid=lang-switch]').selectOption('en');
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('en');
    expect(await texts(page, 'nav.controls > a')).toEqual(['Stock', 'Lot passport', 'Planning']);
    expect(await page.title()).toBe('stockpulse · cold chain');
    expect(await text(page, '#conn .conn-text')).toBe('live');
    expect(await text(page, '[data-testid=time-window]')).toBe('Last 15 min');
    expect(await text(page, '[data-testid=zoom-reset]')).toBe('Reset');
    expect(await text(page, '.alerts-panel h2')).toBe('Alerts');
    expect(await text(page, '#health .chip')).toBe('MQTT connected');
    expect(await chiller.locator('.legend').textContent()).toContain('light band: min–max in each bucket');
    expect(await row.locator('.sev').textContent()).toMatch(/^(CRITICAL|WARNING|INFO)$/);
    expect(await row.locator('.ar-times').textContent()).toMatch(/^raised /);
    expect(await text(page, '[data-testid=alert-strip-status]')).toMatch(/^\d+ active incidents?/);
    expect(await strip.locator('.as-when').textContent()).toMatch(/^since .+ · for \d+(s|m \d{2}s|h \d{2}m)$/);
    expect(await strip.locator('[data-testid=strip-ack]').textContent()).toBe('Acknowledge');
    // nothing Chinese left in what the page writes itself (zone and sensor names are the site's data)
    const han = await page.evaluate(() => Array.from(document.querySelectorAll('header.top, #time-bar, .legend, .alerts-panel, [data-testid=alert-strip]'))
      .map((e) => (e as HTMLElement).innerText).join('\n'));
    expect(han.match(/\p{Script=Han}+/gu)?.filter((w) => w !== '中文') ?? []).toEqual([]);
    expect(await rawKeys(page)).toEqual([]);

    // and back: Chinese again, kept for this person on the server (the switch saves it with the token)
    await page.locator('header.top [data-testid=lang-switch]').selectOption('zh-CN');
    await expect.poll(() => text(page, '[data-testid=alert-strip-status]')).toMatch(/^\d+ 个进行中的事件/);
    expect(await text(page, '[data-testid=time-window]')).toBe('最近 15 分钟');
    expect(await row.locator('.sev').textContent()).toMatch(/^(严重|预警|信息)$/);
    await expect.poll(async () => (await fetch(`${stack.url}/api/me/preferences`, { headers: auth() })).json()).toEqual({ locale: 'zh-CN' });
    expect(errors).toEqual([]);
  });

  it('fits a 390×844 phone in Chinese with no sideways scroll', async () => {
    // the account's stored choice wins over the browser's language: make it Chinese whatever the test before left
    const put = await fetch(`${stack.url}/api/me/preferences`, { method: 'PUT', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ locale: 'zh-CN' }) });
    expect(put.status).toBe(200);
    const { page, errors } = await open('zh-CN', { width: 390, height: 844 });
    expect(await texts(page, 'nav.controls > a')).toEqual(['库存', '批次履历', '计划']);
    await expect.poll(() => text(page, '[data-testid=alert-strip-status]')).toMatch(/^\d+ 个进行中的事件/);
    const sw = await page.locator('header.top [data-testid=lang-switch]').boundingBox();
    expect(sw!.height).toBeGreaterThanOrEqual(44);
    expect(sw!.x + sw!.width).toBeLessThanOrEqual(390);
    expect(await rawKeys(page)).toEqual([]);
    expect(await noSidewaysScroll(page)).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'dashboard-zh-CN-390x844.png') });
    expect(errors).toEqual([]);
  });
});
