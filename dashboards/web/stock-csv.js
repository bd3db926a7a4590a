// CSV of what the stock page shows: one line per lot line (an item with no stock lines gets one
// line of its own), headers in the page's language, numbers as plain decimals (a spreadsheet
// reads them in any locale), RFC 4180 quoting, and a UTF-8 byte order mark so Excel opens
// Chinese names correctly instead of guessing a legacy code page.
import { t } from './i18n.js';
// the one CSV quoting rule (protocols/csv/csv.js), shared with the cloud's report files
import { CSV_BOM, csvCell as cell } from '/vendor/csv/csv.js';

const COLUMNS = [
  ['item', 'stock.csv.col.item'], ['name', 'stock.csv.col.name'], ['unit', 'stock.csv.col.unit'], ['lot', 'stock.csv.col.lot'],
  ['location', 'stock.csv.col.location'], ['status', 'stock.csv.col.status'], ['expiresOn', 'stock.csv.col.expiresOn'],
  ['lotOnHand', 'stock.csv.col.lotOnHand'], ['onHand', 'stock.col.onHand'], ['reserved', 'stock.col.reserved'],
  ['quarantined', 'stock.col.quarantined'], ['expired', 'stock.col.expired'], ['protected', 'stock.col.protected'], ['available', 'stock.col.available'],
];

/**
 * Any table as CSV, the same quoting and header language as the stock export (the value page's
 * tables): columns [key, i18n key], rows of plain values.
 * @param {[string, string][]} columns @param {Record<string, unknown>[]} rows
 */
export function tableCsv(columns, rows) {
  const out = [columns.map(([, key]) => cell(t(key))).join(',')];
  for (const r of rows) out.push(columns.map(([k]) => cell(r[k])).join(','));
  return `${out.join('\r\n')}\r\n`;
}

/** @param {{row: object, lines: object[]}[]} shown what visible() returned */
export function stockCsv(shown) {
  const out = [COLUMNS.map(([, key]) => cell(t(key))).join(',')];
  for (const { row: r, lines } of shown) {
    const base = { item: r.item, name: r.name, unit: r.unit, onHand: r.onHand, reserved: r.reserved, quarantined: r.quarantined + r.rejected, expired: r.expired, protected: r.protected, available: r.available };
    const each = lines.length ? lines : [null];
    for (const l of each) {
      const v = { ...base, lot: l?.lot ?? '', location: l?.location ?? '', status: l ? t(`lotStatus.${l.status}`) : '', expiresOn: l?.expiresOn ?? '', lotOnHand: l ? l.onHand : '' };
      out.push(COLUMNS.map(([k]) => cell(v[k])).join(','));
    }
  }
  return `${out.join('\r\n')}\r\n`;
}

export function downloadCsv(text, filename) {
  const blob = new Blob([CSV_BOM, text], { type: 'text/csv;charset=utf-8' });
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
