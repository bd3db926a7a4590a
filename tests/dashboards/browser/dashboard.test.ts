import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumOr, launchChromium } from '../../helpers/browser.ts';
import pino from 'pino';
import { startDemoStack, type DemoStack } from '../../../bin/demo-stack.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';

// An operator's view in a real browser (Debian chromium driven by playwright-core): the
// dashboard of a running system shows zone panels with data, and an alert can be acknowledged.

const ARTIFACTS = new URL('../../artifacts/', import.meta.url).pathname;
const haveChromium = chromiumOr('browser test');

let tdb: TestDatabase;
let stack: DemoStack;
let browser: Browser;
let dataDir: string;

describe.runIf(haveChromium)(`dashboard in chromium (${engineLabel})`, () => {
  beforeAll(async () => {
    tdb = await testDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'sp-browser-'));
    stack = await startDemoStack({
      log: pino({ level: 'silent' }), httpPort: 0, mqttPort: 0, dataDir, db: tdb.db,
      publishMs: 250, timeScale: 3600, delaySec: 1, inbox: false,
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await tdb?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows zone panels with data and acknowledges an alert', async () => {
    // an alarm to acknowledge: the chiller's compressor dies
    stack.sim.setFault('chiller', 'compressor_failure', true);
    await waitFor(async () => {
      const r = await fetch(`${stack.url}/api/alerts?state=active`, { headers: { authorization: `Bearer ${stack.token}` } });
      return ((await r.json()) as unknown[]).length > 0;
    }, 'an active alert', 30_000);

    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${stack.url}/?range=15m&refresh=5s#token=${stack.token}`);

    const chiller = page.locator('[data-testid=zone-panel][data-zone=chiller]');
    await chiller.locator('[data-testid=panel-canvas-ready]').waitFor({ state: 'attached', timeout: 20_000 });
    // the panel redraws at each refresh; more than one point means a line, not a dot
    await expect.poll(async () => Number(await chiller.getAttribute('data-points')), { timeout: 20_000 }).toBeGreaterThan(1);
    await expect.poll(() => page.locator('[data-testid=zone-panel]').count()).toBe(2);

    const row = page.locator('[data-testid=alert-row]').filter({ has: page.locator('[data-testid=ack-button]') }).first();
    await row.waitFor({ timeout: 20_000 });
    const alertId = await row.getAttribute('data-alert-id');
    await row.locator('[data-testid=ack-button]').click();
    await page.locator(`[data-testid=alert-row][data-alert-id="${alertId}"] [data-testid=acked-by]`).waitFor({ timeout: 10_000 });

    const stored = await (await fetch(`${stack.url}/api/alerts?state=all`, { headers: { authorization: `Bearer ${stack.token}` } })).json() as { id: string; ackedBy: string | null }[];
    expect(stored.find((a) => a.id === alertId)?.ackedBy).toBeTruthy();

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `dashboard-${engineLabel}.png`) });
    expect(errors).toEqual([]);
  });
});
