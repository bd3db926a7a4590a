import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Route } from 'playwright-core';
import pino from 'pino';
import { chromiumOr, launchChromium } from '../../helpers/browser.ts';
import { startDemoStack, type DemoStack } from '../../../bin/demo-stack.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { waitFor } from '../../helpers/net.ts';
import { unchangedFor } from '../../helpers/pause.ts';

// The zone charts as an operator uses them, in a real chromium on a running demo (real MQTT,
// real database, real readings): drag to zoom, reset, the floating tooltip against the API's
// own buckets, the crosshair shared between panels, the CSV against the API, the window and
// the zone filter from the URL, and auto refresh Off meaning no polling while live events still
// move the charts.

const SHOTS = new URL('../../../docs/screenshots/', import.meta.url).pathname;
const haveChromium = chromiumOr('charts browser test');

interface Point { ts: number; avg: number; min: number; max: number }

let tdb: TestDatabase;
let stack: DemoStack;
let browser: Browser;
let dataDir: string;

const auth = () => ({ authorization: `Bearer ${stack.token}` });
async function readings(sensor: string, from: number, to: number, bucket: number): Promise<{ bucket: number; points: Point[] }> {
  const r = await fetch(`${stack.url}/api/readings?sensor=${sensor}&from=${from}&to=${to}&bucket=${bucket}`, { headers: auth() });
  expect(r.status).toBe(200);
  return r.json() as Promise<{ bucket: number; points: Point[] }>;
}

async function open(path: string, viewport = { width: 1600, height: 900 }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport, acceptDownloads: true });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${stack.url}${path}#token=${stack.token}`);
  await page.locator('body[data-ready=true]').waitFor({ timeout: 30_000 });
  return { page, errors };
}

const panel = (page: Page, zone: string) => page.locator(`[data-testid=zone-panel][data-zone=${zone}]`);
const num = async (page: Page, zone: string, attr: string) => Number(await panel(page, zone).getAttribute(`data-${attr}`));
/** the plot area (uPlot's .u-over) of a zone's chart */
const plotBox = async (page: Page, zone: string) => (await panel(page, zone).locator('.u-over').boundingBox())!;
const noSidewaysScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

