import type { JobDefinition } from '../jobs/job.ts';
import { pruneDeadLetters } from './dead-letters.ts';

// Dead-letter retention as a scheduled job: once a day, rows older than the retention period go,
// and any source still over its row cap is cut back to its newest rows (dead-letters.ts).
// Idempotent: a second run for the same day finds nothing left to delete.
export const deadLetterRetentionJob: JobDefinition = {
  name: 'dead-letter-retention',
  description: 'delete dead letters older than 30 days and cut every source back to its newest 10 000',
  schedule: '23 1 * * *',
  run: async (ctx) => {
    const r = await pruneDeadLetters(ctx.db, ctx.now);
    if (r.expired || r.overCap) ctx.log.info(r, 'dead letters pruned');
    return { expired: r.expired, over_cap: r.overCap };
  },
};
