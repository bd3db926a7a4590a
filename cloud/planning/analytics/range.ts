import { z } from 'zod';
import { SpError } from '../../../protocols/errors.ts';
import { IsoDate } from '../../inventory/model.ts';
import { dayFromIso, dayOf, isoDay } from '../days.ts';

// The period every analytics figure covers: whole UTC days from `from` to `to`, both included.
// Default: the last 182 days (26 weeks ≈ 6 months) up to today.

export const RangeQuery = z.object({
  from: IsoDate.optional().describe('first day (UTC), default 181 days before `to`'),
  to: IsoDate.optional().describe('last day (UTC), default today'),
});

export interface DayRange { fromDay: number; /** exclusive */ toDay: number; nowMs: number }

export function dayRange(q: { from?: string; to?: string }, nowMs = Date.now()): DayRange {
  const last = q.to ? dayFromIso(q.to) : dayOf(nowMs);
  const first = q.from ? dayFromIso(q.from) : last - 181;
  if (first > last) throw new SpError('SP_ERR_VALIDATION', { field: 'querystring.from', reason: `from ${isoDay(first)} is after to ${isoDay(last)}` });
  if (last - first > 3660) throw new SpError('SP_ERR_VALIDATION', { field: 'querystring.from', reason: 'at most 10 years at a time' });
  return { fromDay: first, toDay: last + 1, nowMs };
}

export const rangeOut = (r: DayRange) => ({ from: isoDay(r.fromDay), to: isoDay(r.toDay - 1), days: r.toDay - r.fromDay });
/** a ratio kept to 4 decimals, null when there is nothing to divide by */
export const ratio = (a: number, b: number): number | null => (b > 0 ? Math.round((a / b) * 1e4) / 1e4 : null);
export const round2 = (n: number): number => Math.round(n * 100) / 100;
