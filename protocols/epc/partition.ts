// GS1 EPC Tag Data Standard partition tables: the 3-bit partition value says how the bits
// after it split between the GS1 Company Prefix and the second field, so a 6- to 12-digit
// company prefix fits a fixed-width binary EPC. TDS 2.1 §14.5.1 (SGTIN, Table 14-2),
// §14.5.2 (SSCC, Table 14-4), §14.5.4 (GRAI, Table 14-8):
// https://ref.gs1.org/standards/tds/

export interface PartitionRow {
  /** company prefix: bits, decimal digits */
  cpBits: number;
  cpDigits: number;
  /** the other field (item reference / serial reference / asset type): bits, decimal digits */
  otherBits: number;
  otherDigits: number;
}

const row = (cpBits: number, cpDigits: number, otherBits: number, otherDigits: number): PartitionRow => ({ cpBits, cpDigits, otherBits, otherDigits });

/** SGTIN: company prefix + indicator/item reference = 44 bits, 13 digits */
export const SGTIN_PARTITIONS: readonly PartitionRow[] = [
  row(40, 12, 4, 1), row(37, 11, 7, 2), row(34, 10, 10, 3), row(30, 9, 14, 4), row(27, 8, 17, 5), row(24, 7, 20, 6), row(20, 6, 24, 7),
];

/** SSCC: company prefix + extension/serial reference = 58 bits, 17 digits */
export const SSCC_PARTITIONS: readonly PartitionRow[] = [
  row(40, 12, 18, 5), row(37, 11, 21, 6), row(34, 10, 24, 7), row(30, 9, 28, 8), row(27, 8, 31, 9), row(24, 7, 34, 10), row(20, 6, 38, 11),
];

/** GRAI: company prefix + asset type = 44 bits, 12 digits (asset type may have 0 digits) */
export const GRAI_PARTITIONS: readonly PartitionRow[] = [
  row(40, 12, 4, 0), row(37, 11, 7, 1), row(34, 10, 10, 2), row(30, 9, 14, 3), row(27, 8, 17, 4), row(24, 7, 20, 5), row(20, 6, 24, 6),
];
