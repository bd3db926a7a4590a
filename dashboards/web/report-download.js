// A report as a file download (GET /api/reports/:id.csv or .pdf): the server makes the file — for
// CSV the same bytes a scheduled e-mail attaches (UTF-8 with BOM, RFC 4180), for PDF an A4 page
// set in the page's language — and the browser saves it under the name the server gives. Used by
// the analytics page's Export, the reports page and the stock value page.
import { authHeader } from './token.js';
import { humanError } from './error-text.js';
import { currentLang } from './i18n.js';

const TYPES = { csv: 'text/csv;charset=utf-8', pdf: 'application/pdf' };

export async function downloadReport(id, params = {}, format = 'csv') {
  const q = new URLSearchParams({ ...params, locale: currentLang() });
  const res = await fetch(`/api/reports/${encodeURIComponent(id)}.${format}?${q}`, { headers: authHeader(), cache: 'no-store' });
  if (!res.ok) throw new Error(humanError(res.status, await res.json().catch(() => null)));
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `${id}.${format}`;
  // the bytes as sent: a CSV's BOM stays at the front
  const blob = new Blob([await res.arrayBuffer()], { type: TYPES[format] });
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  return name;
}
