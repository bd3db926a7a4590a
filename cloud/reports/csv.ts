import { CSV_BOM, csvText } from '../../protocols/csv/csv.js';
import type { Locale } from '../auth/preferences.ts';
import type { ReportTable } from './report.ts';
import { hasWord, rt } from './i18n.ts';

// A report table as a CSV file: UTF-8 with a byte order mark (Excel then reads Chinese names
// right), RFC 4180 quoting by the one shared rule (protocols/csv/csv.js), the header in the
// recipient's language, numbers as plain decimals, a `status` column's values in words.

export function reportCsv(t: ReportTable, locale: Locale): string {
  return CSV_BOM + csvText([t.columns.map((c) => rt(locale, `col.${c}`)), ...localizedRows(t, locale)]);
}

/** the rows with a `status` column's values in words of the locale (shared with pdf.ts) */
export function localizedRows(t: ReportTable, locale: Locale): unknown[][] {
  const status = t.columns.indexOf('status');
  const word = (v: unknown) => (typeof v === 'string' && hasWord(`status.${v}`) ? rt(locale, `status.${v}`) : v);
  return t.rows.map((r) => (status < 0 ? r : r.map((v, i) => (i === status ? word(v) : v))));
}

/** stock_2026-12-06.csv (or .pdf): the report id and the day it was made (no colons: Windows file names) */
export const reportFileName = (id: string, at: Date, ext: 'csv' | 'pdf' = 'csv') => `${id}_${at.toISOString().slice(0, 10)}.${ext}`;
