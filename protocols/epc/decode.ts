import { SpError } from '../errors.ts';
import { BitReader } from './bits.ts';
import { withCheckDigit } from './gs1-check-digit.ts';
import { GRAI_PARTITIONS, SGTIN_PARTITIONS, SSCC_PARTITIONS, type PartitionRow } from './partition.ts';

// EPC binary → GS1 identity, per the GS1 EPC Tag Data Standard (TDS 2.1, §14 "EPC binary
// encoding" and §6 "EPC URI"): https://ref.gs1.org/standards/tds/
//
// A portal reads every tag in the field, not only ours: a neighbour's pallet, a staff badge,
// an unprogrammed tag. So an EPC this gateway cannot decode is not an error — it comes back as
// `raw` with its hex and the reason, and the pipeline decides what to do with it. Only input
// that is not an EPC at all (not hex, not whole 16-bit words) is a coded SP_ERR_DECODE.

interface EpcBase {
  /** upper-case hex of the EPC as read */
  hex: string;
  /** TDS §12.3.1: urn:epc:raw:LENGTH.xHEX — always available, even when nothing decodes */
  rawUri: string;
}

export interface Sgtin extends EpcBase {
  scheme: 'sgtin-96' | 'sgtin-198';
  /** 0 all others, 1 point of sale item, 2 full case, 3 reserved, 4 inner pack, 6 unit load… (TDS §10.1) */
  filter: number;
  companyPrefix: string;
  /** indicator / pad digit followed by the item reference, as in the URI */
  itemReference: string;
  serial: string;
  /** GTIN-14 with its check digit */
  gtin: string;
  pureIdentityUri: string;
  tagUri: string;
}

export interface Sscc extends EpcBase {
  scheme: 'sscc-96';
  filter: number;
  companyPrefix: string;
  /** extension digit followed by the serial reference */
  serialReference: string;
  /** SSCC-18 with its check digit */
  sscc: string;
  pureIdentityUri: string;
  tagUri: string;
}

export interface Grai extends EpcBase {
  scheme: 'grai-96';
  filter: number;
  companyPrefix: string;
  assetType: string;
  serial: string;
  /** the GRAI as in AI (8003): 0 + company prefix + asset type + check digit + serial */
  grai: string;
  pureIdentityUri: string;
  tagUri: string;
}

export interface RawEpc extends EpcBase {
  scheme: 'raw';
  /** the 8-bit header, when there were at least 8 bits */
  header?: number;
  /** why it was not decoded, for an operator */
  reason: string;
}

export type DecodedEpc = Sgtin | Sscc | Grai | RawEpc;
export type DecodedGs1Epc = Exclude<DecodedEpc, RawEpc>;

/** TDS Table 14-1 headers this decoder knows */
export const EPC_HEADERS = { 'sgtin-96': 0x30, 'sscc-96': 0x31, 'grai-96': 0x33, 'sgtin-198': 0x36 } as const;

/** What the bits did not allow; becomes a `raw` result with this reason. */
class NotDecodable extends Error {}

/** Normalises reader output ("30 74 25…", "0x3074…", lower case) to upper-case hex or throws SP_ERR_DECODE. */
export function normaliseEpcHex(input: string, field = 'epc'): string {
  const hex = String(input).replace(/^0x/i, '').replace(/[\s:-]/g, '').toUpperCase();
  if (hex.length === 0) throw new SpError('SP_ERR_DECODE', { field, reason: 'empty: an EPC is hex digits, e.g. 3074257BF7194E4000001A85' });
  if (!/^[0-9A-F]+$/.test(hex)) throw new SpError('SP_ERR_DECODE', { field, reason: `"${input}" is not hexadecimal` });
  if (hex.length % 4 !== 0) throw new SpError('SP_ERR_DECODE', { field, reason: `${hex.length * 4} bits is not a whole number of 16-bit words (an EPC bank is word-aligned)` });
  return hex;
}

function rawUri(hex: string): string {
  return `urn:epc:raw:${hex.length * 4}.x${hex}`;
}

