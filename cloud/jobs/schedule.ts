import { CronExpressionParser } from 'cron-parser';
import { SpError } from '../../protocols/errors.ts';

// Cron arithmetic (UTC) and what a "period" is. A run's period is the cron interval it covers:
// from one fire to the next. A daily job firing at 00:15 therefore covers 25 Nov 00:15 → 26 Nov
// 00:15 when it runs on 25 Nov, and a manual run at 14:00 the same day covers the same period,
// so it is the same idempotency key as the scheduled run.

export interface Period { from: Date; to: Date }

const parse = (expr: string, at: Date) => CronExpressionParser.parse(expr, { currentDate: at, tz: 'UTC' });

/** throws a coded error naming the field when the expression is not valid cron */
export function assertCron(expr: string, field: string): void {
  try {
    parse(expr, new Date()).next();
  } catch (e) {
    throw new SpError('SP_ERR_CONFIG', { field, reason: `"${expr}" is not a valid cron expression: ${(e as Error).message}` });
  }
}

/** the latest fire at or before `at` */
export function latestFire(expr: string, at: Date): Date {
  return parse(expr, new Date(at.getTime() + 1)).prev().toDate();
}

/** the first fire strictly after `at` */
export function nextFire(expr: string, at: Date): Date {
  return parse(expr, at).next().toDate();
}

/** the cron interval that contains `at` */
export function periodContaining(expr: string, at: Date): Period {
  const from = latestFire(expr, at);
  return { from, to: nextFire(expr, from) };
}

/**
 * A period named by a person (`--period`, POST body): a bare date `2026-11-25` means the period
 * starting at that day's first fire (the day's run); a full timestamp means the period
 * containing that instant.
 */
export function periodFromInput(expr: string, input: string, field: string): Period {
  const bareDate = /^\d{4}-\d{2}-\d{2}$/.test(input);
  const t = Date.parse(bareDate ? `${input}T00:00:00Z` : input);
  if (!Number.isFinite(t)) {
    throw new SpError('SP_ERR_VALIDATION', { field, reason: `"${input}" is neither a date (YYYY-MM-DD) nor an ISO timestamp` });
  }
  if (!bareDate) return periodContaining(expr, new Date(t));
  const from = nextFire(expr, new Date(t - 1));
  return { from, to: nextFire(expr, from) };
}
