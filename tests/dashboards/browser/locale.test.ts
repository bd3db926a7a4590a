import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import pino from 'pino';
import { chromiumOr, launchChromium } from '../../helpers/browser.ts';
import { startDemoStack, type DemoStack } from '../../../bin/demo-stack.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';

// An American and a Chinese browser on the same running dashboard: every time on the page
// (dashboard header clock, last update, alert times; the stock page's update time) reads 24 h, no AM/PM or 上午/下午 anywhere, and the
// page's own formatter (format.js, loaded by the page) follows navigator.language.

const haveChromium = chromiumOr('locale browser test');
const twelveHour = /\b(AM|PM)\b|上午|下午/;

let tdb: TestDatabase;
let stack: DemoStack;
let browser: Browser;
let dataDir: string;

describe.runIf(haveChromium)(`dates and times in the browser's locale, 24 h (${engineLabel})`, () => {
  beforeAll(async () => {
    tdb = await testDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'sp-locale-'));
    stack = await startDemoStack({
      log: pino({ level: 'silent' }), httpPort: 0, mqttPort: 0, dataDir, db: tdb.db,
      publishMs: 250, timeScale: 3600, delaySec: 1, inbox: false,
    });
    browser = await launchChromium();
    // an alert, so the alert list shows raised times
    stack.sim.setFault('chiller', 'compressor_failure', true);
    await waitFor(async () => {
      const r = await fetch(`${stack.url}/api/alerts?state=active`, { headers: { authorization: `Bearer ${stack.token}` } });
      return ((await r.json()) as unknown[]).length > 0;
    }, 'an active alert', 30_000);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await tdb?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([
    // the words around the times follow the language too (issue #14): "updated" / "更新于"
    ['en-US', 'Dec 5, 2026, 20:10', 'updated'],
    ['zh-CN', '2026年12月5日 20:10', '更新于'],
  ])('%s: the dashboard reads 24 h and the formatter follows the browser', async (locale, dateTime, updated) => {
    // an evening hour in the browser's zone, so a 12 h clock would show PM
    const context = await browser.newContext({ locale, timezoneId: 'Asia/Shanghai', viewport: { width: 1600, height: 900 } });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${stack.url}/?range=15m&refresh=5s#token=${stack.token}`);
      await page.locator('body[data-ready=true]').waitFor({ timeout: 20_000 });
      await page.locator('[data-testid=alert-row]').first().waitFor({ timeout: 20_000 });
      expect(await page.evaluate(() => navigator.language)).toBe(locale);

      expect(await page.locator('#clock').textContent()).toMatch(/^\d{2}:\d{2}:\d{2}$/);
      await expect.poll(() => page.locator('[data-testid=last-updated]').textContent(), { timeout: 10_000 }).toMatch(new RegExp(`^${updated} \\d{2}:\\d{2}:\\d{2} `));
      const raised = await page.locator('[data-testid=alert-row] .ar-times b').first().textContent();
      expect(raised).toMatch(/\d{2}:\d{2}/);
      expect(await page.locator('body').innerText()).not.toMatch(twelveHour);

      // the module the page uses, in this browser: 20:10 local reads 20:10, dates with the month in words
      // (a string, so the test runner's transform leaves the browser's dynamic import alone)
      const shown = await page.evaluate(`(async () => {
        const f = await import('/format.js');
        const evening = new Date(2026, 11, 5, 20, 10, 18).getTime();
        return { locale: f.currentLocale(), clock: f.fmtClock(evening), dateTime: f.fmtDateTime(evening), axis: f.fmtAxisTime(evening, 86400) };
      })()`);
      expect(shown).toEqual({ locale, clock: '20:10:18', dateTime, axis: '2026-12-05' });

      // the stock page (its "updated" time was toLocaleTimeString: 8:10:18 PM in en-US)
      await page.goto(`${stack.url}/stock.html#token=${stack.token}`);
      await expect.poll(() => page.locator('[data-testid=stock-updated]').textContent(), { timeout: 15_000 }).toMatch(new RegExp(`^${updated} \\d{2}:\\d{2}:\\d{2}$`));
      expect(await page.locator('body').innerText()).not.toMatch(twelveHour);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
