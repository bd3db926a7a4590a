import type { Queryable } from '../db/engine.ts';

// A person's settings (today the UI language), by the name on their API token: the web UI asks for
// it at sign-in so the language follows the person to another browser or phone.

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

export interface Preferences { locale: Locale | null }

export async function getPreferences(db: Queryable, name: string): Promise<Preferences> {
  const rows = await db.query<{ locale: Locale }>('SELECT locale FROM user_preferences WHERE name = $1', [name]);
  return { locale: rows[0]?.locale ?? null };
}

export async function setPreferences(db: Queryable, name: string, p: { locale: Locale }): Promise<Preferences> {
  await db.query(
    `INSERT INTO user_preferences (name, locale) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET locale = excluded.locale, updated_at = now()`, [name, p.locale]);
  return getPreferences(db, name);
}