function partitionRow(table: readonly PartitionRow[], p: number, scheme: string): PartitionRow {
  const r = table[p];
  if (!r) throw new NotDecodable(`${scheme} partition value ${p} is reserved (0–6 are defined)`);
  return r;
}

/** A decimal field of fixed digits; its binary value must fit those digits (TDS §14.3.3 decoding rule). */
function digits(v: bigint, n: number, what: string): string {
  if (v >= 10n ** BigInt(n)) throw new NotDecodable(`${what} ${v} does not fit its ${n} digit(s) for this partition`);
  return n === 0 ? '' : v.toString().padStart(n, '0');
}

function sgtin96(hex: string, r: BitReader): Sgtin {
  const filter = Number(r.take(3));
  const p = partitionRow(SGTIN_PARTITIONS, Number(r.take(3)), 'SGTIN');
  const companyPrefix = digits(r.take(p.cpBits), p.cpDigits, 'company prefix');
  const itemReference = digits(r.take(p.otherBits), p.otherDigits, 'item reference');
  // SGTIN-96 serials are integers without leading zeros (TDS §14.3.3, "Integer" encoding)
  const serial = r.take(38).toString();
  return sgtinResult('sgtin-96', hex, filter, companyPrefix, itemReference, serial);
}

/** Characters that must be %-escaped in an EPC URI (TDS Table I.3.1-1 / §5 "GS3A3"). */
const URI_ESCAPES = new Set(['"', '%', '&', '/', '<', '>', '?']);

function sgtin198(hex: string, r: BitReader): Sgtin {
  const filter = Number(r.take(3));
  const p = partitionRow(SGTIN_PARTITIONS, Number(r.take(3)), 'SGTIN');
  const companyPrefix = digits(r.take(p.cpBits), p.cpDigits, 'company prefix');
  const itemReference = digits(r.take(p.otherBits), p.otherDigits, 'item reference');
  // 140 bits = 20 characters of 7-bit ISO 646, ended by the first all-zero character (TDS §14.3.2 "String")
  let serial = '';
  let ended = false;
  for (let i = 0; i < 20; i++) {
    const c = Number(r.take(7));
    if (c === 0) { ended = true; continue; }
    if (ended) throw new NotDecodable('serial has characters after its terminating zero');
    const ch = String.fromCharCode(c);
    if (!/[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]/.test(ch)) throw new NotDecodable(`serial character 0x${c.toString(16)} is not in the GS1 AI character set`);
    serial += ch;
  }
  return sgtinResult('sgtin-198', hex, filter, companyPrefix, itemReference, serial);
}

function sgtinResult(scheme: Sgtin['scheme'], hex: string, filter: number, companyPrefix: string, itemReference: string, serial: string): Sgtin {
  // GTIN-14 = indicator (first digit of the item reference) + company prefix + rest of the item reference + check digit
  const gtin = withCheckDigit(itemReference.slice(0, 1) + companyPrefix + itemReference.slice(1));
  const uriSerial = [...serial].map((c) => (URI_ESCAPES.has(c) ? `%${c.charCodeAt(0).toString(16).toUpperCase()}` : c)).join('');
  return {
    scheme, hex, rawUri: rawUri(hex), filter, companyPrefix, itemReference, serial, gtin,
    pureIdentityUri: `urn:epc:id:sgtin:${companyPrefix}.${itemReference}.${uriSerial}`,
    tagUri: `urn:epc:tag:${scheme}:${filter}.${companyPrefix}.${itemReference}.${uriSerial}`,
  };
}

