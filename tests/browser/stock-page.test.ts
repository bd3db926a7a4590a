import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumOr, launchChromium } from '../helpers/browser.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../inventory/fixture.ts';

// The stock page in a real browser (Debian chromium driven by playwright-core): with a token in
// the URL fragment it shows an item's on hand, reserved and available to promise, and the
// task inbox shows the step a document pushed to the next role. Served by the cloud API alone
// (no broker or simulator needed for inventory).

const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const haveChromium = chromiumOr('stock page browser test');

let tdb: TestDatabase;
let f: ApiFixture;
let browser: Browser;
let url: string;

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
});
