import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumOr, launchChromium } from '../helpers/browser.ts';
import { hashToken } from '../../cloud/auth/tokens.ts';
import { engineLabel } from '../helpers/db.ts';
import { registerGateway } from '../helpers/gateways.ts';
import { startUplinkRig, type UplinkRig } from './uplink-rig.ts';

// The dashboard's gateway panel in a real browser: an admin adds a gateway and sees its
// credential once (the one whose hash is stored), revokes another; other roles never see the panel.

const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const haveChromium = chromiumOr('gateways panel browser test');
let rig: UplinkRig;
let browser: Browser;

describe.runIf(haveChromium)(`gateways panel in chromium (${engineLabel})`, () => {
  beforeAll(async () => {
    rig = await startUplinkRig((tdb) => registerGateway(tdb.db, 'gw-old', { site: 'shop-0' }).then(() => undefined));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await rig?.stop();
  });

  it('add shows the credential once; revoke marks the row', async () => {
    const { token } = await rig.api('/api/tokens', { method: 'POST', body: { role: 'admin', name: 'panel-admin' } }).then((r) => r.json);
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${rig.cloud.url}/?refresh=5s#token=${token}`);
    const panel = page.locator('[data-testid=gateways-panel]');
    await panel.locator('[data-testid=gateway-row][data-gateway=gw-old]').waitFor({ timeout: 20_000 });

    await panel.locator('input[name=id]').fill('gw-new');
    await panel.locator('input[name=site]').fill('shop-1');
    await panel.locator('button[type=submit]').click();
    const shown = (await panel.locator('[data-testid=gateway-credential] code').textContent({ timeout: 10_000 }))!;
    expect((await rig.tdb.db.query<{ credential_hash: string }>(`SELECT credential_hash FROM gateway_registry WHERE id = 'gw-new'`))[0]!.credential_hash).toBe(hashToken(shown));
    await panel.locator('[data-testid=gateway-row][data-gateway=gw-new]').waitFor();

    await panel.locator('[data-testid=gateway-row][data-gateway=gw-old] [data-testid=gateway-revoke]').click();
    await expect.poll(() => panel.locator('[data-testid=gateway-row][data-gateway=gw-old]').textContent(), { timeout: 10_000 }).toMatch(/revoked/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await panel.screenshot({ path: join(ARTIFACTS, `gateways-panel-${engineLabel}.png`) });
    // a reload shows the list, never the credential again
    await page.reload();
    await panel.locator('[data-testid=gateway-row][data-gateway=gw-new]').waitFor({ timeout: 20_000 });
    expect(await page.content()).not.toContain(shown);
    expect(errors).toEqual([]);
  });

  it('hidden for every other role', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(`${rig.cloud.url}/?refresh=5s#token=${await rig.token('warehouse')}`);
    await page.locator('[data-testid=jobs-panel] [data-testid=job-row]').first().waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid=gateways-panel]').isHidden()).toBe(true);
  });
});
