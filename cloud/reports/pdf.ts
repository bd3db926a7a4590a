import { existsSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import { SpError } from '../../protocols/errors.ts';
import type { Locale } from '../auth/preferences.ts';
import type { ReportTable } from './report.ts';
import { localizedRows } from './csv.ts';
import { rt } from './i18n.ts';

// A report table as a PDF (the same table the CSV gets): A4 landscape, title, generated-at line,
// a table whose header row repeats on every page, columns sized to their content within the
// page width, over-long cells cut with an ellipsis, "n / N" page numbers.
// Helvetica is built into every PDF reader but knows no Chinese: a zh-CN report (or one whose
// data holds characters Helvetica lacks, e.g. a Chinese item name) embeds Noto Sans CJK SC,
// which pdfkit (fontkit) subsets to the glyphs used — the file stays small. Without the font
// file the answer is an error naming the package, never a PDF of empty boxes.

export interface PdfOptions {
  reportId: string;
  locale: Locale;
  /** a .ttc/.otf file holding NotoSansCJKsc-Regular (STOCKPULSE_PDF_CJK_FONT) */
  cjkFont: string;
  /** false: uncompressed content streams (tests look for text) */
  compress?: boolean;
  now?: Date;
}

/** the face inside fonts-noto-cjk's collection that draws Simplified Chinese */
export const CJK_FACE = 'NotoSansCJKsc-Regular';
const MARGIN = 36;
const CELL_PT = 8;
const HEAD_PT = 8;
const PAD = 3;
const ROW_H = CELL_PT + 2 * PAD + 2;
const HEAD_H = 2 * (HEAD_PT + 2) + 2 * PAD;   // a header may wrap to two lines
const FOOTER_H = 20;
const NUMERIC = /^-?\d+(\.\d+)?$/;
// WinAnsi (Latin-1 plus a few): what the built-in Helvetica can draw
const BEYOND_HELVETICA = /[^\u0000-\u00ff\u2013\u2014\u2018-\u201e\u2022\u2026\u20ac]/;

const cellText = (v: unknown): string => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v));