describe.runIf(haveChromium)(`zone charts in chromium (${engineLabel})`, () => {
  beforeAll(async () => {
    tdb = await testDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'sp-charts-'));
    stack = await startDemoStack({
      log: pino({ level: 'silent' }), httpPort: 0, mqttPort: 0, dataDir, db: tdb.db,
      publishMs: 250, timeScale: 3600, delaySec: 1, inbox: false,
    });
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
    // some seconds of readings from both rooms before anyone looks
    await waitFor(async () => {
      const r = await fetch(`${stack.url}/api/zones`, { headers: auth() });
      const zones = (await r.json()) as { id: string; firstTs?: number }[];
      const first = Math.max(...zones.filter((z) => z.id === 'chiller' || z.id === 'freezer').map((z) => z.firstTs ?? Infinity));
      return Number.isFinite(first) && Date.now() - first > 30_000;
    }, '30 s of readings in both rooms (the drag-zoom below selects the last 24 s of a 1 min window)', 90_000);
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await tdb?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('a young site opens on the span of its data (15 min), not 6 h', async () => {
    const { page, errors } = await open('/?refresh=off');
    const w = page.locator('[data-testid=time-window]');
    await expect.poll(async () => w.getAttribute('data-live')).toBe('true');
    // both ends in one read: the live window slides between two (CI's PostgreSQL run read 899 664)
    const span = await w.evaluate((el: HTMLElement) => Number(el.dataset.to) - Number(el.dataset.from));
    expect(span).toBe(15 * 60_000);
    await expect.poll(() => num(page, 'chiller', 'points')).toBeGreaterThan(1);
    // the panel's view, its two ends in one read too (two reads saw 898 679 in CI's PostgreSQL run)
    expect(await panel(page, 'chiller').evaluate((el: HTMLElement) => Number(el.dataset.viewTo) - Number(el.dataset.viewFrom))).toBe(15 * 60_000);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('drag-zoom narrows every panel and the URL; the tooltip shows the bucket min/max the API gives; the crosshair follows on the other panel; Reset restores', async () => {
    const { page, errors } = await open('/?range=1m&refresh=off');
    await expect.poll(() => num(page, 'chiller', 'points'), { timeout: 20_000 }).toBeGreaterThan(10);
    await page.screenshot({ path: join(SHOTS, 'charts-1600x900.png') });
    const before = { from: await num(page, 'chiller', 'axis-from'), to: await num(page, 'chiller', 'axis-to') };
    expect(before.to - before.from).toBeGreaterThan(55_000);

    // drag across the newest part of the chiller's plot (0.55–0.95: the data of a young stack)
    const [a, b] = [0.55, 0.95];
    const box = await plotBox(page, 'chiller');
    before.from = await num(page, 'chiller', 'axis-from');
    before.to = await num(page, 'chiller', 'axis-to');
    const y = box.y + box.height / 2;
    const entries = await page.evaluate(() => history.length);
    await page.mouse.move(box.x + box.width * a, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * b, y, { steps: 8 });
    await page.mouse.up();

    await expect.poll(() => new URL(page.url()).searchParams.get('from')).not.toBeNull();
    const url = new URL(page.url()).searchParams;
    const from = Date.parse(url.get('from')!), to = Date.parse(url.get('to')!);
    expect(url.get('range')).toBeNull();
    // one drag is one history entry, whichever panel it was on (the panels are cursor-synced)
    expect(await page.evaluate(() => history.length)).toBe(entries + 1);
    // the window is the dragged half of the old one (within a few pixels); the live window may
    // have slid by a live update or two (a few seconds) while the mouse moved
    const px = (before.to - before.from) / box.width;
    expect(Math.abs((to - from) - (before.to - before.from) * (b - a))).toBeLessThan(3 * px);
    expect(from - (before.from + (before.to - before.from) * a)).toBeGreaterThan(-3 * px);
    expect(from - (before.from + (before.to - before.from) * a)).toBeLessThan(10_000);
    // both panels' axes moved there, at one bucket
    for (const z of ['chiller', 'freezer']) {
      await expect.poll(() => num(page, z, 'axis-from')).toBe(from);
      expect(await num(page, z, 'axis-to')).toBe(to);
    }
    expect(await num(page, 'chiller', 'bucket')).toBe(await num(page, 'freezer', 'bucket'));
    await expect.poll(() => num(page, 'chiller', 'points')).toBeGreaterThan(5);
    await page.screenshot({ path: join(SHOTS, 'charts-zoomed.png') });

    // hover the middle of the zoomed chiller plot: a floating tooltip with min/max of that bucket
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.4);
    const tip = page.locator('[data-testid=chart-tooltip]:visible');
    await tip.waitFor({ state: 'visible' });
    const ts = Number(await tip.locator('.tip-time').getAttribute('data-ts'));
    const row = tip.locator('.tip-row').first();
    const sensor = (await row.getAttribute('data-sensor'))!;
    const shown = { min: Number(await row.getAttribute('data-min')), max: Number(await row.getAttribute('data-max')) };
    expect(await row.locator('[data-role=min]').textContent()).toMatch(/\d/);
    expect(await row.textContent()).toMatch(/°C/);
    const api = await readings(sensor, await num(page, 'chiller', 'from'), await num(page, 'chiller', 'to'), await num(page, 'chiller', 'bucket'));
    const bucket = api.points.find((p) => p.ts === ts);
    expect(bucket, `the API has the bucket at ${ts}`).toBeDefined();
    expect(shown).toEqual({ min: bucket!.min, max: bucket!.max });
    // the crosshair on the freezer panel, at the same place
    const cross = panel(page, 'freezer').locator('.u-cursor-x');
    await expect.poll(async () => cross.evaluate((el) => !el.classList.contains('u-off') && /translate/.test(el.style.transform))).toBe(true);
    const crossX = await cross.evaluate((el) => el.getBoundingClientRect().left);
    const freezerBox = await plotBox(page, 'freezer');
    expect(Math.abs(crossX - (freezerBox.x + freezerBox.width * 0.5))).toBeLessThan(3);
    await page.screenshot({ path: join(SHOTS, 'charts-tooltip.png') });

    // legend: last/min/max over the view, and what the shading means
    const legend = panel(page, 'chiller').locator('[data-testid=panel-legend]');
    await expect.poll(async () => legend.textContent()).toMatch(/last .*min .*max/s);
    expect(await legend.textContent()).toMatch(/acceptable/);

    // Reset: back to the last minute, live
    await page.mouse.move(0, 0);
    await page.locator('[data-testid=zoom-reset]').click();
    await expect.poll(() => new URL(page.url()).searchParams.get('range')).toBe('1m');
    await expect.poll(async () => (await num(page, 'chiller', 'axis-to')) - (await num(page, 'chiller', 'axis-from'))).toBe(60_000);
    // Back undoes the Reset (the zoomed window again)
    await page.goBack();
    await expect.poll(() => num(page, 'chiller', 'axis-from')).toBe(from);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('Back and Forward at once on a slow link: the late answer for the window left behind does not replace the one the URL says', async () => {
    const { page, errors } = await open('/?range=1m&refresh=off');
    await expect.poll(() => num(page, 'chiller', 'points'), { timeout: 20_000 }).toBeGreaterThan(10);
    // zoom into the older half (a history entry)
    const box = await plotBox(page, 'chiller');
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.2, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, y, { steps: 8 });
    await page.mouse.up();
    await expect.poll(() => new URL(page.url()).searchParams.get('from')).not.toBeNull();
    const zoomed = new URL(page.url()).searchParams;
    const from = Date.parse(zoomed.get('from')!), to = Date.parse(zoomed.get('to')!);
    await expect.poll(() => num(page, 'chiller', 'axis-from')).toBe(from);
    await page.mouse.move(0, 0);

    // from now on the live window's readings are held (a slow link); the zoomed window's answer at once
    const held: Route[] = [];
    await page.route(/\/api\/readings\?/, (route) => {
      const q = new URL(route.request().url()).searchParams;
      if (Number(q.get('to')) <= to) return route.continue();
      held.push(route);
    });
    // Back to the live minute (its answers held), then Forward to the zoomed window at once
    const live = () => new URL(page.url()).searchParams.get('from') === null;
    // one Back undoes one drag-zoom
    await page.goBack();
    await expect.poll(live, { message: 'one Back reaches the live minute' }).toBe(true);
    await expect.poll(() => held.length).toBeGreaterThan(0);
    await page.goForward();
    await expect.poll(() => new URL(page.url()).searchParams.get('from')).toBe(zoomed.get('from'));
    await expect.poll(() => num(page, 'chiller', 'axis-from')).toBe(from);
    // now the live minute's answers arrive, late
    const arrived = held.map((r) => page.waitForResponse((res) => res.request() === r.request()));
    await Promise.all(held.map((r) => r.continue()));
    await Promise.all(arrived);
    await unchangedFor(1_000, () => num(page, 'chiller', 'axis-from'), 'the zoomed window after the late answers');
    for (const z of ['chiller', 'freezer']) {
      expect(await num(page, z, 'axis-from'), `${z}: the window the URL says`).toBe(from);
      expect(await num(page, z, 'axis-to')).toBe(to);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('auto refresh Off: no /api/zones polling, yet live events move the charts', async () => {
    const { page, errors } = await open('/?range=1m&refresh=off');
    await expect.poll(() => num(page, 'chiller', 'points'), { timeout: 20_000 }).toBeGreaterThan(5);
    let zonesCalls = 0, readingsCalls = 0;
    page.on('request', (r) => {
      const p = new URL(r.url()).pathname;
      if (p === '/api/zones') zonesCalls++;
      if (p === '/api/readings') readingsCalls++;
    });
    const updates = async () => Number(await page.evaluate(() => document.body.dataset.liveUpdates ?? 0));
    const u0 = await updates();
    const to0 = await num(page, 'chiller', 'axis-to');
    // three live updates (at most one per 2 s): several seconds with the stream on
    await expect.poll(updates, { timeout: 20_000 }).toBeGreaterThanOrEqual(u0 + 3);
    expect(zonesCalls).toBe(0);
    expect(readingsCalls).toBeGreaterThan(0);
    expect(await num(page, 'chiller', 'axis-to')).toBeGreaterThan(to0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('an absolute window and a zone filter from the URL; the CSV holds what the API gives', async () => {
    const to = Date.now() - 2_000, from = to - 8_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    const { page, errors } = await open(`/?from=${iso(from)}&to=${iso(to)}&zone=freezer&refresh=off`);
    await expect.poll(() => page.locator('[data-testid=zone-panel]').count()).toBe(1);
    await expect(panel(page, 'freezer').count()).resolves.toBe(1);
    await expect.poll(() => num(page, 'freezer', 'axis-from')).toBe(from);
    expect(await num(page, 'freezer', 'axis-to')).toBe(to);
    await expect.poll(() => num(page, 'freezer', 'points')).toBeGreaterThan(3);

    const [download] = await Promise.all([page.waitForEvent('download'), panel(page, 'freezer').locator('[data-testid=panel-csv]').click()]);
    expect(download.suggestedFilename()).toMatch(/^freezer_\d{4}-\d\d-\d\dT\d\d-\d\dZ_\d{4}-\d\d-\d\dT\d\d-\d\dZ\.csv$/);
    const lines = readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    const head = lines[0]!.split(',');
    expect(head[0]).toBe('time (UTC)');
    expect(head[1]).toMatch(/ \(°C\)$/);
    const sensors = head.slice(1).filter((_, i) => i % 3 === 0).map((h) => h.replace(/ \(°C\)$/, ''));
    const bucket = await num(page, 'freezer', 'bucket');
    // the panel's own query (the window aligned on its bucket)
    const [qFrom, qTo] = [await num(page, 'freezer', 'from'), await num(page, 'freezer', 'to')];
    const apis = await Promise.all(sensors.map((s) => readings(s, qFrom, qTo, bucket)));
    const expected = new Map<number, (number | string)[]>();
    apis.forEach((a, i) => {
      for (const p of a.points) {
        const row = expected.get(p.ts) ?? new Array(sensors.length * 3).fill('');
        row.splice(3 * i, 3, p.avg, p.min, p.max);
        expected.set(p.ts, row);
      }
    });
    const want = [...expected.keys()].sort((a, b) => a - b).map((ts) => [new Date(ts).toISOString(), ...expected.get(ts)!.map(String)].join(','));
    expect(lines.slice(1)).toEqual(want);
    expect(want.length).toBeGreaterThan(3);

    // the picker: type a window (ISO order, 24 h, local time), Apply → URL and axis follow
    await page.locator('[data-testid=abs-toggle]').click();
    // the picker's own form: local wall time, seconds only when not zero
    const local = (ms: number) => page.evaluate((m) => {
      const iso = new Date(m - new Date(m).getTimezoneOffset() * 60_000).toISOString();
      return (iso.slice(17, 19) === '00' ? iso.slice(0, 16) : iso.slice(0, 19)).replace('T', ' ');
    }, ms);
    expect(await page.locator('[data-testid=abs-from]').inputValue()).toBe(await local(from));
    const a = Math.floor((Date.now() - 120_000) / 1000) * 1000, b = a + 60_000;
    await page.locator('[data-testid=abs-from]').fill('2026-02-31 10:00');
    await page.locator('[data-testid=abs-to]').fill(await local(b));
    await page.locator('[data-testid=abs-apply]').click();
    await expect.poll(() => page.locator('[data-testid=abs-form] [role=alert]').textContent()).toMatch(/^From:/);
    await page.locator('[data-testid=abs-from]').fill(await local(a));
    await page.screenshot({ path: join(SHOTS, 'charts-picker.png') });
    await page.locator('[data-testid=abs-apply]').click();
    await expect.poll(() => new URL(page.url()).searchParams.get('from')).toBe(new Date(a).toISOString());
    expect(new URL(page.url()).searchParams.get('to')).toBe(new Date(b).toISOString());
    await expect.poll(() => num(page, 'freezer', 'axis-from')).toBe(a);
    expect(await num(page, 'freezer', 'axis-to')).toBe(b);
    expect(new URL(page.url()).searchParams.getAll('zone')).toEqual(['freezer']);
    // the zone filter: add the chiller back from the Zones menu
    await page.locator('[data-testid=zone-filter-toggle]').click();
    await page.locator('[data-testid=zone-filter] button[data-zone=chiller]').click();
    await expect.poll(() => page.locator('[data-testid=zone-panel]').count()).toBe(2);
    expect(new URL(page.url()).searchParams.getAll('zone').sort()).toEqual(['chiller', 'freezer']);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('phone 390×844 and wall 1600×900: no sideways scroll, 44 px controls, tooltip inside the screen, full screen and back', async () => {
    for (const viewport of [{ width: 1600, height: 900 }, { width: 390, height: 844 }]) {
      const { page, errors } = await open('/?range=1m&refresh=off', viewport);
      await expect.poll(() => num(page, 'chiller', 'points'), { timeout: 20_000 }).toBeGreaterThan(5);
      expect(await noSidewaysScroll(page)).toBe(true);
      if (viewport.width < 700) {
        const sizes = await page.locator('.time-bar button, .time-bar summary, .time-bar select, .panel-tools button').evaluateAll((els) =>
          els.filter((e) => (e as HTMLElement).offsetParent).map((e) => { const r = e.getBoundingClientRect(); return { w: r.width, h: r.height, t: e.textContent }; }));
        expect(sizes.length).toBeGreaterThan(8);
        for (const s of sizes) expect(s, `tap target ${s.t}`).toMatchObject({ h: expect.any(Number) }), expect(Math.min(s.w, s.h)).toBeGreaterThanOrEqual(44);
        // one column: the panels are stacked
        const [a, b] = [await panel(page, 'chiller').boundingBox(), await panel(page, 'freezer').boundingBox()];
        expect(Math.abs(a!.x - b!.x)).toBeLessThan(1);
        await page.screenshot({ path: join(SHOTS, 'charts-390x844.png') });
      }
      // the tooltip at the plot's right edge stays on screen
      await panel(page, 'chiller').scrollIntoViewIfNeeded();
      const box = await plotBox(page, 'chiller');
      await page.mouse.move(box.x + box.width - 3, box.y + box.height - 3);
      const tip = page.locator('[data-testid=chart-tooltip]:visible');
      await tip.waitFor({ state: 'visible' });
      const t = (await tip.boundingBox())!;
      expect(t.x).toBeGreaterThanOrEqual(0);
      expect(t.y).toBeGreaterThanOrEqual(0);
      expect(t.x + t.width).toBeLessThanOrEqual(viewport.width);
      expect(t.y + t.height).toBeLessThanOrEqual(viewport.height);
      if (viewport.width < 700) await page.screenshot({ path: join(SHOTS, 'charts-390x844-tooltip.png') });
      expect(await noSidewaysScroll(page)).toBe(true);

      // full screen and Esc back
      await page.mouse.move(0, 0);
      await panel(page, 'freezer').locator('[data-testid=panel-full]').click();
      await expect.poll(() => new URL(page.url()).searchParams.get('full')).toBe('freezer');
      const full = (await panel(page, 'freezer').boundingBox())!;
      expect(full.width).toBeGreaterThanOrEqual(viewport.width - 1);
      expect(full.height).toBeGreaterThanOrEqual(viewport.height - 1);
      await page.keyboard.press('Escape');
      await expect.poll(() => new URL(page.url()).searchParams.get('full')).toBeNull();
      await expect.poll(async () => (await panel(page, 'freezer').boundingBox())!.height).toBeLessThan(viewport.height - 100);
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('the readings API refuses a window that ends before it starts or spans more than its cap, naming the field', async () => {
    const now = Date.now();
    const bad = async (q: string) => {
      const r = await fetch(`${stack.url}/api/readings?sensor=chiller-t1&${q}`, { headers: auth() });
      return { status: r.status, body: (await r.json()) as { code: string; details: { field: string }[] } };
    };
    const reversed = await bad(`from=${now}&to=${now - 1000}&bucket=60`);
    expect(reversed.status).toBe(400);
    expect(reversed.body.code).toBe('SP_ERR_VALIDATION');
    expect(reversed.body.details[0]?.field).toBe('querystring.from');
    const huge = await bad(`from=${now - 500 * 86400_000}&to=${now}&bucket=86400`);
    expect(huge.status).toBe(400);
    expect(huge.body.details[0]?.field).toBe('querystring.to');
  });
});
