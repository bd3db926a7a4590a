import { existsSync } from 'node:fs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportPdf } from '../../../cloud/reports/pdf.ts';
import { DEFAULT_SETTINGS } from '../../../cloud/config.ts';
import { buildApi } from '../../../cloud/api/server.ts';
import { createCloudMetrics } from '../../../cloud/metrics.ts';
import { createApiToken } from '../../../cloud/auth/tokens.ts';
import { isSpError } from '../../../protocols/errors.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../../helpers/db.ts';
import { apiFixture, seedItem, seedLocations, type ApiFixture } from '../../helpers/inventory-fixture.ts';

// Report PDFs: the renderer (a real PDF, pages by table length, the CJK font embedded as a
// subset for zh-CN, a coded refusal without the font) and the route (roles, params, 404).

const FONT = DEFAULT_SETTINGS.STOCKPULSE_PDF_CJK_FONT;
const hasFont = existsSync(FONT);
const table = (n: number) => ({
  columns: ['item', 'name', 'lot', 'lotOnHand', 'avgCost', 'value', 'currency'],
  rows: Array.from({ length: n }, (_, i) => [`SKU-${i}`, i === 0 ? 'a very long item name '.repeat(20) : `item ${i}`, `L-${i}`, i, '1.50', (i * 1.5).toFixed(2), 'EUR']),
});
const text = (b: Buffer) => b.toString('latin1');
/** the strings an uncompressed PDF shows: each TJ array's hex pieces joined (pdfkit splits words at kerning pairs) */
const shown = (b: Buffer) => [...text(b).matchAll(/\[(.*)\] TJ/g)]
  .map((m) => [...m[1]!.matchAll(/<([0-9a-f]*)>/g)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join('')).join('\n');
const pages = (b: Buffer) => (text(b).match(/\/Type \/Page\b(?!s)/g) ?? []).length;

describe('reportPdf', () => {
  it('en: a PDF with the title as text, Helvetica, page numbers "n / N"; a long table takes more pages, header on each', async () => {
    const one = await reportPdf(table(3), { reportId: 'stock-value', locale: 'en', cjkFont: FONT, compress: false, now: new Date('2026-12-06T04:00:00Z') });
    expect(text(one.subarray(0, 5))).toBe('%PDF-');
    expect(text(one).trimEnd().endsWith('%%EOF')).toBe(true);
    expect(pages(one)).toBe(1);
    const s = shown(one);
    expect(s).toContain('Stock value by lot (moving-average cost)');
    expect(s).toContain('Generated (UTC) 2026-12-06T04:00:00Z');
    expect(s).toContain('1 / 1');
    expect(text(one)).toContain('/BaseFont /Helvetica');
    expect(text(one)).not.toContain('NotoSansCJK');
    expect(s).toMatch(/a very long item name .*\x85/);   // cut with an ellipsis (WinAnsi 0x85), not dropped
    expect(s).not.toContain('a very long item name '.repeat(20).trim());

    const long = await reportPdf(table(200), { reportId: 'stock-value', locale: 'en', cjkFont: FONT, compress: false });
    // 200 rows of 16 pt under a header on A4 landscape: 33 rows a page → 7 pages
    const n = pages(long);
    expect(n).toBeGreaterThanOrEqual(6);
    expect(n).toBeLessThanOrEqual(8);
    expect(shown(long)).toContain(`${n} / ${n}`);
    expect(shown(long).split('\n').filter((l) => l === 'currency')).toHaveLength(n);   // the header row on every page
  });

  it.skipIf(!hasFont)('zh-CN: embeds a subset of Noto Sans CJK SC; the file stays under 1 MB', async () => {
    const pdf = await reportPdf(table(120), { reportId: 'stock-value', locale: 'zh-CN', cjkFont: FONT, compress: false });
    expect(text(pdf.subarray(0, 5))).toBe('%PDF-');
    expect(text(pdf)).toMatch(/\/BaseFont \/[A-Z]{6}\+NotoSansCJKsc-Regular/);
    expect(pdf.length).toBeLessThan(1_000_000);
    expect(text(pdf)).not.toContain('/BaseFont /Helvetica');
  });

  it('en with a Chinese item name also takes the CJK font (Helvetica has no such glyphs)', async () => {
    const t = { columns: ['item', 'name'], rows: [['TOFU', '嫩豆腐']] };
    if (hasFont) expect(text(await reportPdf(t, { reportId: 'stock', locale: 'en', cjkFont: FONT, compress: false }))).toContain('NotoSansCJKsc-Regular');
    await expect(reportPdf(t, { reportId: 'stock', locale: 'en', cjkFont: '/nonexistent/font.ttc' })).rejects.toMatchObject({ code: 'SP_ERR_FONT_MISSING' });
  });

  it('zh-CN without the font file: SP_ERR_FONT_MISSING (503) naming the Debian package, not a PDF of boxes', async () => {
    const e = await reportPdf(table(1), { reportId: 'stock-value', locale: 'zh-CN', cjkFont: '/nonexistent/font.ttc' }).catch((x) => x);
    expect(isSpError(e)).toBe(true);
    expect(e.status).toBe(503);
    expect(e.details[0].field).toBe('STOCKPULSE_PDF_CJK_FONT');
    expect(e.details[0].reason).toContain('fonts-noto-cjk');
  });
});

let tdb: TestDatabase;
let f: ApiFixture;
beforeAll(async () => {
  tdb = await testDatabase();
  f = await apiFixture(tdb.db);
  await seedLocations(f);
  await seedItem(f, { sku: 'FLOUR', name: 'Flour T55' });
});
afterAll(async () => {
  await f?.close();
  await tdb?.cleanup();
});

const get = (role: 'finance' | 'warehouse' | 'admin', url: string) => f.app.inject({ url, headers: { authorization: `Bearer ${f.tokens[role]}` } });

describe(`GET /api/reports/:id.pdf (${engineLabel})`, () => {
  it('finance: the stock value as a PDF download; warehouse may not', async () => {
    const res = await get('finance', '/api/reports/stock-value.pdf');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="stock-value_\d{4}-\d{2}-\d{2}\.pdf"$/);
    expect(res.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const no = await get('warehouse', '/api/reports/stock-value.pdf');
    expect(no.statusCode).toBe(403);
    expect(no.json().code).toBe('SP_ERR_FORBIDDEN');
  });

  it.skipIf(!hasFont)('zh-CN cogs for a range', async () => {
    const res = await get('finance', '/api/reports/cogs.pdf?locale=zh-CN&from=2026-01-01&to=2026-02-01');
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.length).toBeLessThan(1_000_000);
  });

  it('bad params: 400 naming the field; unknown report 404; bad locale 400', async () => {
    const bad = await get('finance', '/api/reports/cogs.pdf?from=yesterday');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details[0].field).toBe('querystring.from');
    const unknown = await get('admin', '/api/reports/nope.pdf');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('SP_ERR_NOT_FOUND');
    expect((await get('admin', '/api/reports/stock.pdf?locale=fr')).statusCode).toBe(400);
  });

  it('a cloud whose CJK font path is missing answers zh-CN with 503 SP_ERR_FONT_MISSING', async () => {
    const app = await buildApi({ db: tdb.db, log: pino({ level: 'silent' }), metrics: createCloudMetrics(), mqttConnected: () => true,
      settings: { ...DEFAULT_SETTINGS, STOCKPULSE_PDF_CJK_FONT: '/nonexistent/NotoSansCJK-Regular.ttc' } });
    try {
      const { token } = await createApiToken(tdb.db, { role: 'viewer', name: 'pdf-no-font' });
      const res = await app.inject({ url: '/api/reports/stock.pdf?locale=zh-CN', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('SP_ERR_FONT_MISSING');
      expect(res.json().details[0].reason).toContain('fonts-noto-cjk');
    } finally { await app.close(); }
  });
});
