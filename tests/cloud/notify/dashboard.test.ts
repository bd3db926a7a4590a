import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumOr, launchChromium } from '../../helpers/browser.ts';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../../cloud/api/server.ts';
import { createCloudMetrics } from '../../../cloud/metrics.ts';
import { createApiToken } from '../../../cloud/auth/tokens.ts';
import { NotificationDispatcher } from '../../../cloud/notify/dispatcher.ts';
import { escalationPass } from '../../../cloud/notify/escalation.ts';
import { createContact, createRoute } from '../../../cloud/notify/contacts.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/net.ts';
import { insertAlert } from '../../helpers/notify-fixture.ts';

// The operator's view in a real browser: under each alert the dashboard says who was told on
// which channel and whether it arrived; the notifications panel lists the deliveries with their
// errors; acknowledging from the dashboard closes the escalation (no more reminders).

const haveChromium = chromiumOr('notifications dashboard test');

const T = Date.parse('2026-03-01T08:00:00Z');
const at = (min: number) => new Date(T + min * 60_000);

let tdb: TestDatabase;
let app: FastifyInstance;
let url: string;
let token: string;
let browser: Browser;
let ok: WebhookReceiver;
let down: WebhookReceiver;

describe.runIf(haveChromium)(`notifications on the dashboard (${engineLabel})`, () => {
  beforeAll(async () => {
    tdb = await testDatabase();
    app = await buildApi({ db: tdb.db, log: pino({ level: 'silent' }), metrics: createCloudMetrics(), mqttConnected: () => true });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    token = (await createApiToken(tdb.db, { role: 'qa', name: 'inspector' })).token;
    [ok, down] = await Promise.all([startWebhookReceiver(), startWebhookReceiver()]);
    down.status = 503;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([ok?.close(), down?.close()]);
    await app?.close();
    await tdb?.cleanup();
  });

  it('shows who was notified per alert, failed deliveries with their error, and acks from the dashboard', async () => {
    const alice = await createContact(tdb.db, { name: 'alice', role: 'qa', channels: [{ type: 'webhook', address: ok.url }, { type: 'slack', address: `${down.url}/services/T/B/x` }], active: true });
    await createRoute(tdb.db, { name: 'chiller', zone: 'chiller', contactIds: [alice.id], repeatEveryMin: 5, enabled: true });
    await insertAlert(tdb.db, { id: 'dash-alert', zone: 'chiller', rule: 'high', severity: 'critical', message: 'Chiller above 8 °C', raisedAt: new Date() });
    const d = new NotificationDispatcher({ db: tdb.db, log: pino({ level: 'silent' }), escalation: false, maxAttempts: 1 });
    await escalationPass(tdb.db, at(0));
    await d.pass();

    const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/?refresh=5s#token=${token}`);
    const line = page.locator('[data-testid=alert-row][data-alert-id=dash-alert] [data-testid=alert-notified]');
    await expect.poll(() => line.textContent(), { timeout: 20_000 }).toBe('notified: alice ✓ webhook ✗ slack');
    const rows = page.locator('[data-testid=delivery-row]');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await page.locator('[data-testid=delivery-row][data-status=failed]').textContent()).toContain('slack answered HTTP 503');

    await page.locator('[data-testid=alert-row][data-alert-id=dash-alert] [data-testid=ack-button]').click();
    await page.locator('[data-testid=alert-row][data-alert-id=dash-alert] [data-testid=acked-by]').filter({ hasText: '✓' }).waitFor({ timeout: 10_000 });
    expect(await escalationPass(tdb.db, at(10))).toMatchObject({ closed: 1, reminders: 0, messages: 0 });
    await d.stop();
    expect(errors).toEqual([]);
  });
});
