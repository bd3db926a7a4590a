// GS1 barcode contents → item, lot, expiry. Plain JavaScript with no imports on purpose: the same
// file is the pure decoder the tests run under Node and the module the web UI's scanner
// (dashboards/web/scan.js, served at /vendor/gs1/) runs in the browser — one parser, no copy.
// It reads what a scanner or a decoding library hands over:
//   - GS1 element strings (GS1-128, GS1 DataMatrix, GS1 QR), FNC1 as the ASCII group separator
//     (GS, \x1d), with or without the AIM symbology identifier (]C1, ]d2, ]Q3, ]e0, ]J1);
//   - the human-readable form with parentheses, "(01)09506000134352(10)AB12";
//   - GS1 Digital Link URIs, https://id.gs1.org/01/09506000134352/10/AB12?17=261231;
//   - bare GTIN-8/12/13/14 (EAN-8, UPC-A, EAN-13 symbols), widened to GTIN-14.
// Reference: GS1 General Specifications §3 (AI definitions, predefined lengths in Figure 5.10.1-2),
// §7.9 (check digit), §7.12 (YYMMDD, DD = 00 is the last day of the month, century rule);
// GS1 Digital Link Standard §4 (URI syntax). Hostile input throws a GS1Error coded SP_ERR_DECODE
// with the field it is about and the reason, like every decoder in protocols/.

export const GS = '\x1d';

export class GS1Error extends Error {
  /** @param {string} field @param {string} reason */
  constructor(field, reason) {
    super(`SP_ERR_DECODE: ${field}: ${reason}`);
    this.name = 'GS1Error';
    this.code = 'SP_ERR_DECODE';
    this.details = [{ field, reason }];
  }
}

