import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumOr, launchChromium } from '../../helpers/browser.ts';
import pino from 'pino';
import { startCloud, type Cloud } from '../../../cloud/cloud.ts';
import { cloudConfigFromEnv } from '../../../cloud/config.ts';
import { createApiToken } from '../../../cloud/auth/tokens.ts';
import { jobs as registered } from '../../../cloud/jobs/registry.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../edge/broker/embedded-broker.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';

// The dashboard's jobs panel in a real browser: every registered job is listed, Run runs the
// expiry sweep and the row shows its status and counts; a viewer's Run shows the refusal.

const ARTIFACTS = new URL('../../artifacts/', import.meta.url).pathname;
const haveChromium = chromiumOr('jobs panel browser test');

let tdb: TestDatabase;
let broker: EmbeddedBroker;
let cloud: Cloud;
let browser: Browser;

describe.runIf(haveChromium)(`jobs panel in chromium (${engineLabel})`, () => {
  beforeAll(async () => {
    tdb = await testDatabase();
    broker = await startEmbeddedBroker();
    const config = cloudConfigFromEnv({}, { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_URL: broker.url, STOCKPULSE_MQTT_ALERTS: 'false' });
    cloud = await startCloud({ config, log: pino({ level: 'silent' }), db: tdb.db, jobs: false });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await cloud?.stop();
    await broker?.close();
    await tdb?.cleanup();
  });

  it('lists the jobs; Run runs one and shows its status and counts', async () => {
    const { token } = await createApiToken(tdb.db, { role: 'admin', name: 'panel-admin' });
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${cloud.url}/?refresh=5s#token=${token}`);
    const rows = page.locator('[data-testid=job-row]');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(registered.length);
    const expiry = page.locator('[data-testid=job-row][data-job=expiry-sweep]');
    expect(await expiry.locator('[data-testid=job-status]').textContent()).toBe('never run');
    await expiry.locator('[data-testid=job-run]').click();
    await expect.poll(() => expiry.locator('[data-testid=job-status]').textContent(), { timeout: 20_000 }).toMatch(/^succeeded/);
    expect(await expiry.locator('[data-testid=job-counts]').textContent()).toBe('alerts raised 0 · digests 0 · lots expired 0 · lots near expiry 0');
    expect(await expiry.locator('[data-testid=job-message]').textContent()).toBe('ran: succeeded');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator('[data-testid=jobs-panel]').screenshot({ path: join(ARTIFACTS, `jobs-panel-${engineLabel}.png`) });
    expect(errors).toEqual([]);
  });

  it('a viewer sees the jobs, and the refusal when pressing Run', async () => {
    const { token } = await createApiToken(tdb.db, { role: 'viewer', name: 'panel-viewer' });
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(`${cloud.url}/?refresh=5s#token=${token}`);
    const expiry = page.locator('[data-testid=job-row][data-job=expiry-sweep]');
    await expiry.waitFor({ timeout: 20_000 });
    await expiry.locator('[data-testid=job-run]').click();
    await expect.poll(() => expiry.locator('[data-testid=job-message]').textContent(), { timeout: 10_000 }).toMatch(/^not run: /);
  });
});
