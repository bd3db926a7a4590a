import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumOr, launchChromium } from '../../helpers/browser.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// The stock value page (dashboards/web/value.html) in chromium: as finance in English and in
// Chinese it shows the totals, the value per item, by location and by lot (a lot opens its
// passport), COGS for the period, payables and receivables, each table exporting a CSV with a
// BOM; a role that may not see cost reads one refusal sentence instead of empty tables.

const SHOTS = new URL('../../../docs/screenshots/', import.meta.url).pathname;
const haveChromium = chromiumOr('stock value page browser test');

let tdb: TestDatabase;
let f: ApiFixture;
let browser: Browser;
let url: string;

async function ok(r: Promise<{ status: number; json: any }>, want = 200) {
  const res = await r;
  if (res.status !== want) throw new Error(`${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
}

async function receivedPo(supplier: string, item: string, qty: number, priceMinor: number, to: string, lot?: string) {
  const po = await ok(f.as('purchasing', 'POST', '/api/purchase-orders', { supplier, lines: [{ item, qty, priceMinor }] }), 201);
  await ok(f.as('purchasing', 'POST', `/api/purchase-orders/${po.id}/submit`, {}));
  await ok(f.as('finance', 'POST', `/api/purchase-orders/${po.id}/approve`, {}));
  await ok(f.as('warehouse', 'POST', `/api/purchase-orders/${po.id}/receive`, { location: to, lines: [{ item, qty, ...(lot ? { lot, expiresOn: '2099-01-01' } : {}) }] }));
  return po.id as number;
}

const texts = (page: Page, sel: string) => page.locator(sel).allTextContents().then((a) => a.map((s) => s.trim()));

describe.runIf(haveChromium)(`stock value page in chromium (${engineLabel})`, () => {
  beforeAll(async () => {
    tdb = await testDatabase();
    f = await apiFixture(tdb.db);
    url = await f.app.listen({ host: '127.0.0.1', port: 0 });
    await seedLocations(f);
    await seedItem(f, { sku: 'FLOUR', name: 'Flour T55', unit: 'kg' });
    await seedItem(f, { sku: 'MILK', name: '牛奶 Milk 1 l', lotTracked: true });
    await ok(f.as('purchasing', 'POST', '/api/suppliers', { id: 'mill', name: 'Mill Ltd' }), 201);
    await ok(f.as('purchasing', 'POST', '/api/suppliers', { id: 'dairy', name: '光明乳业 Dairy' }), 201);
    await ok(f.as('sales', 'POST', '/api/customers', { id: 'shop', name: 'Corner shop' }), 201);
    const first = await receivedPo('mill', 'FLOUR', 10, 100, 'bin-a');
    await receivedPo('mill', 'FLOUR', 10, 130, 'dry');
    await receivedPo('dairy', 'MILK', 5, 90, 'bin-b', 'M1');
    await receivedPo('dairy', 'MILK', 3, 110, 'bin-b', 'M2');
    const pay = (await ok(f.as('finance', 'GET', '/api/tasks'))).find((t: any) => t.action === 'pay' && t.documentId === first);
    await ok(f.as('finance', 'POST', `/api/tasks/${pay.id}/done`, {}));
    const so = await ok(f.as('sales', 'POST', '/api/sales-orders', { customer: 'shop', lines: [{ item: 'FLOUR', qty: 4, priceMinor: 200 }] }), 201);
    await ok(f.as('sales', 'POST', `/api/sales-orders/${so.id}/reserve`, {}));
    await ok(f.as('warehouse', 'POST', `/api/sales-orders/${so.id}/pick`, {}));
    await ok(f.as('warehouse', 'POST', `/api/sales-orders/${so.id}/ship`, {}));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await f?.close();
    await tdb?.cleanup();
  });

  it('as finance in English: totals, value per item, by location and by lot, COGS, payables, receivables, CSV with a BOM', async () => {
    const ctx = await browser.newContext({ locale: 'en-GB', viewport: { width: 1600, height: 900 }, acceptDownloads: true });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/value.html?lang=en#token=${f.tokens.finance}`);
    const flour = page.locator('[data-testid=value-row][data-item=FLOUR]');
    await flour.waitFor({ timeout: 20_000 });
    // 16 kg at (10 × 1.00 + 10 × 1.30) / 20 = 1.15 → 18.40; MILK 8 at 0.975 → 7.80
    expect((await flour.locator('td').allTextContents()).map((s) => s.trim())).toEqual(['FLOUR · Flour T55', '16 kg', '€1.15', '€18.40']);
    expect(await page.locator('[data-testid=total-stock]').textContent()).toBe('€26.20');
    expect(await page.locator('[data-testid=total-cogs]').textContent()).toBe('€4.60');
    expect(await page.locator('[data-testid=total-payables]').textContent()).toBe('€20.80');   // 13.00 + 7.80 (the first order is paid)
    expect(await page.locator('[data-testid=total-receivables]').textContent()).toBe('€8.00');
    expect(await texts(page, '[data-testid=cogs-row] td')).toEqual([expect.any(String), 'FLOUR', expect.stringMatching(/^\d+ · shop$/), '4', '€1.15', '€4.60', '€8.00', '€3.40']);
    expect(await texts(page, '[data-testid=supplier-row][data-party=mill] td')).toEqual(['mill · Mill Ltd (2 orders)', '€23.00', '€10.00', '€13.00']);
    expect(await texts(page, '[data-testid=customer-row][data-party=shop] td')).toEqual(['shop · Corner shop (1 order)', '€8.00', '€0.00', '€8.00']);
    await page.screenshot({ path: `${SHOTS}value-1600x900.png` });
    // a report that scrolls on a wall screen (where the dashboard's own layout does not)
    await page.locator('[data-testid=customer-row]').scrollIntoViewIfNeeded();
    expect(await page.evaluate(() => scrollY)).toBeGreaterThan(0);
    await page.evaluate(() => scrollTo(0, 0));

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=csv-stock]').click()]);
    const bytes = readFileSync((await download.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.toString('utf8').slice(1).split('\r\n');
    expect(csv[0]).toBe('item,name,on hand,unit,average cost,value,currency');
    expect(csv).toContain('FLOUR,Flour T55,16,kg,1.15,18.4,EUR');
    const [payCsv] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=csv-payables]').click()]);
    expect(readFileSync((await payCsv.path())!, 'utf8')).toContain('mill,Mill Ltd,23,10,13,EUR');

    await page.locator('[data-testid=value-by]').selectOption('location');
    await page.locator('[data-testid=value-row][data-location=dry]').waitFor();
    expect(await texts(page, '[data-testid=value-row][data-location=dry] td')).toEqual(['dry', 'FLOUR · Flour T55', '10', '€1.15', '€11.50']);
    await page.locator('[data-testid=value-by]').selectOption('lot');
    const m2 = page.locator('[data-testid=value-row][data-lot=M2]');
    await m2.waitFor();
    expect(await texts(page, '[data-testid=value-row][data-lot=M2] td')).toEqual(['MILK · 牛奶 Milk 1 l', 'M2', '3', '€0.975', '€2.93']);
    expect(await m2.locator('[data-testid=lot-link]').getAttribute('href')).toMatch(/^lot-passport\.html\?lot=\d+$/);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('as finance in Chinese: the stock value and the COGS as PDF downloads', async () => {
    const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1600, height: 900 }, acceptDownloads: true });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/value.html?lang=zh-CN#token=${f.tokens.finance}`);
    await page.locator('[data-testid=value-row][data-item=FLOUR]').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid=pdf-stock]').textContent()).toBe('导出 PDF');
    for (const [button, name] of [['pdf-stock', 'stock-value'], ['pdf-cogs', 'cogs']]) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-testid=${button}]`).click()]);
      expect(download.suggestedFilename()).toMatch(new RegExp(`^${name}_\\d{4}-\\d{2}-\\d{2}\\.pdf$`));
      const bytes = readFileSync((await download.path())!);
      expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(bytes.length).toBeLessThan(1_000_000);
    }
    expect(await page.locator('[data-testid=pdf-cogs-error]').textContent()).toBe('');
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('as finance in Chinese on a phone: every word translated, tables stacked, nothing wider than the screen', async () => {
    const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/value.html?lang=zh-CN#token=${f.tokens.finance}`);
    await page.locator('[data-testid=value-row][data-item=FLOUR]').waitFor({ timeout: 20_000 });
    expect(await page.locator('h1').textContent()).toBe('stockpulse · 库存价值');
    expect(await page.locator('[data-testid=value-by] option:checked').textContent()).toBe('按物料');
    // a stacked cell carries its column's header as its label
    expect(await page.locator('[data-testid=value-row][data-item=FLOUR] [data-testid=value]').getAttribute('data-label')).toBe('价值');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${SHOTS}value-zh-CN-390x844.png`, fullPage: true });
    const wide = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1600, height: 900 } });
    const p2 = await wide.newPage();
    await p2.goto(`${url}/value.html?lang=zh-CN#token=${f.tokens.finance}`);
    await p2.locator('[data-testid=value-row][data-item=FLOUR]').waitFor({ timeout: 20_000 });
    await p2.screenshot({ path: `${SHOTS}value-zh-CN-1600x900.png` });
    await wide.close();
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('on a phone in English (390×844)', async () => {
    const ctx = await browser.newContext({ locale: 'en-GB', viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    await page.goto(`${url}/value.html?lang=en#token=${f.tokens.purchasing}`);
    await page.locator('[data-testid=value-row][data-item=FLOUR]').waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect((await page.locator('[data-testid=csv-stock]').boundingBox())!.height).toBeGreaterThanOrEqual(44);
    await page.screenshot({ path: `${SHOTS}value-390x844.png` });
    await ctx.close();
  });

  it('a role that may not see cost reads the refusal, in its language, and no figure', async () => {
    for (const [lang, role, words] of [['en', 'sales', /may not see stock value/], ['zh-CN', 'warehouse', /无权查看库存价值/]] as const) {
      const ctx = await browser.newContext({ viewport: { width: 1600, height: 900 } });
      const page = await ctx.newPage();
      await page.goto(`${url}/value.html?lang=${lang}#token=${f.tokens[role]}`);
      const refused = page.locator('[data-testid=value-refused]');
      await refused.waitFor({ state: 'visible', timeout: 20_000 });
      expect(await refused.textContent()).toMatch(words);
      expect(await page.locator('[data-testid=value-totals]').isVisible()).toBe(false);
      expect(await page.locator('[data-testid=value-row]').count()).toBe(0);
      if (lang === 'zh-CN') await page.screenshot({ path: `${SHOTS}value-refused-zh-CN-1600x900.png` });
      await ctx.close();
    }
  });
});