function sscc96(hex: string, r: BitReader): Sscc {
  const filter = Number(r.take(3));
  const p = partitionRow(SSCC_PARTITIONS, Number(r.take(3)), 'SSCC');
  const companyPrefix = digits(r.take(p.cpBits), p.cpDigits, 'company prefix');
  const serialReference = digits(r.take(p.otherBits), p.otherDigits, 'serial reference');
  // the last 24 bits are reserved (zero when encoded); TDS says decoders ignore them
  const sscc = withCheckDigit(serialReference.slice(0, 1) + companyPrefix + serialReference.slice(1));
  return {
    scheme: 'sscc-96', hex, rawUri: rawUri(hex), filter, companyPrefix, serialReference, sscc,
    pureIdentityUri: `urn:epc:id:sscc:${companyPrefix}.${serialReference}`,
    tagUri: `urn:epc:tag:sscc-96:${filter}.${companyPrefix}.${serialReference}`,
  };
}

function grai96(hex: string, r: BitReader): Grai {
  const filter = Number(r.take(3));
  const p = partitionRow(GRAI_PARTITIONS, Number(r.take(3)), 'GRAI');
  const companyPrefix = digits(r.take(p.cpBits), p.cpDigits, 'company prefix');
  const assetType = digits(r.take(p.otherBits), p.otherDigits, 'asset type');
  const serial = r.take(38).toString();
  return {
    scheme: 'grai-96', hex, rawUri: rawUri(hex), filter, companyPrefix, assetType, serial,
    grai: `${withCheckDigit(`0${companyPrefix}${assetType}`)}${serial}`,
    pureIdentityUri: `urn:epc:id:grai:${companyPrefix}.${assetType}.${serial}`,
    tagUri: `urn:epc:tag:grai-96:${filter}.${companyPrefix}.${assetType}.${serial}`,
  };
}

const SCHEMES: Record<number, { name: string; bits: number; decode: (hex: string, r: BitReader) => DecodedGs1Epc }> = {
  [EPC_HEADERS['sgtin-96']]: { name: 'SGTIN-96', bits: 96, decode: sgtin96 },
  [EPC_HEADERS['sscc-96']]: { name: 'SSCC-96', bits: 96, decode: sscc96 },
  [EPC_HEADERS['grai-96']]: { name: 'GRAI-96', bits: 96, decode: grai96 },
  [EPC_HEADERS['sgtin-198']]: { name: 'SGTIN-198', bits: 198, decode: sgtin198 },
};

/**
 * Decodes one EPC (the EPC bank's EPC field, as readers report it in `epcHex` / `idHex`).
 * Throws SP_ERR_DECODE only for input that is not hex words; a valid EPC of another scheme, a
 * reserved partition or a too-short bank gives `{scheme: 'raw', reason}`.
 */
export function decodeEpc(input: string): DecodedEpc {
  const hex = normaliseEpcHex(input);
  const raw = (reason: string, header?: number): RawEpc => ({ scheme: 'raw', hex, rawUri: rawUri(hex), ...(header === undefined ? {} : { header }), reason });
  if (hex.length < 2) return raw('shorter than the 8-bit header');
  const r = new BitReader(hex);
  const header = Number(r.take(8));
  const scheme = SCHEMES[header];
  if (!scheme) {
    const known = Object.entries(EPC_HEADERS).map(([n, h]) => `${n.toUpperCase()} 0x${h.toString(16).toUpperCase()}`).join(', ');
    return raw(`header 0x${header.toString(16).toUpperCase().padStart(2, '0')} is not a scheme this gateway decodes (${known})`, header);
  }
  if (r.length < scheme.bits) return raw(`${scheme.name} needs ${scheme.bits} bits, the tag reported ${r.length}`, header);
  try {
    return scheme.decode(hex, r);
  } catch (e) {
    if (e instanceof NotDecodable) return raw(`${scheme.name}: ${e.message}`, header);
    throw e;
  }
}

/** The GS1 key a movement is booked against: GTIN for trade items, SSCC / GRAI otherwise. */
export function epcKey(e: DecodedEpc): { gtin?: string; sscc?: string; grai?: string } {
  switch (e.scheme) {
    case 'sgtin-96': case 'sgtin-198': return { gtin: e.gtin };
    case 'sscc-96': return { sscc: e.sscc };
    case 'grai-96': return { grai: e.grai };
    default: return {};
  }
}
