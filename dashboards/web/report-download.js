// A report as a file download (GET /api/reports/:id.csv): the server makes the file — the same
// bytes a scheduled e-mail attaches (UTF-8 with BOM, RFC 4180) — and the browser saves it under
// the name the server gives. Used by the analytics page's Export and the reports page.
import { authHeader } from './token.js';
import { humanError } from './error-text.js';
import { currentLang } from './i18n.js';

export async function downloadReport(id, params = {}) {
  const q = new URLSearchParams({ ...params, locale: currentLang() });
  const res = await fetch(`/api/reports/${encodeURIComponent(id)}.csv?${q}`, { headers: authHeader(), cache: 'no-store' });
  if (!res.ok) throw new Error(humanError(res.status, await res.json().catch(() => null)));
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `${id}.csv`;
  // the bytes as sent: the BOM stays at the front
  const blob = new Blob([await res.arrayBuffer()], { type: 'text/csv;charset=utf-8' });
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  return name;
}