/** GS1 mod-10 check digit over the digits before it (General Specifications §7.9.1) */
export function checkDigit(body) {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += Number(body[body.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  return (10 - (sum % 10)) % 10;
}

function assertKey(field, digits, len) {
  if (!new RegExp(`^\\d{${len}}$`).test(digits)) throw new GS1Error(field, `must be ${len} digits, got "${clip(digits)}"`);
  const want = checkDigit(digits.slice(0, -1));
  if (Number(digits.at(-1)) !== want) throw new GS1Error(field, `check digit ${digits.at(-1)} where ${want} is expected`);
  return digits;
}

/** GTIN-8, -12, -13 or -14 → GTIN-14 (zeros on the left), check digit verified */
export function toGtin14(digits, field = 'gtin') {
  const s = String(digits ?? '').trim();
  if (!/^\d+$/.test(s) || ![8, 12, 13, 14].includes(s.length)) throw new GS1Error(field, `a GTIN has 8, 12, 13 or 14 digits, got "${clip(s)}"`);
  return assertKey(field, s.padStart(14, '0'), 14);
}

const clip = (s) => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

// AI → [data format, name]. 'n6' fixed numeric, 'n..8' numeric up to 8, 'x..20' GS1 AI encodable
// character set 82 up to 20, 'date' YYMMDD, 'key14'/'key18' numeric key with check digit,
// 'dec6' n6 with the decimals in the AI's last digit. Only what a warehouse reads from cases and
// pallets; an AI outside this table is refused rather than guessed at (its length is unknown).
const AIS = {
  '00': ['key18', 'sscc'], '01': ['key14', 'gtin'], '02': ['key14', 'contentGtin'],
  '10': ['x..20', 'lot'], '11': ['date', 'producedOn'], '13': ['date', 'packedOn'], '15': ['date', 'bestBefore'],
  '16': ['date', 'sellBy'], '17': ['date', 'expiresOn'], '20': ['n2', 'variant'], '21': ['x..20', 'serial'],
  '22': ['x..20', 'cpv'], '30': ['n..8', 'varCount'], '37': ['n..8', 'count'], '240': ['x..30', 'additionalId'],
  '241': ['x..30', 'customerPart'], '250': ['x..30', 'secondarySerial'], '400': ['x..30', 'orderNumber'],
  '410': ['key13', 'shipTo'], '413': ['key13', 'shipForDeliverFor'], '414': ['key13', 'gln'], '420': ['x..20', 'shipToPostal'],
  '7003': ['n10', 'expiresAt'],
};
for (let d = 0; d <= 5; d++) {
  AIS[`310${d}`] = ['dec6', 'netWeightKg'];
  AIS[`330${d}`] = ['dec6', 'grossWeightKg'];
}
// Figure 5.10.1-2: AIs whose first two digits fix the total length need no FNC1 after them even
// when a variable-length table entry would suggest one (kept for checking a stray separator)
const X82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*$/;

function aiAt(s, i) {
  for (const len of [2, 3, 4]) {
    const ai = s.slice(i, i + len);
    if (ai.length === len && AIS[ai]) return ai;
  }
  const shown = s.slice(i, i + 4);
  if (!/^\d{2}/.test(shown)) throw new GS1Error('ai', `expected an application identifier (digits) at position ${i}, got "${clip(s.slice(i, i + 10))}"`);
  throw new GS1Error('ai', `unknown or unsupported application identifier at "${shown}…"`);
}

function fixedLength(format) {
  const m = /^(?:n|key)(\d+)$/.exec(format);
  if (m) return Number(m[1]);
  if (format === 'date') return 6;
  if (format === 'dec6') return 6;
  return null;
}

/** YYMMDD → YYYY-MM-DD; DD = 00 is the month's last day; century by the §7.12 sliding window */
export function gs1Date(v, field = 'date', today = new Date()) {
  if (!/^\d{6}$/.test(v)) throw new GS1Error(field, `a date is 6 digits YYMMDD, got "${clip(v)}"`);
  const yy = Number(v.slice(0, 2)), mm = Number(v.slice(2, 4)), dd = Number(v.slice(4, 6));
  const thisYear = today.getUTCFullYear(), cur = thisYear % 100, century = thisYear - cur;
  const diff = yy - cur;
  const year = diff >= 51 ? century - 100 + yy : diff <= -50 ? century + 100 + yy : century + yy;
  if (mm < 1 || mm > 12) throw new GS1Error(field, `month ${v.slice(2, 4)} in "${v}" is not 01–12`);
  const last = new Date(Date.UTC(year, mm, 0)).getUTCDate();
  if (dd > last) throw new GS1Error(field, `day ${v.slice(4, 6)} in "${v}" is past the end of the month (${last})`);
  return `${year}-${String(mm).padStart(2, '0')}-${String(dd === 0 ? last : dd).padStart(2, '0')}`;
}

function value(ai, raw, today) {
  const [format, name] = AIS[ai];
  const field = `(${ai}) ${name}`;
  if (format === 'key14') return assertKey(field, raw, 14);
  if (format === 'key18') return assertKey(field, raw, 18);
  if (format === 'key13') return assertKey(field, raw, 13);
  if (format === 'date') return gs1Date(raw, field, today);
  if (format === 'dec6') {
    if (!/^\d{6}$/.test(raw)) throw new GS1Error(field, `6 digits expected, got "${clip(raw)}"`);
    return Number(raw) / 10 ** Number(ai[3]);
  }
  const fixed = /^n(\d+)$/.exec(format);
  if (fixed) {
    if (!new RegExp(`^\\d{${fixed[1]}}$`).test(raw)) throw new GS1Error(field, `${fixed[1]} digits expected, got "${clip(raw)}"`);
    return raw;
  }
  const [, kind, max] = /^(n|x)\.\.(\d+)$/.exec(format);
  if (!raw.length) throw new GS1Error(field, 'is empty');
  if (raw.length > Number(max)) throw new GS1Error(field, `longer than ${max} characters ("${clip(raw)}")`);
  if (kind === 'n') {
    if (!/^\d+$/.test(raw)) throw new GS1Error(field, `digits expected, got "${clip(raw)}"`);
    return Number(raw);
  }
  if (!X82.test(raw)) throw new GS1Error(field, `"${clip(raw)}" has a character outside the GS1 character set`);
  return raw;
}

/**
 * An element string (FNC1 as GS) → its elements in order. Fixed-length AIs take their length;
 * variable-length ones run to the next GS or the end.
 * @returns {{ai:string, raw:string}[]}
 */
export function splitElementString(s) {
  const out = [];
  let i = s.startsWith(GS) ? 1 : 0;
  while (i < s.length) {
    if (s[i] === GS) { i++; continue; }
    const ai = aiAt(s, i);
    i += ai.length;
    const len = fixedLength(AIS[ai][0]);
    let raw;
    if (len !== null) {
      raw = s.slice(i, i + len);
      if (raw.length < len) throw new GS1Error(`(${ai}) ${AIS[ai][1]}`, `truncated: ${len} characters expected, ${raw.length} left`);
      i += len;
    } else {
      const end = s.indexOf(GS, i);
      raw = s.slice(i, end < 0 ? s.length : end);
      i = end < 0 ? s.length : end + 1;
    }
    out.push({ ai, raw });
  }
  if (!out.length) throw new GS1Error('data', 'no element string');
  return out;
}

/** "(01)0950…(10)AB12" → elements */
function splitHri(s) {
  const out = [];
  const re = /\((\d{2,4})\)([^(]*)/g;
  let at = 0, m;
  while ((m = re.exec(s))) {
    if (m.index !== at) throw new GS1Error('data', `unexpected "${clip(s.slice(at, m.index))}" between elements`);
    if (!AIS[m[1]]) throw new GS1Error('ai', `unknown or unsupported application identifier (${m[1]})`);
    out.push({ ai: m[1], raw: m[2] });
    at = re.lastIndex;
  }
  if (at !== s.length || !out.length) throw new GS1Error('data', `not a bracketed element string: "${clip(s.slice(at))}"`);
  return out;
}

/** GS1 Digital Link URI → elements: the path's key and qualifiers, then query attributes with numeric AIs */
function splitDigitalLink(s) {
  let url;
  try { url = new URL(s); } catch { throw new GS1Error('uri', `not a URI: "${clip(s)}"`); }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new GS1Error('uri', `a Digital Link is http(s), got ${url.protocol}`);
  const parts = url.pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  // the key and its qualifiers are the last pairs of the path (a resolver may put a prefix in front)
  const start = parts.findIndex((p, i) => ['01', '00', '414'].includes(p) && (parts.length - i) % 2 === 0);
  if (start < 0) throw new GS1Error('uri', 'no GS1 key (01, 00 or 414) in the path');
  const out = [];
  for (let i = start; i < parts.length; i += 2) {
    const ai = parts[i];
    if (!AIS[ai]) throw new GS1Error('ai', `unknown or unsupported application identifier (${ai}) in the path`);
    if (parts[i + 1] === undefined) throw new GS1Error(`(${ai}) ${AIS[ai][1]}`, 'truncated: the path ends without its value');
    // GTIN-8/12/13 may appear shortened in a Digital Link path (Digital Link §4.5): widen them
    out.push({ ai, raw: ai === '01' && /^\d{8,13}$/.test(parts[i + 1]) ? parts[i + 1].padStart(14, '0') : parts[i + 1] });
  }
  for (const [k, v] of url.searchParams) if (/^\d{2,4}$/.test(k)) {
    if (!AIS[k]) throw new GS1Error('ai', `unknown or unsupported application identifier (${k}) in the query`);
    out.push({ ai: k, raw: v });
  }
  return out;
}

const SYMBOLOGY = { ']C1': 'gs1-128', ']e0': 'gs1-databar', ']d2': 'gs1-datamatrix', ']Q3': 'gs1-qr', ']J1': 'gs1-dotcode', ']E0': 'ean-13', ']E4': 'ean-8', ']E3': 'ean-13' };

/**
 * What a scan says, whatever form it came in.
 * @param {string} text the scanner's or the decoder's text (GS for FNC1)
 * @param {{today?: Date}} [opts] the century window's "today" (tests)
 * @returns {{source:string, gtin?:string, sscc?:string, lot?:string, expiresOn?:string, producedOn?:string,
 *   bestBefore?:string, serial?:string, count?:number, netWeightKg?:number, elements:{ai:string, value:unknown}[]}}
 */
export function parseGs1(text, opts = {}) {
  if (typeof text !== 'string') throw new GS1Error('data', 'not text');
  if (text.length > 2000) throw new GS1Error('data', `longer than a barcode holds (${text.length} characters)`);
  // a keyboard wedge sends Enter (and some send the GS as "<GS>" or a caret notation)
  let s = text.replace(/[\r\n]+$/g, '').replace(/<GS>|\^\]|\{GS\}/g, GS);
  let source = 'element-string';
  const sym = SYMBOLOGY[s.slice(0, 3)];
  if (sym) { source = sym; s = s.slice(3); }
  else if (/^\][A-Za-z]\d/.test(s)) throw new GS1Error('symbology', `"${s.slice(0, 3)}" is not a GS1 symbology`);
  let elements;
  if (/^https?:\/\//i.test(s)) { source = 'digital-link'; elements = splitDigitalLink(s); }
  else if (s.startsWith('(')) { source = sym ?? 'hri'; elements = splitHri(s); }
  else if (/^\d{8}$|^\d{12,14}$/.test(s) && !s.includes(GS) && (sym?.startsWith('ean') || !sym)) {
    // a bare GTIN (EAN-8, UPC-A, EAN-13, ITF-14); a 16+ digit string is an element string
    source = sym ?? `gtin-${s.length}`;
    elements = [{ ai: '01', raw: toGtin14(s) }];
  } else elements = splitElementString(s);
  const today = opts.today ?? new Date();
  const out = { source, elements: [] };
  for (const { ai, raw } of elements) {
    const v = value(ai, raw, today);
    const name = AIS[ai][1];
    if (out[name] !== undefined && out[name] !== v) throw new GS1Error(`(${ai}) ${name}`, `appears twice with different values`);
    out[name] = v;
    out.elements.push({ ai, value: v });
  }
  return out;
}
