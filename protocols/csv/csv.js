// CSV the way stockpulse writes it, everywhere: RFC 4180 (fields with a comma, quote, CR or LF
// are quoted, quotes doubled, CRLF line ends) and a leading = + - @ on text kept from being run
// as a spreadsheet formula (a ' in front; negative numbers stay numbers). Plain JavaScript with
// no imports on purpose: the browser's downloads (dashboards/web/stock-csv.js, served at
// /vendor/csv/) and the cloud's report files (cloud/reports/) use this one file — one rule.
// Files are UTF-8 with a byte order mark so Excel opens Chinese text correctly.

/** the byte order mark a CSV file starts with */
export const CSV_BOM = '\uFEFF';

/** one field: null/undefined → empty, numbers as plain decimals */
export function csvCell(v) {
  const s = v === null || v === undefined ? '' : String(v);
  const safe = /^[=+\-@]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** rows of fields → CSV text (without the BOM), every line ending CRLF */
export function csvText(rows) {
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
