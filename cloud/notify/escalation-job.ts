import type { JobDefinition } from '../jobs/job.ts';
import { DEFAULT_SETTINGS } from '../config.ts';
import { escalationPass } from './escalation.ts';

// The escalation pass as a scheduled job: every minute (escalation and reminder intervals are
// whole minutes). The dispatcher also runs the same pass every few seconds so a new alert reaches
// its first contact quickly; both are safe together because the pass is idempotent for a clock
// value (keyed outbox rows, ON CONFLICT DO NOTHING).
export const alertEscalationJob: JobDefinition = {
  name: 'alert-escalation',
  description: 'route new alerts to their contacts, escalate unacknowledged ones to the next contact, send repeat reminders',
  schedule: '* * * * *',
  run: async (ctx) => {
    const r = await escalationPass(ctx.db, ctx.now, { publicUrl: (ctx.settings ?? DEFAULT_SETTINGS).STOCKPULSE_PUBLIC_URL });
    ctx.log.debug(r, 'escalation pass');
    return r;
  },
};
