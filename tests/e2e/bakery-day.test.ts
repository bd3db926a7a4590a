import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { startDemoStack, type DemoStack } from '../../bin/demo-stack.ts';
import { createApiToken } from '../../cloud/auth/tokens.ts';
import { ROLES, type Role } from '../../cloud/auth/permissions.ts';
import { chromiumOr, launchChromium } from '../helpers/browser.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../helpers/db.ts';
import { LAPTOP, PHONE, barcode, openAs, overflowX, shot, type RolePage } from '../helpers/documents-browser.ts';

// A day of the bakery on the demo (issue #14 "done when"), in Chinese, with no curl: every step
// is a person in a real chromium on the page for it, most of them on a phone —
//   the clerk receives the morning delivery against its purchase order by scanning the pallet's
//   case label; two orders are shipped (sales raises one on screen, the other came in by API from
//   the web shop; the warehouse picks FEFO, confirms by scanning, ships); the warehouse counts the
//   butter bench with the live bench scale's figure beside the count and finance approves the
//   variance; QA releases a quarantined lot from its passport; purchasing reorders flour and
//   finance approves it; afterwards `verify` finds the ledger clean and finance sees the stock
//   value moved (the delivery in at its PO price, what was shipped out at cost).
// The demo runs as `npm start` does (its simulated devices, gateway, broker and cloud), on PGlite
// or on PostgreSQL by DATABASE_URL.

const haveChromium = chromiumOr('bakery day browser test');
const PALLET_GTIN = '80614141123458'; // simulators/scenarios/bakery-stock.ts: the dock's flour cases
const GS = '\x1d';
let tdb: TestDatabase;
let stack: DemoStack;
let dataDir: string;
let browser: Browser;
const tokens = {} as Record<Role, string>;
const open: RolePage[] = [];

