import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import bwipjs from 'bwip-js';
import type { Browser, Page } from 'playwright-core';
import type { Role } from '../../cloud/auth/permissions.ts';
import type { ApiFixture } from '../inventory/fixture.ts';

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

export async function openAs(browser: Browser, f: ApiFixture, base: string, role: Role, path: string,
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
