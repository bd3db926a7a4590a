import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

// The web UI's one formatter (dashboards/web/format.js, a DOM-free ES module) under the locales
// an operator's browser may have: 24 h clock everywhere, no AM/PM, dates that cannot be read two
// ways, numbers with the locale's separators. Plus a guard that the other web files format
// dates and numbers through it rather than on their own.

interface Format {
  setLocale(tag: string | null): void;
  currentLocale(): string | undefined;
  fmtNum(v: number, digits?: number): string;
  fmtQty(v: number, maxDigits?: number): string;
  fmtClock(ms: number, withSeconds?: boolean): string;
  fmtDate(ms: number | string): string;
  fmtDay(isoDay: string): string;
  fmtDateTime(ms: number | string, withSeconds?: boolean): string;
  fmtTime(ms: number, now?: number): string;
  fmtAxisTime(ms: number, incrSec: number): string;
  fmtIsoDay(ms: number): string;
  fmtDuration(ms: number): string;
}

const WEB = new URL('../../dashboards/web/', import.meta.url);
// a plain .js module (no types): imported by URL so the typecheck does not need allowJs
const f = (await import(new URL('format.js', WEB).href)) as Format;

const evening = new Date(2026, 11, 5, 20, 10, 18).getTime(); // 5 Dec 2026 20:10:18 local
const afterMidnight = new Date(2026, 11, 6, 0, 5, 0).getTime();
const twelveHour = /\b(AM|PM|am|pm|a\.m\.|p\.m\.)\b|上午|下午|午前|午後|오전|오후/;

afterEach(() => {
  f.setLocale(null);
  vi.unstubAllGlobals();
});

describe('format.js', () => {
  it.each(['en-US', 'zh-CN', 'en-GB', 'de-DE', 'ja-JP', 'ko-KR', 'ar-EG'])('%s: 24 h clock, no AM/PM, month in words', (locale) => {
    f.setLocale(locale);
    const texts = [
      f.fmtClock(evening), f.fmtClock(afterMidnight, false), f.fmtDateTime(evening), f.fmtDateTime(afterMidnight, true),
      f.fmtTime(evening, evening + 60_000), f.fmtTime(evening, evening + 3 * 86_400_000), f.fmtDate(evening), f.fmtDay('2026-07-06'),
    ];
    for (const t of texts) expect(t, `${locale}: ${t}`).not.toMatch(twelveHour);
    if (locale !== 'ar-EG') {
      // latin digits: the clock reads 20:10 and midnight is 00, not 12 or 24
      expect(f.fmtClock(evening)).toBe('20:10:18');
      expect(f.fmtClock(afterMidnight, false)).toBe('00:05');
      expect(f.fmtDateTime(evening)).toContain('20:10');
      expect(f.fmtDateTime(evening)).toContain('2026');
      expect(f.fmtTime(evening, evening + 3 * 86_400_000)).toContain('20:10');
      // 6 July, never confusable with 7 June: no all-numeric dd/mm or mm/dd
      expect(f.fmtDay('2026-07-06')).not.toMatch(/\b0?[67][./-]0?[67]\b/);
      expect(f.fmtDay('2026-07-06')).toMatch(/6/);
    }
  });

  it('writes the month as a word (en-US, zh-CN) and keeps the calendar day of date-only values', () => {
    f.setLocale('en-US');
    expect(f.fmtDay('2026-07-06')).toBe('Jul 6, 2026');
    expect(f.fmtDateTime(evening)).toBe('Dec 5, 2026, 20:10');
    expect(f.fmtTime(evening, evening + 60_000)).toBe('20:10:18');
    expect(f.fmtTime(evening, evening + 3 * 86_400_000)).toBe('Dec 5, 20:10');
    expect(f.fmtTime(evening, evening + 400 * 86_400_000)).toBe('Dec 5, 2026, 20:10');
    f.setLocale('zh-CN');
    expect(f.fmtDay('2026-07-06')).toBe('2026年7月6日');
    expect(f.fmtDateTime(evening)).toContain('20:10');
  });

  it('numbers use the locale separators and a real minus sign', () => {
    f.setLocale('en-US');
    expect(f.fmtNum(-18)).toBe('−18.0');
    expect(f.fmtNum(1234.56, 1)).toBe('1,234.6');
    expect(f.fmtQty(2.5)).toBe('2.5');
    expect(f.fmtQty(12)).toBe('12');
    expect(f.fmtQty(0.12345)).toBe('0.123');
    f.setLocale('de-DE');
    expect(f.fmtNum(-18)).toBe('−18,0');
    expect(f.fmtQty(1234.5)).toBe('1.234,5');
    expect(f.fmtNum(Number.NaN)).toBe('—');
  });

  it('chart axes are ISO-ordered and 24 h in every locale', () => {
    for (const locale of ['en-US', 'zh-CN']) {
      f.setLocale(locale);
      expect(f.fmtAxisTime(evening, 3600)).toBe('20:10');
      expect(f.fmtAxisTime(evening, 10)).toBe('20:10:18');
      expect(f.fmtAxisTime(new Date(2026, 11, 6).getTime(), 3600)).toBe('12-06');
      expect(f.fmtAxisTime(evening, 86_400)).toBe('2026-12-05');
    }
    expect(f.fmtDuration(3 * 3_600_000 + 5 * 60_000)).toBe('3h 05m');
  });

  it('follows the browser locale unless one was chosen (the hook for ?lang= / a stored choice)', () => {
    vi.stubGlobal('navigator', { language: 'de-DE', languages: ['de-DE', 'en'] });
    expect(f.currentLocale()).toBe('de-DE');
    expect(f.fmtNum(1.5)).toBe('1,5');
    f.setLocale('en-GB');
    expect(f.currentLocale()).toBe('en-GB');
    expect(f.fmtNum(1.5)).toBe('1.5');
    f.setLocale('not a locale!');
    expect(f.currentLocale()).toBe('de-DE');
  });

  it('the other web files format dates, times and numbers only through format.js (plural rules for the catalogues are not formatting)', () => {
    const offenders: string[] = [];
    for (const file of readdirSync(WEB).filter((n) => n.endsWith('.js') && n !== 'format.js')) {
      readFileSync(new URL(file, WEB), 'utf8').split('\n').forEach((line, i) => {
        if (/toLocale\w*String\(|\bIntl\.(?!PluralRules)|\.get(Hours|Minutes|Seconds)\(\)|new Date\([^)]*\)\.toString\(\)/.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
