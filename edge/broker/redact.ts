// Secrets must never reach a log line. Passwords are redacted by key in bin/log.ts; URLs are
// the other way they leak (mqtt://user:secret@host, https://hook/x?token=…), so every URL that
// is logged goes through redactUrl first.

const SECRET_PARAMS = /^(token|access_token|key|api_key|apikey|secret|password|pass|sig|signature|auth)$/i;

/** The URL with its password and secret-looking query values replaced by `***`. */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Not parseable: still strip anything shaped like userinfo rather than log it verbatim.
    return url.replace(/\/\/[^/@\s]*@/, '//***@');
  }
  if (u.password) u.password = '***';
  for (const k of [...u.searchParams.keys()]) if (SECRET_PARAMS.test(k)) u.searchParams.set(k, '***');
  return u.toString().replace(/%2A%2A%2A/g, '***');
}
