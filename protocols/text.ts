// Text that came from outside (a device's bytes, a decoder's error about them, a batch from a
// gateway) made storable. PostgreSQL cannot hold U+0000 in text nor in jsonb ("invalid byte
// sequence for encoding UTF8: 0x00", "unsupported Unicode escape sequence"), and jsonb refuses a
// lone UTF-16 surrogate; one such character used to fail a whole uplink batch for ever (issue
// #11). Pure and dependency-free, so the edge (where text enters, and again at the outbox) and
// the cloud (dead letters, reasons) clean the same way.

/** longest free text kept (alert messages, device errors, decoder reasons), in UTF-16 units */
export const MAX_TEXT = 4096;
/** longest identifier kept (sensor, device, zone ids, EPCs, lot codes) */
export const MAX_ID = 256;

// C0 controls but tab (09), newline (0A) and carriage return (0D), which are printable in a log
// line and storable; DEL and C1 are storable and left alone.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g;
const UNSAFE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** true when `s` is already storable and within `max` (the fast path: most text is clean) */
export function isCleanText(s: string, max = MAX_TEXT): boolean {
  return s.length <= max && !UNSAFE.test(s);
}

/**
 * Storable text: C0 controls (NUL first of all) and lone surrogates become U+FFFD, so a reader
 * still sees that something was there; longer than `max` is cut (never inside a surrogate pair)
 * and marked with "…".
 */
export function cleanText(s: string, max = MAX_TEXT): string {
  if (isCleanText(s, max)) return s;
  // cut first (replacements keep the length), so a 1 MB string costs what 4 KB costs
  let out = (s.length > max ? s.slice(0, max + 1) : s).replace(CONTROL, '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
  if (out.length > max) {
    let cut = Math.max(0, max - 1);
    if (cut > 0 && /[\uD800-\uDBFF]/.test(out[cut - 1]!)) cut--; // do not split a pair
    out = out.slice(0, cut) + '…';
  }
  return out;
}

/** cleanText for identifiers (shorter cap) */
export const cleanId = (s: string): string => cleanText(s, MAX_ID);

/** cleanText on an optional string */
export function cleanOptional(s: string | undefined, max = MAX_TEXT): string | undefined {
  return s === undefined ? undefined : cleanText(s, max);
}

/**
 * Every string in a JSON-like value (keys included) cleaned, depth and breadth bounded (device
 * evidence: EPC lists, weights). Deeper than `depth` becomes the JSON text of what is there,
 * cleaned: it is kept, readable, and cannot nest further.
 */
export function cleanJson(v: unknown, depth = 8): unknown {
  if (typeof v === 'string') return cleanText(v);
  if (v === null || typeof v !== 'object') return typeof v === 'number' && !Number.isFinite(v) ? null : v;
  if (depth <= 0) return cleanText(JSON.stringify(v) ?? '');
  if (Array.isArray(v)) return v.map((x) => cleanJson(x, depth - 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[cleanText(k, MAX_ID)] = cleanJson(x, depth - 1);
  return out;
}

/**
 * Text kept WHOLE for a person to read later (a dead letter's payload): every control and lone
 * surrogate written as its \uXXXX escape, so the text is storable and nothing is lost or
 * confused with a real U+FFFD. Not capped: the dead-letter store applies its own caps.
 */
export function escapeUnstorable(s: string): string {
  if (!UNSAFE.test(s)) return s;
  return s.replace(ESCAPED, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const ESCAPED = new RegExp(`${CONTROL.source}|${LONE_SURROGATE.source}`, 'g');
