import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumOr, launchChromium } from '../../helpers/browser.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// Reports and approvals in a real browser (issue #14): an admin working in Chinese moves the
// large-purchase threshold (the change shows in the history below and in the API), adds a weekly
// e-mail, and exports a CSV from the analytics page; a finance user sees the exports but not the
// editor. Screenshots at 1600×900 and 390×844 in docs/screenshots/.

const haveChromium = chromiumOr('reports and approvals browser test');
const SHOTS = new URL('../../../docs/screenshots/', import.meta.url).pathname;

let tdb: TestDatabase;
let f: ApiFixture;
let browser: Browser;
let url: string;

async function open(role: 'admin' | 'finance', path: string, viewport = { width: 1600, height: 900 }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport, acceptDownloads: true });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}/${path}#token=${f.tokens[role]}`);
  return { page, errors };
}

describe.runIf(haveChromium)(`reports and approval rules in chromium (${engineLabel})`, () => {
  beforeAll(async () => {
    tdb = await testDatabase();
    f = await apiFixture(tdb.db);
    url = await f.app.listen({ host: '127.0.0.1', port: 0 });
    await seedLocations(f);
    await seedItem(f, { sku: 'TOFU', name: '嫩豆腐, "silken"', lotTracked: true });
    await f.as('warehouse', 'POST', '/api/lots', { item: 'TOFU', code: 'T-1', expiresOn: '2099-01-31' });
    await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'TOFU', lot: 'T-1', to: 'bin-a', qty: 24 });
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await f?.close();
    await tdb?.cleanup();
  });

  it('admin in zh-CN moves the threshold (audited, shown below), adds a weekly e-mail; screenshots', async () => {
    const { page, errors } = await open('admin', 'reports.html?lang=zh-CN');
    await page.locator('[data-testid=level-row]').nth(1).waitFor({ timeout: 20_000 });
    expect(await page.locator('h2', { hasText: '采购订单审批规则' }).count()).toBe(1);
    const above = page.locator('[data-testid=level-above]');
    expect(await above.inputValue()).toBe('5000');
    // a bad value first: the server's 400 names the field, which is marked
    await above.fill('-1');
    await page.locator('[data-testid=save-rules]').click();
    await expect.poll(() => above.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('[data-testid=rules-error]').textContent()).not.toBe('');
    await above.fill('3000');
    await page.locator('[data-testid=save-rules]').click();
    await page.locator('[data-testid=history-row]').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid=rules-note]').textContent()).toBe('已保存。');
    const row = await page.locator('[data-testid=history-row]').first().textContent();
    expect(row).toContain('test-admin');
    expect(row).toContain('仓库');   // the role in Chinese
    const rules = (await f.as('admin', 'GET', '/api/approval-rules')).json;
    expect(rules.levels).toEqual([{ role: 'finance', aboveMinor: 0 }, { role: 'warehouse', aboveMinor: 300_000 }]);
    expect(rules.history[0]).toMatchObject({ actor: 'test-admin' });

    // a weekly e-mail of the stock report to the warehouse, in Chinese
    await page.locator('#s-report').selectOption('stock');
    await page.locator('#s-role').selectOption('warehouse');
    await page.locator('#s-timezone').fill('Asia/Shanghai');
    await page.locator('[data-testid=add-schedule]').click();
    await page.locator('[data-testid=schedule-row]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid=schedule-row]').textContent()).toContain('Asia/Shanghai');
    // a time zone that does not exist is refused at its field
    await page.locator('#s-timezone').fill('Mars/Olympus');
    await page.locator('[data-testid=add-schedule]').click();
    await expect.poll(() => page.locator('#s-timezone').getAttribute('aria-invalid')).toBe('true');
    await page.locator('#s-timezone').fill('Asia/Shanghai');
    expect((await f.as('admin', 'GET', '/api/report-schedules')).json).toHaveLength(1);

    await page.screenshot({ path: join(SHOTS, 'reports-approvals-zh-CN-1600x900.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('[data-testid=approval-panel]').scrollIntoViewIfNeeded();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SHOTS, 'reports-approvals-zh-CN-390x844.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('exports a CSV download from the analytics page (zh-CN header, BOM, quoted name)', async () => {
    const { page, errors } = await open('admin', 'analytics.html?lang=zh-CN');
    const sel = page.locator('[data-testid=an-export-report]');
    await expect.poll(() => sel.locator('option').count(), { timeout: 20_000 }).toBeGreaterThan(1);
    await sel.selectOption('stock');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=an-export-csv]').click()]);
    expect(download.suggestedFilename()).toMatch(/^stock_\d{4}-\d{2}-\d{2}\.csv$/);
    const bytes = readFileSync((await download.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.toString('utf8').split('\r\n');
    expect(lines[0]).toBe('\uFEFF物料,名称,单位,批次,库位,批次状态,到期日,批次在库,物料在库,已预留,隔离,已过期,可用');
    expect(lines[1]).toBe('TOFU,"嫩豆腐, ""silken""",pcs,T-1,bin-a,可用,2099-01-31,24,24,0,0,0,24');
    // the same report as a PDF in the page's language
    const [pdf] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=an-export-pdf]').click()]);
    expect(pdf.suggestedFilename()).toMatch(/^stock_\d{4}-\d{2}-\d{2}\.pdf$/);
    expect(readFileSync((await pdf.path())!).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await page.screenshot({ path: join(SHOTS, 'analytics-export-zh-CN-1600x900.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('a non-admin (finance) exports reports but sees neither the approval editor nor the schedules', async () => {
    const { page, errors } = await open('finance', 'reports.html', { width: 390, height: 844 });
    await page.locator('[data-testid=export-row]').first().waitFor({ timeout: 20_000 });
    await page.locator('[data-testid=admin-only]').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.locator('[data-testid=approval-panel]').isVisible()).toBe(false);
    expect(await page.locator('[data-testid=schedules-panel]').isVisible()).toBe(false);
    expect(await page.locator('[data-testid=level-row]').count()).toBe(0);
    expect(await page.locator('[data-testid=export-row]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.report)))
      .toEqual(['stock', 'expiring-lots', 'reorder-suggestions', 'turnover', 'supplier-on-time', 'count-accuracy', 'price-trend', 'stock-value', 'cogs']);
    await page.screenshot({ path: join(SHOTS, 'reports-finance-390x844.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
