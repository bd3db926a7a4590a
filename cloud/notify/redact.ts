// Robot keys, DingTalk access tokens and signing secrets, Slack webhook paths and SMTP passwords
// are credentials: whoever has one can post into the group. They live only in notify_contacts
// (and the SMTP URL in the environment) and never leave through logs, the API or the audit log.

export const MASK = '***';

/** an address as it may be shown: the credential parts replaced by *** */
export function redactAddress(type: string, address: string): string {
  if (type === 'email') return address;
  try {
    const u = new URL(address);
    if (u.password) u.password = MASK;
    if (type === 'slack' && u.pathname.startsWith('/services/')) u.pathname = `/services/${MASK}`;
    // every query value may be a key (WeCom ?key=, DingTalk ?access_token=, generic ?token=)
    for (const k of [...u.searchParams.keys()]) u.searchParams.set(k, MASK);
    return decodeURI(u.toString());
  } catch {
    return MASK;
  }
}

/** replaces every secret that appears in a message (error texts from HTTP/SMTP libraries) */
export function scrub(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    out = out.split(s).join(MASK);
    const enc = encodeURIComponent(s);
    if (enc !== s) out = out.split(enc).join(MASK);
  }
  return out;
}

/** the secret-bearing parts of an address (query values, password, Slack path) for scrub() */
export function secretsOf(address: string): string[] {
  try {
    const u = new URL(address);
    const list = [...u.searchParams.values()];
    if (u.password) list.push(decodeURIComponent(u.password));
    if (u.pathname.startsWith('/services/')) list.push(u.pathname.slice('/services/'.length));
    return list;
  } catch {
    return [address];
  }
}
