import type { JobDefinition } from '../jobs/job.ts';
import { DEFAULT_SETTINGS } from '../config.ts';
import { replenishmentOptions, runReplenishment } from './replenishment.ts';

// Replenishment as a scheduled job: daily, after midnight UTC so yesterday's demand is complete.
// Idempotent for its day: a re-run recomputes the same plan, keeps the open alert and finds
// the open draft order instead of adding another.

export const replenishmentJob: JobDefinition = {
  name: 'replenishment',
  description: 'demand (6 months, day-of-week seasonality) → safety stock and reorder point per item; low_stock alert and a draft purchase order below it',
  schedule: '15 2 * * *',
  async run(ctx) {
    const counts = await runReplenishment(ctx.db, { now: ctx.now, notify: ctx.notify, options: replenishmentOptions(ctx.settings ?? DEFAULT_SETTINGS) });
    ctx.progress(counts.items, counts.items);
    return counts;
  },
};
