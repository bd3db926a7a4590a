import { describe, expect, it } from 'vitest';
import { GS, checkDigit, gs1Date, parseGs1, toGtin14 } from '../../protocols/gs1/gs1.js';

// The GS1 scan parser with the examples the standards themselves print, then hostile input.
// Sources: GS1 General Specifications (check digit §7.9.1 example GTIN 09501101530003 / SSCC
// 106141412345678908; element string examples in §5.10 with (01)(17)(10)); GS1 Digital Link
// Standard 1.x §4 examples (https://id.gs1.org/01/09520123456788/10/ABC1/21/12345?17=180426);
// EAN-13 4006381333931 (a retail product label, also the example of several GS1 libraries).
const today = new Date('2026-12-06T00:00:00Z');
const err = (f: () => unknown) => {
  try { f(); } catch (e: any) { return { code: e.code, field: e.details?.[0]?.field, reason: e.details?.[0]?.reason }; }
  throw new Error('did not throw');
};

describe('GS1 keys and dates', () => {
  it('computes the mod-10 check digit of the General Specifications examples', () => {
    expect(checkDigit('0950110153000')).toBe(3);
    expect(checkDigit('10614141234567890')).toBe(8);
    expect(checkDigit('400638133393')).toBe(1);
  });
  it('widens EAN-13, UPC-A and EAN-8 to GTIN-14 and refuses a wrong check digit', () => {
    expect(toGtin14('4006381333931')).toBe('04006381333931');
    expect(toGtin14('036000291452')).toBe('00036000291452');
    expect(toGtin14('96385074')).toBe('00000096385074');
    expect(err(() => toGtin14('4006381333932'))).toEqual({ code: 'SP_ERR_DECODE', field: 'gtin', reason: 'check digit 2 where 1 is expected' });
    expect(err(() => toGtin14('12345')).reason).toMatch(/8, 12, 13 or 14 digits/);
  });
  it('reads YYMMDD with DD=00 as the last day of the month and the century window', () => {
    expect(gs1Date('250101', 'd', today)).toBe('2025-01-01');
    expect(gs1Date('280200', 'd', today)).toBe('2028-02-29');
    expect(gs1Date('270400', 'd', today)).toBe('2027-04-30');
    expect(gs1Date('991231', 'd', today)).toBe('1999-12-31');   // 99 − 26 ≥ 51 → last century
    expect(gs1Date('750101', 'd', today)).toBe('2075-01-01');   // 75 − 26 = 49 → this century
    expect(err(() => gs1Date('251301', 'd', today)).reason).toMatch(/month 13/);
    expect(err(() => gs1Date('250230', 'd', today)).reason).toMatch(/past the end of the month \(28\)/);
  });
});

