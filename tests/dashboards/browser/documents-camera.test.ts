import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, chromiumOr } from '../../helpers/browser.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';
import { PHONE, barcode, ok, shot, y4mOf } from '../../helpers/documents-browser.ts';

// The phone camera path of the scan box, for real: Chromium's fake camera plays a Y4M frame of a
// bwip-js GS1-128 case label (--use-fake-device-for-media-stream --use-file-for-fake-video-capture),
// the page opens it with getUserMedia (rear camera), reads frames with zxing-wasm and fills the
// receipt line. The camera permission is granted to the page as a person would grant it.

const haveChromium = chromiumOr('documents camera browser test');
// the label PNG becomes camera frames through `convert FILE.png ppm:-` (ImageMagick)
const haveConvert = spawnSync('sh', ['-c', 'command -v convert'], { stdio: 'ignore' }).status === 0;
if (!haveConvert) console.warn('documents camera browser test skipped: no `convert` (apt-get install imagemagick) to turn the label into video frames');
let tdb: TestDatabase;
let f: ApiFixture;
let browser: Browser;
let url: string;
let dir: string;
let poId = 0;

describe.runIf(haveChromium && haveConvert)(`scan with the (fake) phone camera in chromium (${engineLabel})`, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sp-cam-'));
    const png = join(dir, 'label.png');
    writeFileSync(png, await barcode('gs1-128', '(01)09501101530003(17)270300(10)CAM-7'));
    const video = join(dir, 'label.y4m');
    writeFileSync(video, y4mOf(execFileSync('convert', [png, 'ppm:-'], { maxBuffer: 64 << 20 }), 1280, 720));
    tdb = await testDatabase();
    f = await apiFixture(tdb.db);
    url = await f.app.listen({ host: '127.0.0.1', port: 0 });
    await seedLocations(f);
    await seedItem(f, { sku: 'BUTTER', name: 'Butter', gtin: '09501101530003' });
    await ok(f.as('purchasing', 'POST', '/api/suppliers', { id: 'dairy', name: 'Alpine Dairy' }), 201);
    const po = await ok(f.as('purchasing', 'POST', '/api/purchase-orders', { supplier: 'dairy', lines: [{ item: 'BUTTER', qty: 5, priceMinor: 100 }] }), 201);
    poId = po.id;
    await ok(f.as('purchasing', 'POST', `/api/purchase-orders/${po.id}/submit`, {}));
    await ok(f.as('finance', 'POST', `/api/purchase-orders/${po.id}/approve`, {}));
    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await f?.close();
    await tdb?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the camera reads a GS1-128 case label and fills item, lot and expiry', async () => {
    const ctx = await browser.newContext({ viewport: PHONE, permissions: ['camera'] });
    await ctx.addInitScript((token) => { localStorage.setItem('stockpulse.token', token); localStorage.setItem('stockpulse.lang', 'en'); }, f.tokens.warehouse);
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/documents.html#/purchase-orders/${poId}`);
    await page.locator('[data-testid=receive-scan-camera]').click();
    await page.locator('[data-testid=receive-scan-status]', { hasText: /BUTTER: 1 received so far, lot CAM-7/ }).waitFor({ timeout: 90_000 });
    const row = page.locator('[data-testid=rcv-row][data-item=BUTTER]');
    expect(await row.locator('[data-testid=rcv-lot]').inputValue()).toBe('CAM-7');
    expect(await row.locator('[data-testid=rcv-expiry]').inputValue()).toBe('2027-03-31');
    // the camera stops after a good read (one scan, one case)
    expect(await page.locator('.scan-video').isHidden()).toBe(true);
    await row.scrollIntoViewIfNeeded();
    await shot(page, 'po-receive-camera-390x844');
    expect(errors).toEqual([]);
    await ctx.close();
  }, 240_000);
});