async function as(role: Role, path: string, viewport = PHONE) {
  const p = await openAs(browser, { tokens }, stack.url, role, path, { viewport, lang: 'zh-CN' });
  open.push(p);
  return p;
}
async function api(role: Role, method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(stack.url + path, {
    method, headers: { authorization: `Bearer ${tokens[role]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = await r.json().catch(() => null);
  if (!r.ok) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(json)}`);
  return json;
}
async function waitStatus(page: Page, text: string) {
  await page.locator('[data-testid=doc-status]', { hasText: new RegExp(`^${text}$`) }).waitFor({ timeout: 30_000 });
}
async function wedge(page: Page, box: string, text: string) {
  await page.locator(`[data-testid=${box}-input]`).focus();
  await page.keyboard.insertText(text);
  await page.keyboard.press('Enter');
}
const onHand = async (item: string) => ((await api('viewer', 'GET', `/api/stock?item=${item}`)) as { onHand: number }[])[0]?.onHand ?? 0;

describe.runIf(haveChromium)(`a day of the bakery in Chinese, in the browser (${engineLabel})`, () => {
  beforeAll(async () => {
    tdb = await testDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'sp-bakery-day-'));
    stack = await startDemoStack({
      log: pino({ level: 'silent' }), httpPort: 0, mqttPort: 0, dataDir, db: tdb.db, publishMs: 500, inbox: false,
      stockActivityMs: 0, timeScale: 30, delaySec: 60,
    });
    for (const role of ROLES) tokens[role] = (await createApiToken(tdb.db, { role, name: `day-${role}`, createdBy: 'test' })).token;
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    for (const p of open) await p.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
    await tdb?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  let totalBefore = 0;
  const totalValue = async () => Number(((await api('finance', 'GET', '/api/valuation')) as { totals: { valueMinor: string }[] }).totals[0]?.valueMinor ?? 0);

  it('the morning delivery is received against its PO by scanning the pallet label on a phone', async () => {
    totalBefore = await totalValue();
    const [po] = await tdb.db.query<{ id: string }>(`SELECT id FROM documents WHERE type = 'purchase_order' AND status = 'approved' ORDER BY id LIMIT 1`);
    expect(po).toBeDefined();
    const { page, errors } = await as('warehouse', `documents.html#/purchase-orders/${po!.id}`);
    await page.locator('[data-testid=receive-form]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid=receive-location]').selectOption('DRY');
    // the pallet's label: 40 cases (37) of the flour case GTIN (02), lot (10), best before (17)
    await page.setInputFiles('[data-testid=receive-scan-photo]', { name: 'pallet.png', mimeType: 'image/png', buffer: await barcode('gs1-128', `(02)${PALLET_GTIN}(37)40(10)L-MORNING(17)270131`) });
    const row = page.locator('[data-testid=rcv-row][data-item=FLOUR-CASE]');
    await expect.poll(() => row.locator('[data-testid=rcv-qty]').inputValue(), { timeout: 60_000 }).toBe('40');
    expect(await row.locator('[data-testid=rcv-lot]').inputValue()).toBe('L-MORNING');
    expect(await row.locator('[data-testid=rcv-expiry]').inputValue()).toBe('2027-01-31');
    expect(await overflowX(page)).toBeLessThanOrEqual(0);
    await shot(page, 'day-receive-zh-CN-390x844');
    await page.locator('[data-testid=action-receive]').click();
    await waitStatus(page, '已收货');
    expect(await onHand('FLOUR-CASE')).toBe(40);
    expect(errors).toEqual([]);
  }, 240_000);

  it('two orders are shipped on a phone: FEFO picks, the labelled cases confirmed by scanning', async () => {
    await api('sales', 'POST', '/api/customers', { id: 'cafe-day', name: '街角咖啡' });
    // one order from the web shop (API), one raised on screen by sales
    const shop = await api('sales', 'POST', '/api/sales-orders', { customer: 'cafe-day', lines: [{ item: 'FLOUR-CASE', qty: 5 }] });
    await api('sales', 'POST', `/api/sales-orders/${shop.id}/reserve`, {});
    const s = await as('sales', 'documents.html#/sales-orders/new', LAPTOP);
    await s.page.locator('[data-testid=customer]').selectOption('cafe-day');
    await s.page.locator('[data-testid=line-item]').selectOption('MILK-1L');
    await s.page.locator('[data-testid=line-qty]').fill('20');
    await s.page.locator('[data-testid=create]').click();
    await waitStatus(s.page, '已确认');
    const counter = Number(await s.page.locator('[data-testid=document]').getAttribute('data-id'));
    await s.page.locator('[data-testid=action-reserve]').click();
    await waitStatus(s.page, '已预留');
    expect(s.errors).toEqual([]);

    const milkBefore = await onHand('MILK-1L');
    for (const id of [counter, shop.id as number]) {
      const { page, errors } = await as('warehouse', `documents.html#/sales-orders/${id}`);
      await page.locator('[data-testid=action-pick]').click();
      await waitStatus(page, '已拣货');
      const picks = await page.locator('[data-testid=pick-row]').evaluateAll((rs) => rs.map((r) => ({ item: r.getAttribute('data-item')!, lot: r.getAttribute('data-lot') })));
      expect(picks.length).toBeGreaterThan(0);
      if (id === counter) expect(picks[0]!.lot).toMatch(/^MK-A/); // FEFO: the milk that expires tomorrow goes first
      for (const p of picks) {
        // the case label of the lot picked, read by the clerk's scanner (items with a GTIN)
        const item = await api('viewer', 'GET', `/api/items/${p.item}`);
        if (!item.gtin) continue;
        await wedge(page, 'pick-scan', `]C101${String(item.gtin).padStart(14, '0')}10${p.lot ?? ''}${GS}`);
        await expect.poll(() => page.locator('[data-testid=pick-row].scanned').count(), { timeout: 10_000 }).toBeGreaterThan(0);
      }
      if (id === shop.id) {
        // the flour cases carry their GTIN: the pick of this morning's lot was confirmed by its scan
        expect(picks).toEqual([{ item: 'FLOUR-CASE', lot: 'L-MORNING' }]);
        expect(await page.locator('[data-testid=pick-scanned]').allTextContents()).toEqual(['✓']);
        await shot(page, 'day-pick-zh-CN-390x844');
      }
      await page.locator('[data-testid=action-ship]').click();
      await waitStatus(page, '已发货');
      expect(errors).toEqual([]);
    }
    expect(await onHand('MILK-1L')).toBe(milkBefore - 20);
    expect(await onHand('FLOUR-CASE')).toBe(35);
  }, 300_000);

  it('the butter bench is counted beside the live bench scale; finance approves the variance from its queue', async () => {
    const { page, errors } = await as('warehouse', 'documents.html#/count-sessions/new');
    await page.locator('[data-testid=count-location]').selectOption('B-07');
    await page.locator('[data-testid=create]').click();
    await page.locator('[data-testid=count-sheet]').waitFor({ timeout: 30_000 });
    const butter = page.locator('[data-testid=count-row][data-item=BUTTER-250]');
    const system = Number(await butter.locator('[data-testid=system]').textContent());
    // the bench scale weighs the bin all day (the demo's serial scale → gateway → bin_weighings)
    await butter.locator('[data-testid=use-scale]').click();
    expect(Number(await butter.locator('[data-testid=counted]').inputValue())).toBe(system);
    // one block found torn and thrown away: counted one less than the scale's figure
    await butter.locator('[data-testid=counted]').fill(String(system - 1));
    expect(await overflowX(page)).toBeLessThanOrEqual(0);
    await shot(page, 'day-count-zh-CN-390x844');
    await page.locator('[data-testid=count-sheet] [data-testid=action-submit]').click();
    await waitStatus(page, '待审批');
    const csId = Number(await page.locator('[data-testid=document]').getAttribute('data-id'));
    expect(errors).toEqual([]);

    const fin = await as('finance', 'tasks.html');
    const task = fin.page.locator(`[data-testid=task][data-action=approve][data-document="${csId}"]`);
    await task.waitFor({ timeout: 30_000 });
    await task.locator('[data-testid=task-open]').click();
    await fin.page.locator('[data-testid=action-approve]').click();
    await waitStatus(fin.page, '已审批');
    expect(await onHand('BUTTER-250')).toBe(system - 1);
    expect(fin.errors).toEqual([]);
  }, 240_000);

  it('QA releases a quarantined lot from its passport', async () => {
    const lots = await api('qa', 'GET', '/api/lots?item=CREAM-1L') as { id: number; code: string; status: string }[];
    const lot = lots.find((l) => l.status === 'available')!;
    await api('qa', 'POST', `/api/lots/${lot.id}/status`, { status: 'quarantined', reason: '送货车温度记录缺失，待查' });
    const { page, errors } = await as('qa', `lot-passport.html?lot=${lot.id}`);
    await page.locator('[data-testid=pp-status]', { hasText: /^隔离$/ }).waitFor({ timeout: 30_000 });
    await page.fill('#pp-reason', '供应商补交温度记录：全程 2–6 °C');
    await shot(page, 'day-release-zh-CN-390x844');
    await page.click('[data-testid=pp-qa] button[value=release]');
    await page.locator('[data-testid=pp-status]', { hasText: /^可用$/ }).waitFor({ timeout: 30_000 });
    expect((await api('qa', 'GET', `/api/lots/${lot.id}/history`)).at(-1)).toMatchObject({ to: 'available' });
    expect(errors).toEqual([]);
  }, 240_000);

  it('purchasing reorders flour on screen and finance approves it; the ledger verifies clean', async () => {
    const p = await as('purchasing', 'documents.html#/purchase-orders/new', LAPTOP);
    await p.page.locator('[data-testid=create-form]').waitFor({ timeout: 30_000 });
    await p.page.locator('[data-testid=supplier]').selectOption('MILL');
    await p.page.locator('[data-testid=line-item]').first().selectOption('FLOUR-T55');
    await p.page.locator('[data-testid=line-qty]').first().fill('1000');
    await p.page.locator('[data-testid=line-price]').first().fill('0.62');
    await p.page.locator('[data-testid=create]').click();
    await waitStatus(p.page, '草稿');
    const poId = Number(await p.page.locator('[data-testid=document]').getAttribute('data-id'));
    await p.page.locator('[data-testid=action-submit]').click();
    await waitStatus(p.page, '待审批');
    await shot(p.page, 'day-reorder-zh-CN-1600x900');
    expect(p.errors).toEqual([]);

    const fin = await as('finance', 'tasks.html', LAPTOP);
    const task = fin.page.locator(`[data-testid=task][data-action=approve][data-document="${poId}"]`);
    await task.waitFor({ timeout: 30_000 });
    await task.locator('[data-testid=task-open]').click();
    await fin.page.locator('[data-testid=action-approve]').click();
    await waitStatus(fin.page, '已审批');
    expect(fin.errors).toEqual([]);

    expect(await api('finance', 'GET', '/api/inventory/verify')).toMatchObject({ ok: true, differences: [] });
  }, 240_000);

  it('finance sees the stock value move: the delivery in at its PO price, the shipped cases out at cost', async () => {
    const { page, errors } = await as('finance', 'value.html');
    // 40 cases in at the PO's 14.50, 5 shipped at the average: 35 × 14.50 = 507.50 on the shelf
    const flour = page.locator('[data-testid=value-row][data-item=FLOUR-CASE]');
    await flour.waitFor({ timeout: 30_000 });
    expect(await flour.locator('[data-testid=value]').textContent()).toMatch(/507\.50/);
    const cogs = page.locator('[data-testid=cogs-row][data-item=FLOUR-CASE] [data-testid=cogs]');
    await cogs.first().waitFor({ timeout: 30_000 });
    expect(await cogs.first().textContent()).toMatch(/72\.50/);
    // the whole stock value moved by the day: + the delivery, − what left at cost (milk, flour,
    // the butter block written off); read from the same API the page shows
    const after = await totalValue();
    expect(after).not.toBe(totalBefore);
    expect((await page.locator('[data-testid=total-stock]').textContent())!.replace(/[,\s]/g, '')).toContain((after / 100).toFixed(2));
    expect(await overflowX(page)).toBeLessThanOrEqual(0);
    await shot(page, 'day-value-zh-CN-390x844');
    expect(errors).toEqual([]);
  }, 240_000);
});
