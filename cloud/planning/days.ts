// Planning works in whole UTC days, numbered from the epoch (day 0 = Thursday 1970-01-01), so
// series are plain arrays and day arithmetic is integer arithmetic.

export const DAY_MS = 86_400_000;
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);
export const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
export const dayFromIso = (iso: string): number => dayOf(Date.parse(`${iso}T00:00:00Z`));
/** 0 = Monday … 6 = Sunday */
export const weekday = (day: number): number => (((day + 3) % 7) + 7) % 7;
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
/** the Monday on or before the day */
export const weekStart = (day: number): number => day - weekday(day);
