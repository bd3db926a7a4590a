import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeEpc, epcKey } from '../../protocols/epc/decode.ts';
import { encodeGrai96, encodeSgtin198, encodeSgtin96, encodeSscc96, sgtinFromGtin } from '../../protocols/epc/encode.ts';
import { gs1CheckDigit, hasValidCheckDigit } from '../../protocols/epc/gs1-check-digit.ts';
import { isSpError } from '../../protocols/errors.ts';

// GS1 EPC Tag Data Standard examples: https://ref.gs1.org/standards/tds/ (TDS 1.x Appendix E,
// "Example of a specific trade item (SGTIN)"; TDS 2.1 §14.5.1 for the bit layout).

describe('EPC decoding (GS1 TDS)', () => {
  it('SGTIN-96: the TDS worked example 3074257BF7194E4000001A85', () => {
    expect(decodeEpc('3074257BF7194E4000001A85')).toEqual({
      scheme: 'sgtin-96',
      hex: '3074257BF7194E4000001A85',
      rawUri: 'urn:epc:raw:96.x3074257BF7194E4000001A85',
      filter: 3,
      companyPrefix: '0614141',
      itemReference: '812345',
      serial: '6789',
      // indicator 8 + 0614141 + 12345 + check digit 8
      gtin: '80614141123458',
      pureIdentityUri: 'urn:epc:id:sgtin:0614141.812345.6789',
      tagUri: 'urn:epc:tag:sgtin-96:3.0614141.812345.6789',
    });
  });

  it('accepts reader spellings: lower case, 0x prefix, spaces', () => {
    expect(decodeEpc('0x3074 257b f719 4e40 0000 1a85')).toMatchObject({ scheme: 'sgtin-96', serial: '6789' });
  });

  it('SSCC-96: the GS1 example SSCC 106141412345678908', () => {
    // urn:epc:tag:sscc-96:3.0614141.1234567890 (TDS example); SSCC-18 per GS1 General Specifications
    const d = decodeEpc('3174257BF4499602D2000000');
    expect(d).toMatchObject({
      scheme: 'sscc-96', filter: 3, companyPrefix: '0614141', serialReference: '1234567890', sscc: '106141412345678908',
      pureIdentityUri: 'urn:epc:id:sscc:0614141.1234567890', tagUri: 'urn:epc:tag:sscc-96:3.0614141.1234567890',
    });
    expect(epcKey(d)).toEqual({ sscc: '106141412345678908' });
  });

  it('GRAI-96: urn:epc:tag:grai-96:3.0614141.12345.5678', () => {
    const hex = encodeGrai96({ filter: 3, companyPrefix: '0614141', assetType: '12345', serial: 5678 });
    expect(hex).toBe('3374257BF40C0E400000162E');
    expect(decodeEpc(hex)).toMatchObject({
      scheme: 'grai-96', companyPrefix: '0614141', assetType: '12345', serial: '5678',
      grai: '006141411234525678', pureIdentityUri: 'urn:epc:id:grai:0614141.12345.5678',
    });
  });

  it('SGTIN-198: alphanumeric serial with URI escaping (TDS example serial "32a/b")', () => {
    const hex = encodeSgtin198({ filter: 3, companyPrefix: '0614141', itemReference: '812345', serial: '32a/b' });
    expect(hex).toHaveLength(52); // 198 bits padded to 13 words
    expect(decodeEpc(hex)).toMatchObject({
      scheme: 'sgtin-198', serial: '32a/b', gtin: '80614141123458',
      pureIdentityUri: 'urn:epc:id:sgtin:0614141.812345.32a%2Fb', tagUri: 'urn:epc:tag:sgtin-198:3.0614141.812345.32a%2Fb',
    });
  });

  it('every partition (6- to 12-digit company prefixes) round-trips, GTIN check digit valid', () => {
    fc.assert(fc.property(fc.integer({ min: 6, max: 12 }), fc.integer({ min: 0, max: 7 }), fc.bigInt({ min: 0n, max: (1n << 38n) - 1n }), fc.integer({ min: 0, max: 9 }),
      (cpLen, filter, serial, indicator) => {
        const companyPrefix = '0614141123456'.slice(0, cpLen);
        const itemReference = `${indicator}${'987654321'.slice(0, 12 - cpLen)}`;
        const d = decodeEpc(encodeSgtin96({ filter, companyPrefix, itemReference, serial }));
        expect(d).toMatchObject({ scheme: 'sgtin-96', filter, companyPrefix, itemReference, serial: serial.toString() });
        expect(hasValidCheckDigit((d as { gtin: string }).gtin)).toBe(true);
      }), { numRuns: 200 });
  });

  it('sgtinFromGtin puts a GTIN-14 on a tag', () => {
    const hex = sgtinFromGtin('80614141123458', 7, 6789, 3);
    expect(hex).toBe('3074257BF7194E4000001A85');
  });

  it('GS1 check digits: GTIN-13 4006381333931, SSCC 106141412345678908', () => {
    expect(gs1CheckDigit('400638133393')).toBe(1);
    expect(hasValidCheckDigit('106141412345678908')).toBe(true);
    expect(hasValidCheckDigit('106141412345678907')).toBe(false);
  });

  it('a tag of another scheme comes back raw with its reason, not an error', () => {
    // a factory-programmed Impinj Monza tag (EPC = TID-like serial), as in the R700 example frame
    const d = decodeEpc('E2801190A5021F80055817CA');
    expect(d).toMatchObject({ scheme: 'raw', header: 0xe2, hex: 'E2801190A5021F80055817CA' });
    expect((d as { reason: string }).reason).toContain('header 0xE2');
  });

  it('reserved partition 7, a too-short bank and an overflowing field are raw with reasons', () => {
    // header 30, filter 1, partition 7
    expect(decodeEpc('303C00000000000000000000')).toMatchObject({ scheme: 'raw', reason: expect.stringContaining('partition value 7') });
    expect(decodeEpc('30742579')).toMatchObject({ scheme: 'raw', reason: expect.stringContaining('needs 96 bits') });
    // partition 6 (6-digit prefix, 20 bits): prefix bits all ones = 1048575 > 999999
    expect(decodeEpc('3079FFFFF00000000000002A')).toMatchObject({ scheme: 'raw', reason: expect.stringContaining('does not fit') });
  });

  it('garbage is a coded SP_ERR_DECODE naming the field', () => {
    for (const bad of ['', 'xyz', '30742', '3074257BF7194E4000001A8G']) {
      try {
        decodeEpc(bad);
        expect.unreachable(bad);
      } catch (e) {
        expect(isSpError(e) && e.code).toBe('SP_ERR_DECODE');
        expect(isSpError(e) && e.details[0]!.field).toBe('epc');
      }
    }
  });

  it('encoder rejects values that do not fit', () => {
    expect(() => encodeSgtin96({ filter: 8, companyPrefix: '0614141', itemReference: '812345', serial: 1 })).toThrow(/filter/);
    expect(() => encodeSgtin96({ filter: 1, companyPrefix: '06141', itemReference: '812345', serial: 1 })).toThrow(/6 to 12 digits/);
    expect(() => encodeSgtin96({ filter: 1, companyPrefix: '0614141', itemReference: '812345', serial: 2n ** 38n })).toThrow(/serial/);
    expect(() => encodeSscc96({ filter: 1, companyPrefix: '0614141', serialReference: '1' })).toThrow(/10 digit/);
  });
});
