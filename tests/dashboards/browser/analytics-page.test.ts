import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumOr, launchChromium } from '../../helpers/browser.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';
import { runReplenishment } from '../../../cloud/planning/replenishment.ts';
import { DAY, post } from '../../helpers/planning-history.ts';

// The planning and analytics page in a real browser (Debian chromium via playwright-core):
// the replenishment suggestion row, the sales chart with its forecast, the price chart for a
// cost role — and for sales the price panel says it is not for them while the rest still works.

const haveChromium = chromiumOr('analytics page browser test');
const ARTIFACTS = new URL('../../artifacts/', import.meta.url).pathname;

let tdb: TestDatabase;
let f: ApiFixture;
let browser: Browser;
let url: string;

describe.runIf(haveChromium)(`analytics page in chromium (${engineLabel})`, () => {
  beforeAll(async () => {
    tdb = await testDatabase();
    f = await apiFixture(tdb.db);
    url = await f.app.listen({ host: '127.0.0.1', port: 0 });
    await seedLocations(f);
    await seedItem(f, { sku: 'BREAD', name: 'Bread', unit: 'pcs', leadTimeDays: 3 });
    expect((await f.as('purchasing', 'POST', '/api/suppliers', { id: 'bakery-supply', name: 'Bakery Supply' })).status).toBe(201);
    // a purchase that went through approval today: one price point
    const po = await f.as('purchasing', 'POST', '/api/purchase-orders', { supplier: 'bakery-supply', lines: [{ item: 'BREAD', qty: 10, priceMinor: 150 }] });
    expect((await f.as('purchasing', 'POST', `/api/purchase-orders/${po.json.id}/submit`, {})).status).toBe(200);
    expect((await f.as('finance', 'POST', `/api/purchase-orders/${po.json.id}/approve`, {})).status).toBe(200);
    // six weeks of sales, 5 a day at noon (UTC), ending yesterday; the stock arrived the first morning; 20 left
    const now = Date.now();
    const today = Math.floor(now / DAY) * DAY;
    await post(tdb.db, { kind: 'receipt', item: 'BREAD', to: 'dry', qty: 230, at: new Date(today - 42 * DAY + 8 * 3600_000).toISOString() });
    for (let d = 42; d >= 1; d--) await post(tdb.db, { kind: 'shipment', item: 'BREAD', from: 'dry', qty: 5, at: new Date(today - d * DAY + 12 * 3600_000).toISOString() });
    await runReplenishment(tdb.db, { now: new Date(now) });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await f?.close();
    await tdb?.cleanup();
  });

  it('purchasing sees the suggestion, the sales forecast and the price trend', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/analytics.html?item=BREAD#token=${f.tokens.purchasing}`);
    // 42 days of exactly 5: d̄ = 5, σ = 0, every weekday index 1 → ROP = 5·1·3 + 0 = 15;
    // 20 on hand + 10 on order = 30 ≥ 15: no suggestion
    const row = page.locator('[data-testid=repl-row][data-item=BREAD]');
    await row.waitFor({ timeout: 20_000 });
    expect(await row.getAttribute('data-status')).toBe('ok');
    expect(Number(await row.locator('[data-testid=rop]').textContent())).toBe(15);
    await page.waitForFunction(() => Number(document.getElementById('sales-chart')?.dataset.points) > 0, undefined, { timeout: 20_000 });
    await page.waitForFunction(() => document.getElementById('price-chart')?.dataset.months === '1', undefined, { timeout: 20_000 });
    expect(await page.locator('#sales-model').textContent()).toMatch(/Holt linear/);
    expect(errors).toEqual([]);
  });

  it('for sales the price panel explains the refusal; sales trend still shows', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/analytics.html?item=BREAD#token=${f.tokens.sales}`);
    await page.locator('[data-testid=price-denied]').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid=price-denied]').textContent()).toMatch(/purchasing and finance only/);
    await page.waitForFunction(() => Number(document.getElementById('sales-chart')?.dataset.points) > 0, undefined, { timeout: 20_000 });
    expect(await page.locator('#repl-body').textContent()).toMatch(/may not see/);
    expect(errors).toEqual([]);
  });

  it('issue #14: in Chinese (from ?lang= or the header switch) every heading, column and panel note is Chinese; no sideways scroll', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const [w, h] of [[1600, 900], [390, 844]] as const) {
      const page = await browser.newPage({ viewport: { width: w, height: h } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${url}/analytics.html?item=BREAD&lang=zh-CN#token=${f.tokens.purchasing}`);
      await page.locator('[data-testid=repl-row][data-item=BREAD]').waitFor({ timeout: 20_000 });
      await page.waitForFunction(() => document.getElementById('price-chart')?.dataset.months === '1', undefined, { timeout: 20_000 });
      expect(await page.title()).toBe('stockpulse · 计划与分析');
      expect(await page.locator('[data-testid=replenishment-panel] h2').textContent()).toBe('补货建议');
      expect(await page.locator('[data-testid=replenishment-panel] th').allTextContents()).toContain('ROP（再订货点）');
      await expect.poll(() => page.locator('#sales-model').textContent()).toMatch(/^Holt 线性 .*\/周$/);
      expect(await page.locator('[data-testid=edit-leadTimeDays]').getAttribute('aria-label')).toBe('BREAD 的采购提前期（天）');
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await page.screenshot({ path: `${ARTIFACTS}analytics-zh-CN-${w}x${h}.png`, fullPage: w < 500 });
      if (w === 1600) {
        // one switch back to English: the page re-renders without a reload
        await page.locator('[data-testid=lang-switch]').selectOption('en');
        await expect.poll(() => page.locator('[data-testid=replenishment-panel] h2').textContent()).toBe('Replenishment suggestions');
        await expect.poll(() => page.locator('#sales-model').textContent()).toMatch(/^Holt linear/);
      }
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it("the minute's refresh does not redraw a field the buyer is typing in; it redraws once the field is left, with the saved value", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // the page's clock is ours: its once-a-minute refresh runs when the test says
    await page.clock.install();
    await page.goto(`${url}/analytics.html?item=BREAD#token=${f.tokens.purchasing}`);
    const row = page.locator('[data-testid=repl-row][data-item=BREAD]');
    await row.waitFor({ timeout: 20_000 });
    const lead = await row.locator('input[data-field=leadTimeDays]').elementHandle();
    await lead!.focus();
    await lead!.fill('7');
    // the minute passes while the buyer types: the refresh runs to its end ("updated hh:mm" moves on)
    const updated = await page.locator('#updated').textContent();
    const asked = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/replenishment');
    await page.clock.runFor(61_000);
    await asked;
    await expect.poll(() => page.locator('#updated').textContent(), { timeout: 10_000 }).not.toBe(updated);
    // and the field is the one the buyer is in, with what was typed and the focus
    expect(await lead!.evaluate((el: HTMLInputElement) => [el.isConnected, el.value, document.activeElement === el])).toEqual([true, '7', true]);
    expect(await page.locator('#repl-body').getAttribute('data-waiting')).toBe('1');
    // the buyer leaves the field: it is saved, and the row redrawn from the answer (ROP = 5 a day × 7 days)
    await page.locator('[data-testid=replenishment-panel] h2').click();
    await expect.poll(async () => (await f.as('purchasing', 'GET', '/api/items/BREAD')).json.leadTimeDays, { timeout: 10_000 }).toBe(7);
    await expect.poll(async () => Number(await row.locator('[data-testid=rop]').textContent()), { timeout: 10_000 }).toBe(35);
    expect(await row.getAttribute('data-status')).toBe('reorder');
    expect(await page.locator('#repl-body').getAttribute('data-waiting')).toBeNull();
    expect(errors).toEqual([]);
    await page.close();
    // the lead time back for any test that follows
    expect((await f.as('purchasing', 'PUT', '/api/replenishment/items/BREAD', { leadTimeDays: 3 })).status).toBe(200);
  });
});
