import { LOCALES, type Locale } from '../../auth/preferences.ts';
import en from './en.ts';
import zh from './zh-CN.ts';

// The notifier's server-side catalogue: tr(locale, key, params) fills {placeholders}. A key
// missing in a language falls back to English (the catalogue test keeps that from happening).
export { LOCALES, type Locale };
export type NotifyKey = keyof typeof en;
export const catalogues: Record<Locale, Record<NotifyKey, string>> = { en, 'zh-CN': zh };

export function tr(locale: Locale | undefined, key: NotifyKey, params: Record<string, string | number> = {}): string {
  const s = catalogues[locale ?? 'en']?.[key] ?? en[key];
  return s.replace(/\{(\w+)\}/g, (m, p: string) => (p in params ? String(params[p]) : m));
}

/** a word of a family (rule.*, severity.*) or undefined when the catalogue has none for this value */
export function trWord(locale: Locale | undefined, prefix: 'rule' | 'severity' | 'titleSeverity', value: string): string | undefined {
  const key = `${prefix}.${value}`;
  return key in en ? tr(locale, key as NotifyKey) : undefined;
}