describe('GS1 element strings (GS1-128, DataMatrix, QR)', () => {
  it('reads (01)(17)(10) with the symbology identifier and no FNC1 needed after fixed-length AIs', () => {
    const s = parseGs1(']C1010950110153000317250101' + '10ABC123', { today });
    expect(s).toMatchObject({ source: 'gs1-128', gtin: '09501101530003', expiresOn: '2025-01-01', lot: 'ABC123' });
    expect(s.elements.map((e) => e.ai)).toEqual(['01', '17', '10']);
  });
  it('ends a variable-length lot at FNC1 (GS) and reads serial, count and net weight with decimals', () => {
    const s = parseGs1(`]d201095011015300031010ABC${GS}21SN-7${GS}3103001250` + `37${'24'}`, { today });
    expect(s).toMatchObject({ source: 'gs1-datamatrix', gtin: '09501101530003', lot: '10ABC', serial: 'SN-7', netWeightKg: 1.25, count: 24 });
  });
  it('reads an SSCC with its check digit', () => {
    expect(parseGs1('00106141412345678908', { today }).sscc).toBe('106141412345678908');
    expect(err(() => parseGs1('00106141412345678907', { today }))).toMatchObject({ field: '(00) sscc', reason: 'check digit 7 where 8 is expected' });
  });
  it('reads the human-readable form with parentheses and a leading FNC1', () => {
    expect(parseGs1('(01)09520123456788(10)ABC123(17)271231', { today })).toMatchObject({ source: 'hri', gtin: '09520123456788', lot: 'ABC123', expiresOn: '2027-12-31' });
    expect(parseGs1(`${GS}0109520123456788${GS}17270400`, { today })).toMatchObject({ expiresOn: '2027-04-30' });
  });
  it('takes a keyboard wedge line: Enter at the end, GS typed as <GS>', () => {
    expect(parseGs1('010952012345678810L1<GS>17270100\r\n', { today })).toMatchObject({ gtin: '09520123456788', lot: 'L1', expiresOn: '2027-01-31' });
  });
  it('treats a bare EAN-13 (with or without ]E0) as a GTIN', () => {
    expect(parseGs1('4006381333931', { today })).toMatchObject({ source: 'gtin-13', gtin: '04006381333931' });
    expect(parseGs1(']E04006381333931', { today })).toMatchObject({ source: 'ean-13', gtin: '04006381333931' });
  });
});

describe('GS1 Digital Link', () => {
  it('reads the key and qualifiers from the path and AIs from the query', () => {
    expect(parseGs1('https://id.gs1.org/01/09520123456788/10/ABC1/21/12345?17=180426', { today }))
      .toMatchObject({ source: 'digital-link', gtin: '09520123456788', lot: 'ABC1', serial: '12345', expiresOn: '2018-04-26' });
  });
  it('widens a GTIN-13 in the path, decodes %-escapes and ignores non-AI query keys', () => {
    expect(parseGs1('https://example.com/shop/01/4006381333931/10/L%2F7?17=270400&utm=x', { today }))
      .toMatchObject({ gtin: '04006381333931', lot: 'L/7', expiresOn: '2027-04-30' });
  });
  it('refuses a link without a key or with a bad GTIN', () => {
    expect(err(() => parseGs1('https://id.gs1.org/10/ABC', { today }))).toMatchObject({ code: 'SP_ERR_DECODE', field: 'uri' });
    expect(err(() => parseGs1('https://id.gs1.org/01/09520123456789', { today }))).toMatchObject({ field: '(01) gtin', reason: 'check digit 9 where 8 is expected' });
  });
});

describe('hostile scans get SP_ERR_DECODE naming the field', () => {
  it.each([
    ['bad GTIN check digit', '0109501101530004', '(01) gtin', /check digit 4 where 3/],
    ['unknown AI', '0109501101530003' + '9912', 'ai', /unknown or unsupported application identifier at "9912/],
    ['truncated GTIN', '01095011015', '(01) gtin', /truncated: 14 characters expected, 9 left/],
    ['truncated date', '0109501101530003172501', '(17) expiresOn', /truncated/],
    ['lot too long', '10' + 'A'.repeat(21), '(10) lot', /longer than 20/],
    ['lot with a forbidden character', '10AB C', '(10) lot', /character outside/],
    ['empty lot', `10${GS}17250101`, '(10) lot', /empty/],
    ['impossible expiry', '1725134110L1', '(17) expiresOn', /month 13/],
    ['not digits at all', 'hello', 'ai', /expected an application identifier/],
    ['a non-GS1 symbology', ']A0HELLO', 'symbology', /not a GS1 symbology/],
    ['the same AI twice, two values', `10A${GS}10B`, '(10) lot', /twice/],
    ['far too long', '10' + 'A'.repeat(3000), 'data', /longer than a barcode holds/],
  ])('%s', (_name, input, field, reason) => {
    const e = err(() => parseGs1(input, { today }));
    expect(e.code).toBe('SP_ERR_DECODE');
    expect(e.field).toBe(field);
    expect(e.reason).toMatch(reason);
  });
});
