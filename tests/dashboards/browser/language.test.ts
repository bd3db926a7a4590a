import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumOr, launchChromium } from '../../helpers/browser.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// Chinese and English in a real browser: the stock page opens in the browser's language, the
// header switch changes every word on it at once, the choice is kept for the person on the
// server (their token's name), and a second browser with an English locale signed in as the
// same person opens in Chinese. The switch is a 44 px tap target on a phone.

const SHOTS = new URL('../../../docs/screenshots/', import.meta.url).pathname;
const haveChromium = chromiumOr('language browser test');

let tdb: TestDatabase;
let f: ApiFixture;
let browser: Browser;
let url: string;

describe.runIf(haveChromium)(`zh-CN and en in chromium (${engineLabel})`, () => {
  beforeAll(async () => {
    tdb = await testDatabase();
    f = await apiFixture(tdb.db);
    url = await f.app.listen({ host: '127.0.0.1', port: 0 });
    await seedLocations(f);
    await seedItem(f, { sku: 'BUTTER', name: 'Butter 250 g' });
    const r = await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'BUTTER', to: 'bin-a', qty: 12 });
    if (r.status !== 201) throw new Error(JSON.stringify(r.json));
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await f?.close();
    await tdb?.cleanup();
  });

  const headers = async (page: import('playwright-core').Page) => (await page.locator('[data-testid=stock-table] thead th').allTextContents()).map((s) => s.trim());

  it('follows the browser, switches on one tap, and keeps the choice for the person across browsers', async () => {
    const zhBrowser = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 } });
    const page = await zhBrowser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/stock.html#token=${f.tokens.warehouse}`);
    await page.locator('[data-testid=stock-row][data-item=BUTTER]').waitFor({ timeout: 20_000 });
    expect(await headers(page)).toEqual(['商品', '在库', '预留', '隔离', '过期', '受保护', '可用']);
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.title()).toBe('stockpulse · 库存');
    const sw = page.locator('[data-testid=lang-switch]');
    const box = (await sw.boundingBox())!;
    expect(box.height).toBeGreaterThanOrEqual(44);
    await page.screenshot({ path: `${SHOTS}stock-zh-CN-390x844.png`, fullPage: true });

    // one tap to English: static and dynamic text change, no reload
    await sw.selectOption('en');
    await expect.poll(() => headers(page)).toEqual(['item', 'on hand', 'reserved', 'quarantined', 'expired', 'protected', 'available']);
    await expect.poll(async () => (await page.locator('[data-testid=stock-updated]').textContent())?.trim()).toMatch(/^updated \d{2}:\d{2}/);
    await expect.poll(async () => (await f.as('warehouse', 'GET', '/api/me/preferences')).json).toEqual({ locale: 'en' });

    // back to Chinese; a second browser (English locale, nothing stored) signed in as the same person opens in Chinese
    await sw.selectOption('zh-CN');
    await expect.poll(async () => (await f.as('warehouse', 'GET', '/api/me/preferences')).json).toEqual({ locale: 'zh-CN' });
    const enBrowser = await browser.newContext({ locale: 'en-US', viewport: { width: 1600, height: 900 } });
    const other = await enBrowser.newPage();
    await other.goto(`${url}/stock.html#token=${f.tokens.warehouse}`);
    await expect.poll(() => headers(other), { timeout: 20_000 }).toEqual(['商品', '在库', '预留', '隔离', '过期', '受保护', '可用']);
    await other.locator('[data-testid=stock-row][data-item=BUTTER]').waitFor({ timeout: 20_000 });
    await other.screenshot({ path: `${SHOTS}stock-zh-CN-1600x900.png` });
    // another person with the same English browser keeps English
    const third = await enBrowser.newPage();
    await third.evaluate(() => localStorage.clear()).catch(() => undefined);
    await third.goto(`${url}/stock.html?lang=en#token=${f.tokens.purchasing}`);
    await third.locator('[data-testid=stock-row][data-item=BUTTER]').waitFor({ timeout: 20_000 });
    expect(await headers(third)).toEqual(['item', 'on hand', 'reserved', 'quarantined', 'expired', 'protected', 'available']);
    expect(errors).toEqual([]);
    await zhBrowser.close();
    await enBrowser.close();
  });

  it('refuses a language it does not have, naming the field; a viewer may keep one too', async () => {
    const bad = await f.as('warehouse', 'PUT', '/api/me/preferences', { locale: 'xx' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 'SP_ERR_VALIDATION', details: [{ field: expect.stringContaining('locale') }] });
    const extra = await f.as('viewer', 'PUT', '/api/me/preferences', { locale: 'en', role: 'admin' });
    expect(extra.status).toBe(400);
    expect((await f.as('viewer', 'PUT', '/api/me/preferences', { locale: 'zh-CN' })).status).toBe(200);
    expect((await f.as('viewer', 'GET', '/api/me/preferences')).json).toEqual({ locale: 'zh-CN' });
  });
});
