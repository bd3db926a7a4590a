import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumOr, launchChromium } from '../../helpers/browser.ts';
import { runExposure } from '../../../cloud/rules/exposure/run.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, type ApiFixture } from '../../helpers/inventory-fixture.ts';
import { HOUR, MIN, iotZone, jobContext, readings, withWindows } from '../../helpers/exposure-history.ts';

// The lot passport page in a real browser (Debian chromium via playwright-core): a lot that sat
// through a chiller excursion shows its chart (uPlot canvas from the dashboard's chart helper),
// summary, the excursion and the quarantine evidence; QA releases it from the page.

const ARTIFACTS = new URL('../../artifacts/', import.meta.url).pathname;
const haveChromium = chromiumOr('lot passport browser test');

let tdb: TestDatabase;
let f: ApiFixture;
let browser: Browser;
let url: string;
let lotId = 0;
// the page asks for the passport up to now: a history ending a little before now
const T0 = Math.floor(Date.now() / MIN) * MIN - 12 * HOUR;

describe.runIf(haveChromium)(`lot passport page in chromium (${engineLabel})`, () => {
  beforeAll(async () => {
    tdb = await testDatabase();
    f = await apiFixture(tdb.db);
    url = await f.app.listen({ host: '127.0.0.1', port: 0 });
    for (const l of [
      { id: 'site-1', kind: 'site', name: 'Bakery' },
      { id: 'chiller', kind: 'zone', parent: 'site-1', name: 'Chiller', iotZone: 'chiller', tempLow: 2, tempHigh: 8 },
    ]) await f.as('warehouse', 'POST', '/api/locations', l);
    await seedItem(f, { sku: 'CREAM', name: 'Cream', lotTracked: true, storageProfile: 'chilled' });
    lotId = (await f.as('warehouse', 'POST', '/api/lots', { item: 'CREAM', code: 'CR-7' })).json.id;
    await f.as('warehouse', 'POST', '/api/movements', { kind: 'receipt', item: 'CREAM', lot: 'CR-7', to: 'chiller', qty: 12, at: new Date(T0).toISOString() });
    await iotZone(tdb.db, 'chiller', ['chiller-t1']);
    await readings(tdb.db, 'chiller-t1', 'chiller', T0, T0 + 12 * HOUR, MIN, withWindows(4, [{ from: T0 + 5 * HOUR, to: T0 + 6 * HOUR, value: 10.5 }]));
    await runExposure(jobContext(tdb.db, T0 + 12 * HOUR));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await f?.close();
    await tdb?.cleanup();
  });

  it('shows the chart, summary, excursion and evidence; QA releases from the page', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/lot-passport.html?lot=${lotId}#token=${f.tokens.qa}`);

    await page.locator('[data-testid=pp-evidence-item]').first().waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid=pp-title]').textContent()).toBe('CREAM · lot CR-7 · profile chilled');
    expect(await page.locator('[data-testid=pp-chart] canvas').count()).toBe(1);
    expect((await page.locator('[data-testid=pp-above] td').textContent())?.trim()).toBe('60 min');
    expect((await page.locator('[data-testid=pp-max-min] td').textContent())?.trim()).toBe('10.5 °C / 4.0 °C');
    const exc = (await page.locator('[data-testid=pp-excursion] td').allTextContents()).map((s) => s.trim());
    expect(exc[0]).toBe('chiller-t1');
    expect(exc[3]).toBe('60');
    expect(await page.locator('[data-testid=pp-evidence-item]').textContent()).toMatch(/single high · chiller\/chiller-t1 .* 60 min · max 10\.5 °C · quarantined the lot/);
    expect((await page.locator('[data-testid=pp-status]').textContent())?.trim()).toBe('quarantined');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'lot-passport.png'), fullPage: true });

    await page.fill('#pp-reason', 'core temperature checked: 5 °C');
    await page.click('[data-testid=pp-qa] button[value=release]');
    await page.locator('[data-testid=pp-status]', { hasText: 'available' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid=pp-qa]').isHidden()).toBe(true);
    expect((await f.as('qa', 'GET', `/api/lots/${lotId}/history`)).json.at(-1)).toMatchObject({ to: 'available', reason: 'QA release: core temperature checked: 5 °C' });

    // issue #14: the switch in the header turns the whole passport Chinese, without a reload
    await page.locator('[data-testid=lang-switch]').selectOption('zh-CN');
    await expect.poll(async () => page.locator('[data-testid=pp-title]').textContent()).toBe('CREAM · 批次 CR-7 · 储存条件 chilled');
    expect((await page.locator('[data-testid=pp-above] th').textContent())?.trim()).toBe('高于上限');
    expect((await page.locator('[data-testid=pp-above] td').textContent())?.trim()).toBe('60 分钟');
    expect((await page.locator('[data-testid=pp-status]').textContent())?.trim()).toBe('可用');
    expect(await page.locator('[data-testid=pp-evidence-item]').textContent()).toMatch(/单次超温 · chiller\/chiller-t1 .* 60 分钟 · 最高 10\.5 °C · 已隔离该批次/);
    expect(await page.locator('h1').textContent()).toBe('stockpulse · 批次温度履历');
    expect(await page.locator('button[value=release]').textContent()).toBe('放行');
    await page.screenshot({ path: join(ARTIFACTS, 'lot-passport-zh-CN.png'), fullPage: true });
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(`${url}/lot-passport.html?lot=${lotId}&lang=zh-CN#token=${f.tokens.qa}`);
    await phone.locator('[data-testid=pp-evidence-item]').first().waitFor({ timeout: 20_000 });
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await phone.screenshot({ path: join(ARTIFACTS, 'lot-passport-zh-CN-390x844.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
