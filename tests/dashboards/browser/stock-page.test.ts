import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumOr, launchChromium } from '../../helpers/browser.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// The stock page in a real browser (Debian chromium driven by playwright-core): with a token in
// the URL fragment it shows an item's on hand, reserved and available to promise, and the
// task inbox shows the step a document pushed to the next role. Served by the cloud API alone
// (no broker or simulator needed for inventory).

const ARTIFACTS = new URL('../../artifacts/', import.meta.url).pathname;
const SHOTS = new URL('../../../docs/screenshots/', import.meta.url).pathname;
const haveChromium = chromiumOr('stock page browser test');

let tdb: TestDatabase;
let f: ApiFixture;
let browser: Browser;
let url: string;

const lots: Record<string, number> = {};
/** an ISO day `days` from today (UTC, as the lots store it) */
const isoDay = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

async function ok(r: Promise<{ status: number; json: any }>, want: number) {
  const res = await r;
  if (res.status !== want) throw new Error(`${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
}

describe.runIf(haveChromium)(`stock page in chromium (${engineLabel})`, () => {
  beforeAll(async () => {
    tdb = await testDatabase();
    f = await apiFixture(tdb.db);
    url = await f.app.listen({ host: '127.0.0.1', port: 0 });
    await seedLocations(f);
    await seedItem(f, { sku: 'PHONE', name: 'Phone X' });
    await ok(f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'PHONE', to: 'bin-a', qty: 50 }), 201);
    await ok(f.as('sales', 'POST', '/api/reservations', { item: 'PHONE', qty: 8, channel: 'web' }), 201);
    // a draft purchase order pushes a "submit" task to purchasing
    await ok(f.as('purchasing', 'POST', '/api/suppliers', { id: 'acme', name: 'Acme' }), 201);
    await ok(f.as('purchasing', 'POST', '/api/purchase-orders', { supplier: 'acme', lines: [{ item: 'PHONE', qty: 20, priceMinor: 9900 }] }), 201);
    // a lot-tracked food item with lots in every state, in two bins and the dry store
    await seedItem(f, { sku: 'YOGURT', name: '酸奶 Yogurt, plain', unit: 'cup', lotTracked: true });
    for (const [code, days, status] of [['Y-SOON', 3, 'available'], ['Y-OLD', -2, 'available'], ['Y-HOLD', 40, 'quarantined'], ['Y-LATER', 60, 'available']] as const) {
      lots[code] = (await ok(f.as('warehouse', 'POST', '/api/lots', { item: 'YOGURT', code, expiresOn: isoDay(days), status }), 201)).id;
    }
    await ok(f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'YOGURT', lot: 'Y-SOON', to: 'bin-a', qty: 10 }), 201);
    await ok(f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'YOGURT', lot: 'Y-OLD', to: 'bin-b', qty: 4 }), 201);
    await ok(f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'YOGURT', lot: 'Y-HOLD', to: 'dry', qty: 6 }), 201);
    await ok(f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'YOGURT', lot: 'Y-LATER', to: 'bin-a', qty: 5 }), 201);
    await ok(f.as('warehouse', 'POST', '/api/movements', { kind: 'transfer', item: 'YOGURT', lot: 'Y-SOON', from: 'bin-a', to: 'bin-b', qty: 3 }), 201);
    await ok(f.as('warehouse', 'POST', '/api/movements', { kind: 'consumption', item: 'YOGURT', lot: 'Y-SOON', from: 'bin-a', qty: 2.5 }), 201);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await f?.close();
    await tdb?.cleanup();
  });

  it('shows on hand, reserved and available per item, and the role task inbox', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 700 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/stock.html#token=${f.tokens.purchasing}`);

    const row = page.locator('[data-testid=stock-row][data-item=PHONE]');
    await row.waitFor({ timeout: 20_000 });
    const cells = (await row.locator('td').allTextContents()).map((s) => s.trim());
    // item · name | on hand | reserved | quarantined | expired | protected | available
    expect(cells).toEqual(['PHONE · Phone X', '50 pcs', '8', '0', '0', '0', '42']);
    expect((await row.locator('[data-testid=available]').textContent())?.trim()).toBe('42');

    const task = page.locator('[data-testid=task][data-role=purchasing]').first();
    await task.waitFor({ timeout: 10_000 });
    expect(await task.textContent()).toMatch(/purchase order \d+ \(draft\)/);
    // the token left the address bar once stored
    expect(page.url()).not.toContain('token=');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'stock-page.png') });
    expect(errors).toEqual([]);
  });

  const rowsShown = (page: import('playwright-core').Page) => page.locator('[data-testid=stock-row]').evaluateAll((es) => es.map((e) => (e as HTMLElement).dataset.item));
  const lotsShown = (page: import('playwright-core').Page) => page.locator('[data-testid=lot-row][data-lot]').evaluateAll((es) => es.map((e) => (e as HTMLElement).dataset.lot).filter(Boolean));

  it('search, lot-state and expiry filters, location, sort; lots link to their passport; the ledger has a running balance', async () => {
    const ctx = await browser.newContext({ locale: 'en-GB', viewport: { width: 1600, height: 900 } });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/stock.html#token=${f.tokens.warehouse}`);
    await page.locator('body[data-ready=true]').waitFor({ timeout: 30_000 });
    expect(await rowsShown(page)).toEqual(['PHONE', 'YOGURT']);

    // search by lot code: the item opens on that lot only
    await page.locator('[data-testid=stock-search]').fill('y-hold');
    await expect.poll(() => rowsShown(page)).toEqual(['YOGURT']);
    expect(await lotsShown(page)).toEqual(['Y-HOLD']);
    await page.locator('[data-testid=stock-search]').fill('');

    await page.locator('[data-testid=stock-state]').selectOption('expired');
    await expect.poll(() => lotsShown(page)).toEqual(['Y-OLD']);
    await page.locator('[data-testid=stock-state]').selectOption('quarantined');
    await expect.poll(() => lotsShown(page)).toEqual(['Y-HOLD']);
    await page.locator('[data-testid=stock-state]').selectOption('all');
    await page.locator('[data-testid=stock-bucket]').selectOption('d7');
    await expect.poll(() => lotsShown(page)).toEqual(['Y-SOON', 'Y-SOON']);   // in bin-a and bin-b
    await page.locator('[data-testid=stock-bucket]').selectOption('later');
    await expect.poll(() => lotsShown(page)).toEqual(['Y-HOLD', 'Y-LATER']);
    expect(await rowsShown(page)).toEqual(['YOGURT']);
    // the lot links to its passport
    const link = page.locator('[data-testid=lot-row][data-lot=Y-LATER] [data-testid=lot-link]');
    expect(await link.getAttribute('href')).toBe(`lot-passport.html?lot=${lots['Y-LATER']}`);
    await page.locator('[data-testid=stock-bucket]').selectOption('all');

    // sort: most on hand first (PHONE 50 > YOGURT 22.5); location filter on the server (the dry store holds only Y-HOLD)
    await page.locator('[data-testid=stock-sort]').selectOption('onHand');
    await expect.poll(() => rowsShown(page)).toEqual(['PHONE', 'YOGURT']);
    await page.locator('[data-testid=stock-sort]').selectOption('expiry');
    await expect.poll(() => rowsShown(page)).toEqual(['YOGURT', 'PHONE']);
    await page.locator('[data-testid=stock-location]').selectOption('dry');
    await expect.poll(() => rowsShown(page), { timeout: 20_000 }).toEqual(['YOGURT']);
    await page.locator('[data-testid=stock-row][data-item=YOGURT]').click();
    await expect.poll(() => lotsShown(page)).toEqual(['Y-HOLD']);
    await page.locator('[data-testid=stock-location]').selectOption('');
    await expect.poll(() => rowsShown(page), { timeout: 20_000 }).toEqual(['YOGURT', 'PHONE']);

    // the ledger of lot Y-SOON in bin-a: +10, −3 (transfer out), −2.5 (used) → 4.5
    await page.locator('[data-testid=lot-row][data-lot=Y-SOON]').first().locator('[data-testid=ledger-open]').click();
    await page.locator('[data-testid=ledger-line]').first().waitFor();
    expect(await page.locator('#ledger-title').textContent()).toBe('Ledger: YOGURT lot Y-SOON at bin-a');
    expect(await page.locator('[data-testid=ledger-change]').allTextContents()).toEqual(['−2.5', '−3', '+10']);
    expect(await page.locator('[data-testid=ledger-balance]').allTextContents()).toEqual(['4.5', '7', '10']);
    expect(await page.locator('[data-testid=ledger-line]').first().textContent()).toContain('consumption');
    await page.screenshot({ path: `${SHOTS}stock-filters-ledger-1600x900.png` });
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('exports what is shown as CSV with a BOM and Chinese headers; sales reads the ledger refusal as words; phone layout', async () => {
    const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/stock.html?lang=zh-CN#token=${f.tokens.sales}`);
    await page.locator('body[data-ready=true]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid=stock-state]').selectOption('quarantined');
    await expect.poll(() => lotsShown(page)).toEqual(['Y-HOLD']);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=stock-csv]').click()]);
    const bytes = readFileSync((await download.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.toString('utf8').slice(1).trim().split('\r\n');
    expect(lines[0]).toBe('商品编码,名称,单位,批次,库位,状态,到期日,批次在库,在库,预留,隔离,过期,受保护,可用');
    expect(lines.slice(1)).toEqual([`YOGURT,"酸奶 Yogurt, plain",cup,Y-HOLD,dry,隔离,${isoDay(40)},6,22.5,0,6,4,0,12.5`]);

    // sales may see stock but not the ledger: the refusal is a sentence, not a code
    await page.locator('[data-testid=stock-state]').selectOption('all');
    await page.locator('[data-testid=stock-row][data-item=YOGURT]').click();
    await page.locator('[data-testid=lot-row][data-lot=Y-HOLD] [data-testid=ledger-open]').click();
    await expect.poll(async () => (await page.locator('#ledger-note').textContent())?.trim()).toBe('您的角色无权查看或执行此操作。');
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect((await page.locator('[data-testid=stock-csv]').boundingBox())!.height).toBeGreaterThanOrEqual(44);
    await page.screenshot({ path: `${SHOTS}stock-zh-CN-filters-390x844.png`, fullPage: true });
    await page.setViewportSize({ width: 360, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
