import { SpError } from '../errors.ts';
import { BitWriter } from './bits.ts';
import { EPC_HEADERS } from './decode.ts';
import { GRAI_PARTITIONS, SGTIN_PARTITIONS, SSCC_PARTITIONS, type PartitionRow } from './partition.ts';

// GS1 identity → EPC binary (the inverse of decode.ts), for simulators that must put real
// tags in the field and for round-trip tests. TDS 2.1 §14.5: https://ref.gs1.org/standards/tds/

function partitionFor(table: readonly PartitionRow[], companyPrefix: string, field: string): { p: number; row: PartitionRow } {
  const p = table.findIndex((r) => r.cpDigits === companyPrefix.length);
  if (!/^\d+$/.test(companyPrefix) || p < 0) throw new SpError('SP_ERR_VALIDATION', { field, reason: `company prefix "${companyPrefix}" must be 6 to 12 digits` });
  return { p, row: table[p]! };
}

function checkFilter(filter: number): void {
  if (!Number.isInteger(filter) || filter < 0 || filter > 7) throw new SpError('SP_ERR_VALIDATION', { field: 'filter', reason: 'must be 0..7' });
}

function checkDigits(v: string, n: number, field: string): void {
  if (!new RegExp(`^\\d{${n}}$`).test(v)) throw new SpError('SP_ERR_VALIDATION', { field, reason: `must be exactly ${n} digit(s) for this company prefix length` });
}

function serialBits(serial: string | number | bigint, field = 'serial'): bigint {
  const s = BigInt(serial);
  if (s < 0n || s >= 1n << 38n || (typeof serial === 'string' && (!/^(0|[1-9]\d*)$/.test(serial)))) {
    throw new SpError('SP_ERR_VALIDATION', { field, reason: 'a 96-bit EPC serial is an integer 0..274877906943 without leading zeros' });
  }
  return s;
}

export interface SgtinFields {
  filter: number;
  companyPrefix: string;
  /** indicator digit + item reference (13 − company prefix length digits) */
  itemReference: string;
  serial: string | number | bigint;
}

export function encodeSgtin96(f: SgtinFields): string {
  checkFilter(f.filter);
  const { p, row } = partitionFor(SGTIN_PARTITIONS, f.companyPrefix, 'companyPrefix');
  checkDigits(f.itemReference, row.otherDigits, 'itemReference');
  return new BitWriter().put(EPC_HEADERS['sgtin-96'], 8).put(f.filter, 3).put(p, 3)
    .put(BigInt(f.companyPrefix), row.cpBits).put(BigInt(f.itemReference), row.otherBits).put(serialBits(f.serial), 38).hex(96);
}

/** The SGTIN of a GTIN-14: which digits are company prefix must be told (it is not in the GTIN). */
export function sgtinFromGtin(gtin: string, companyPrefixLength: number, serial: string | number | bigint, filter = 1): string {
  if (!/^\d{14}$/.test(gtin)) throw new SpError('SP_ERR_VALIDATION', { field: 'gtin', reason: 'must be 14 digits (GTIN-14)' });
  const companyPrefix = gtin.slice(1, 1 + companyPrefixLength);
  const itemReference = gtin[0]! + gtin.slice(1 + companyPrefixLength, 13);
  return encodeSgtin96({ filter, companyPrefix, itemReference, serial });
}

export function encodeSscc96(f: { filter: number; companyPrefix: string; serialReference: string }): string {
  checkFilter(f.filter);
  const { p, row } = partitionFor(SSCC_PARTITIONS, f.companyPrefix, 'companyPrefix');
  checkDigits(f.serialReference, row.otherDigits, 'serialReference');
  return new BitWriter().put(EPC_HEADERS['sscc-96'], 8).put(f.filter, 3).put(p, 3)
    .put(BigInt(f.companyPrefix), row.cpBits).put(BigInt(f.serialReference), row.otherBits).put(0, 24).hex(96);
}

export function encodeGrai96(f: { filter: number; companyPrefix: string; assetType: string; serial: string | number | bigint }): string {
  checkFilter(f.filter);
  const { p, row } = partitionFor(GRAI_PARTITIONS, f.companyPrefix, 'companyPrefix');
  checkDigits(f.assetType, row.otherDigits, 'assetType');
  return new BitWriter().put(EPC_HEADERS['grai-96'], 8).put(f.filter, 3).put(p, 3)
    .put(BigInt(f.companyPrefix), row.cpBits).put(row.otherDigits === 0 ? 0n : BigInt(f.assetType), row.otherBits).put(serialBits(f.serial), 38).hex(96);
}

/** SGTIN-198: alphanumeric serial, up to 20 characters of the GS1 AI set, 7 bits each. */
export function encodeSgtin198(f: Omit<SgtinFields, 'serial'> & { serial: string }): string {
  checkFilter(f.filter);
  const { p, row } = partitionFor(SGTIN_PARTITIONS, f.companyPrefix, 'companyPrefix');
  checkDigits(f.itemReference, row.otherDigits, 'itemReference');
  if (f.serial.length > 20 || !/^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*$/.test(f.serial)) {
    throw new SpError('SP_ERR_VALIDATION', { field: 'serial', reason: 'up to 20 characters of the GS1 AI character set' });
  }
  const w = new BitWriter().put(EPC_HEADERS['sgtin-198'], 8).put(f.filter, 3).put(p, 3)
    .put(BigInt(f.companyPrefix), row.cpBits).put(BigInt(f.itemReference), row.otherBits);
  for (let i = 0; i < 20; i++) w.put(i < f.serial.length ? f.serial.charCodeAt(i) : 0, 7);
  return w.hex(208); // 198 bits padded to 13 16-bit words: the EPC bank holds whole words (Gen2 PC length field)
}