export async function reportPdf(t: ReportTable, o: PdfOptions): Promise<Buffer> {
  const now = o.now ?? new Date();
  const title = rt(o.locale, `title.${o.reportId}`);
  const header = t.columns.map((c) => rt(o.locale, `col.${c}`));
  const rows = localizedRows(t, o.locale).map((r) => r.map(cellText));
  const generated = `${rt(o.locale, 'pdf.generated')} ${now.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;

  const needsCjk = o.locale === 'zh-CN' || [title, generated, ...header, ...rows.flat()].some((s) => BEYOND_HELVETICA.test(s));
  if (needsCjk && !existsSync(o.cjkFont)) {
    throw new SpError('SP_ERR_FONT_MISSING', {
      field: 'STOCKPULSE_PDF_CJK_FONT',
      reason: `no CJK font at ${o.cjkFont}: install the Debian package fonts-noto-cjk (apt-get install fonts-noto-cjk) or point STOCKPULSE_PDF_CJK_FONT at NotoSansCJK-Regular.ttc; the CSV export works without it`,
    });
  }

  const doc = new PDFDocument({
    size: 'A4', layout: 'landscape', margin: MARGIN, bufferPages: true, compress: o.compress ?? true,
    info: { Title: title, Creator: 'stockpulse', CreationDate: now },
  });
  const done = new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    doc.on('data', (b: Buffer) => parts.push(b));
    doc.on('end', () => resolve(Buffer.concat(parts)));
    doc.on('error', reject);
  });
  if (needsCjk) {
    // one face for both weights: the collection's bold is another 16 MB file to look for
    doc.registerFont('body', o.cjkFont, CJK_FACE);
    doc.registerFont('bold', o.cjkFont, CJK_FACE);
  } else {
    doc.registerFont('body', 'Helvetica');
    doc.registerFont('bold', 'Helvetica-Bold');
  }

  const pageW = doc.page.width;
  const pageH = doc.page.height;
  const tableW = pageW - 2 * MARGIN;
  const widths = columnWidths(doc, header, rows, tableW);
  const numeric = t.columns.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === '' || NUMERIC.test(r[i]!)));
  const xs = widths.map((_, i) => MARGIN + widths.slice(0, i).reduce((a, b) => a + b, 0));

  doc.font('bold').fontSize(14).text(title, MARGIN, MARGIN, { width: tableW, lineBreak: false, ellipsis: true });
  doc.font('body').fontSize(8).fillColor('#555555').text(generated, MARGIN, MARGIN + 20, { lineBreak: false });
  doc.fillColor('black');
  let y = MARGIN + 36;

  const drawHeader = () => {
    doc.rect(MARGIN, y, tableW, HEAD_H).fill('#e8eef4').fillColor('black');
    doc.font('bold').fontSize(HEAD_PT);
    header.forEach((h, i) => doc.text(h, xs[i]! + PAD, y + PAD, {
      width: widths[i]! - 2 * PAD, height: HEAD_H - 2 * PAD, ellipsis: true, align: numeric[i] ? 'right' : 'left',
    }));
    y += HEAD_H;
  };
  drawHeader();
  doc.font('body').fontSize(CELL_PT);
  const bottom = pageH - MARGIN - FOOTER_H;
  rows.forEach((r, n) => {
    if (y + ROW_H > bottom) {
      doc.addPage();
      y = MARGIN;
      drawHeader();
      doc.font('body').fontSize(CELL_PT);
    }
    if (n % 2 === 1) doc.rect(MARGIN, y, tableW, ROW_H).fill('#f6f6f6').fillColor('black');
    r.forEach((v, i) => {
      const w = widths[i]! - 2 * PAD;
      doc.text(fit(doc, v, w), xs[i]! + PAD, y + PAD + 1, { width: w, lineBreak: false, align: numeric[i] ? 'right' : 'left' });
    });
    y += ROW_H;
  });

  // page numbers, once the page count is known (bufferPages keeps every page open)
  const range = doc.bufferedPageRange();
  for (let p = range.start; p < range.start + range.count; p++) {
    doc.switchToPage(p);
    doc.page.margins.bottom = 0;   // writing below the bottom margin would otherwise open a new page
    doc.font('body').fontSize(8).fillColor('#555555')
      .text(`${p + 1 - range.start} / ${range.count}`, MARGIN, pageH - MARGIN, { width: tableW, align: 'right', lineBreak: false });
  }
  doc.end();
  return done;
}

/**
 * Column widths: each column's natural width (widest cell or header word, plus padding); when
 * they do not fit, the widest columns give way first (no column below an equal share unless it
 * needs less); spare room goes to every column in proportion.
 */
function columnWidths(doc: PDFKit.PDFDocument, header: string[], rows: string[][], total: number): number[] {
  doc.font('bold').fontSize(HEAD_PT);
  // a header may wrap to two lines: the narrowest split between words (a CJK header: its width)
  const natural = header.map((h) => {
    const words = h.split(' ');
    let best = doc.widthOfString(h);
    for (let k = 1; k < words.length; k++) {
      best = Math.min(best, Math.max(doc.widthOfString(words.slice(0, k).join(' ')), doc.widthOfString(words.slice(k).join(' '))));
    }
    return best + doc.widthOfString(' ');   // pdfkit's line wrapper counts the space at the break
  });
  doc.font('body').fontSize(CELL_PT);
  for (const r of rows) r.forEach((v, i) => { natural[i] = Math.max(natural[i]!, doc.widthOfString(v)); });
  const want = natural.map((w) => Math.ceil(w) + 2 * PAD + 1);
  const sum = want.reduce((a, b) => a + b, 0);
  if (sum <= total) return want.map((w) => (w * total) / sum);
  // water-filling: columns needing less than the share keep their width, the rest split what is left
  const out = new Array<number>(want.length).fill(0);
  let open = want.map((_, i) => i);
  let left = total;
  for (;;) {
    const share = left / open.length;
    const small = open.filter((i) => want[i]! <= share);
    if (small.length === 0) { for (const i of open) out[i] = share; return out; }
    for (const i of small) { out[i] = want[i]!; left -= want[i]!; }
    open = open.filter((i) => want[i]! > share);
    if (open.length === 0) return out;
  }
}

/** the text cut to the width with an ellipsis (the current font and size) */
function fit(doc: PDFKit.PDFDocument, s: string, width: number): string {
  if (doc.widthOfString(s) <= width) return s;
  const chars = [...s];
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {   // the longest prefix that fits with the ellipsis
    const mid = Math.ceil((lo + hi) / 2);
    if (doc.widthOfString(`${chars.slice(0, mid).join('')}…`) <= width) lo = mid; else hi = mid - 1;
  }
  return `${chars.slice(0, lo).join('')}…`;
}
