import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Role } from '../../../cloud/auth/permissions.ts';
import { chromiumOr, launchChromium } from '../../helpers/browser.ts';
import { waitFor } from '../../helpers/net.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';
import { PHONE, ok, openAs, overflowX, shot, type RolePage } from '../../helpers/documents-browser.ts';

// The rest of the documents pages in chromium: a customer return (sales raises it, the warehouse
// books it back, QA decides), transfers and adjustments (warehouse only), and the QA queue that
// opens a quarantined lot's passport to release it. Each as a role that may, and one that may not.

const haveChromium = chromiumOr('returns and movements browser test');
let tdb: TestDatabase;
let f: ApiFixture;
let browser: Browser;
let url: string;
let soId = 0;
const open: RolePage[] = [];
const as = async (role: Role, path: string, o: Parameters<typeof openAs>[5] = {}) => {
  const p = await openAs(browser, f, url, role, path, o);
  open.push(p);
  return p;
};

describe.runIf(haveChromium)(`returns, transfers, adjustments and lot release in chromium (${engineLabel})`, () => {
  beforeAll(async () => {
    tdb = await testDatabase();
    f = await apiFixture(tdb.db);
    url = await f.app.listen({ host: '127.0.0.1', port: 0 });
    await seedLocations(f);
    await seedItem(f, { sku: 'CREAM', name: 'Cream 1 l', gtin: '09501101530003' });
    await ok(f.as('sales', 'POST', '/api/customers', { id: 'cafe', name: 'Corner Café' }), 201);
    await ok(f.as('purchasing', 'POST', '/api/suppliers', { id: 'dairy', name: 'Alpine Dairy' }), 201);
    // a purchase order received with its lot held for QA (a quarantined lot: QA's task)
    const po = await ok(f.as('purchasing', 'POST', '/api/purchase-orders', { supplier: 'dairy', lines: [{ item: 'CREAM', qty: 12, priceMinor: 100 }] }), 201);
    await ok(f.as('purchasing', 'POST', `/api/purchase-orders/${po.id}/submit`, {}));
    await ok(f.as('finance', 'POST', `/api/purchase-orders/${po.id}/approve`, {}));
    await ok(f.as('warehouse', 'POST', `/api/purchase-orders/${po.id}/receive`, { location: 'bin-a', lines: [{ item: 'CREAM', qty: 2, lot: 'C-Q', expiresOn: '2099-01-31', quarantine: true }] }));
    await ok(f.as('warehouse', 'POST', `/api/purchase-orders/${po.id}/receive`, { location: 'bin-a', lines: [{ item: 'CREAM', qty: 10, lot: 'C-1', expiresOn: '2099-01-20' }] }));
    const so = await ok(f.as('sales', 'POST', '/api/sales-orders', { customer: 'cafe', lines: [{ item: 'CREAM', qty: 4 }] }), 201);
    soId = so.id;
    await ok(f.as('sales', 'POST', `/api/sales-orders/${so.id}/reserve`, {}));
    await ok(f.as('warehouse', 'POST', `/api/sales-orders/${so.id}/pick`, {}));
    await ok(f.as('warehouse', 'POST', `/api/sales-orders/${so.id}/ship`, {}));
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    for (const p of open) await p.close().catch(() => undefined);
    await browser?.close();
    await f?.close();
    await tdb?.cleanup();
  });

  it('a return: sales raises it, the warehouse books it back, QA restocks it; a viewer may not raise one', async () => {
    const s = await as('sales', 'documents.html#/returns/new');
    await s.page.locator('[data-testid=return-so]').selectOption(String(soId));
    await s.page.locator('[data-testid=return-reason]').fill('two cartons dented');
    await s.page.locator('[data-testid=line-item]').selectOption('CREAM');
    await s.page.locator('[data-testid=line-lot]').fill('C-1');
    await s.page.locator('[data-testid=line-qty]').fill('9');
    await s.page.locator('[data-testid=create]').click();
    // more than was shipped: refused at the quantity
    await s.page.locator('[data-testid=field-error][data-for="lines.0.qty"]').waitFor({ timeout: 20_000 });
    await s.page.locator('[data-testid=line-qty]').fill('2');
    await s.page.locator('[data-testid=create]').click();
    await s.page.locator('[data-testid=doc-status]', { hasText: 'requested' }).waitFor({ timeout: 20_000 });
    const id = Number(await s.page.locator('[data-testid=document]').getAttribute('data-id'));
    expect(s.errors).toEqual([]);

    const w = await as('warehouse', `documents.html#/returns/${id}`, { viewport: PHONE });
    await w.page.locator('[data-testid=return-location]').selectOption('bin-b');
    await w.page.locator('[data-testid=action-receive]').click();
    await w.page.locator('[data-testid=doc-status]', { hasText: 'received' }).waitFor({ timeout: 20_000 });
    expect(await w.page.locator('[data-testid=action-inspect]').count()).toBe(0);

    const q = await as('qa', `documents.html#/returns/${id}`);
    await q.page.locator('[data-testid=disposition]').selectOption('restock');
    await q.page.locator('[data-testid=action-inspect]').click();
    await q.page.locator('[data-testid=doc-status]', { hasText: 'closed' }).waitFor({ timeout: 20_000 });
    const stock = await ok(f.as('viewer', 'GET', '/api/stock?item=CREAM&location=bin-b'));
    expect(stock[0].onHand).toBe(2);

    const v = await as('viewer', 'documents.html#/returns');
    await v.page.locator('[data-testid=doc-list]').waitFor({ timeout: 20_000 });
    expect(await v.page.locator('[data-testid=new-doc]').count()).toBe(0);
  }, 240_000);

  it('transfers and adjustments: the warehouse books them on a phone; sales has no such page', async () => {
    const { page, errors } = await as('warehouse', 'documents.html#/movements', { viewport: PHONE });
    await page.locator('[data-testid=movement-form]').waitFor({ timeout: 20_000 });
    await page.locator('[data-testid=mv-item]').selectOption('CREAM');
    await page.locator('[data-testid=mv-lot]').fill('C-1');
    await page.locator('[data-testid=mv-from]').selectOption('bin-b');
    await page.locator('[data-testid=mv-to]').selectOption('bin-a');
    await page.locator('[data-testid=mv-qty]').fill('2');
    await page.locator('[data-testid=mv-post]').click();
    await page.locator('[data-testid=mv-row]', { hasText: 'transfer · CREAM · 2 · bin-b → bin-a' }).waitFor({ timeout: 20_000 });
    await page.locator('[data-testid=mv-kind]').selectOption('adjustment_out');
    expect(await page.locator('[data-testid=mv-to]').isVisible()).toBe(false);
    await page.locator('[data-testid=mv-from]').selectOption('bin-a');
    await page.locator('[data-testid=mv-qty]').fill('1');
    await page.locator('[data-testid=mv-note]').fill('carton split on the floor');
    await page.locator('[data-testid=mv-post]').click();
    await page.locator('[data-testid=mv-row]', { hasText: 'adjustment · CREAM · 1 · bin-a → —' }).waitFor({ timeout: 20_000 });
    expect(await overflowX(page)).toBeLessThanOrEqual(0);
    await shot(page, 'movements-390x844');
    expect(errors).toEqual([]);
    const [cream] = await ok(f.as('viewer', 'GET', '/api/stock?item=CREAM'));
    expect(cream.onHand).toBe(12 - 4 + 2 - 1);

    const s = await as('sales', 'documents.html#/movements');
    await s.page.locator('[data-testid=not-allowed]').waitFor({ timeout: 20_000 });
    expect(await s.page.locator('[data-testid=tab-movements]').count()).toBe(0);
  }, 240_000);

  it("QA's queue opens the quarantined lot's passport, where QA releases it; warehouse has no such task", async () => {
    const { page, errors } = await as('qa', 'tasks.html');
    const task = page.locator('[data-testid=task][data-action=inspect_lot]');
    await task.waitFor({ timeout: 30_000 });
    expect(await task.textContent()).toContain('Inspect and release lot C-Q of CREAM');
    expect(await page.locator('[data-testid=count][data-action=inspect_lot]').textContent()).toBe('release lot 1');
    await task.locator('[data-testid=task-open]').click();
    await page.waitForURL(/lot-passport\.html\?lot=\d+/, { timeout: 20_000 });
    await page.locator('[data-testid=pp-qa]').waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('#pp-reason').fill('lab result fine');
    await page.locator('button[value=release]').click();
    const lots = async () => (await ok(f.as('viewer', 'GET', '/api/lots?item=CREAM'))).find((l: any) => l.code === 'C-Q');
    await waitFor(async () => (await lots()).status === 'available', 'lot C-Q released', 30_000);
    expect(errors).toEqual([]);

    const w = await as('warehouse', 'tasks.html');
    await w.page.locator('[data-testid=count-total]').waitFor({ timeout: 20_000 });
    expect(await w.page.locator('[data-testid=task][data-action=inspect_lot]').count()).toBe(0);
  }, 240_000);
});
