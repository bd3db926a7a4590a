import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import bwipjs from 'bwip-js';
import type { Browser, Page } from 'playwright-core';
import type { Role } from '../../cloud/auth/permissions.ts';
import type { ApiFixture } from './inventory-fixture.ts';

// What the document journeys share: a page signed in as a role (token and language put in
// localStorage before the page runs, as the sign-in box would), screenshots into docs/screenshots/,
// and real barcode images made by bwip-js (the same symbols a label printer makes).

export const SHOTS = new URL('../../docs/screenshots/', import.meta.url).pathname;
export const PHONE = { width: 390, height: 844 };
export const LAPTOP = { width: 1600, height: 900 };

export async function ok(r: Promise<{ status: number; json: any }>, want = 200) {
  const res = await r;
  if (res.status !== want) throw new Error(`${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
}

export interface RolePage { page: Page; errors: string[]; close(): Promise<void> }

export async function openAs(browser: Browser, f: Pick<ApiFixture, 'tokens'>, base: string, role: Role, path: string,
  o: { viewport?: { width: number; height: number }; lang?: 'en' | 'zh-CN' } = {}): Promise<RolePage> {
  const ctx = await browser.newContext({ viewport: o.viewport ?? LAPTOP, locale: o.lang ?? 'en' });
  await ctx.addInitScript(([token, lang]) => {
    localStorage.setItem('stockpulse.token', token);
    localStorage.setItem('stockpulse.lang', lang);
  }, [f.tokens[role], o.lang ?? 'en'] as const);
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });
  await page.goto(`${base}/${path}`);
  return { page, errors, close: () => ctx.close() };
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

/** no sideways scroll: the page is no wider than the viewport */
export async function overflowX(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** a PNG of a GS1 symbol; text in bracketed form, e.g. "(01)09501101530003(17)270300(10)L1" */
export function barcode(bcid: 'gs1-128' | 'gs1datamatrix' | 'ean13' | 'qrcode', text: string): Promise<Buffer> {
  return bwipjs.toBuffer({ bcid, text, scale: 3, ...(bcid === 'gs1-128' || bcid === 'ean13' ? { height: 12 } : {}), paddingwidth: 10, paddingheight: 10, backgroundcolor: 'FFFFFF' });
}

/**
 * A camera's view of a label as a Y4M file, for Chromium's fake camera
 * (--use-file-for-fake-video-capture): the PNG decoded to RGB (the `convert FILE.png ppm:-` on
 * this machine), centred on a white 640×480 frame, turned into 4:2:0 YUV (BT.601).
 */
export function y4mOf(ppm: Buffer, W = 640, H = 480): Buffer {
  const header = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(ppm.subarray(0, 50).toString('latin1'));
  if (!header) throw new Error('not a binary PPM (P6)');
  const [all, w, h] = [header[0], Number(header[1]), Number(header[2])];
  const rgb = ppm.subarray(Buffer.byteLength(all, 'latin1'));
  if (w > W || h > H) throw new Error(`label ${w}×${h} is larger than the ${W}×${H} frame`);
  const x0 = Math.floor((W - w) / 2), y0 = Math.floor((H - h) / 2);
  const Y = Buffer.alloc(W * H, 235), U = Buffer.alloc((W / 2) * (H / 2), 128), V = Buffer.alloc((W / 2) * (H / 2), 128);
  const px = (x: number, y: number): [number, number, number] => {
    const lx = x - x0, ly = y - y0;
    if (lx < 0 || ly < 0 || lx >= w || ly >= h) return [255, 255, 255];
    const i = (ly * w + lx) * 3;
    return [rgb[i]!, rgb[i + 1]!, rgb[i + 2]!];
  };
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const [r, g, b] = px(x, y);
    Y[y * W + x] = Math.round(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
  }
  for (let y = 0; y < H / 2; y++) for (let x = 0; x < W / 2; x++) {
    const [r, g, b] = px(2 * x, 2 * y);
    U[y * (W / 2) + x] = Math.round(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255);
    V[y * (W / 2) + x] = Math.round(128 + (112 * r - 93.786 * g - 18.214 * b) / 255);
  }
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\nFRAME\n`, 'latin1'), Y, U, V]);
}
