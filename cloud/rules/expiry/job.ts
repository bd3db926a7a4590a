import type { JobDefinition } from '../../jobs/job.ts';
import { sweepExpiry } from './sweep.ts';

// Daily expiry sweep: lots within their item's alert window become near_expiry, lots past
// their expiry date become expired (out of ATP, refused by picking), and each role gets one
// digest notification per day. Idempotent per day: statuses only move forward and the digest
// is keyed by (role, day).
export const expiryJob: JobDefinition = {
  name: 'expiry-sweep',
  description: 'Marks lots near expiry / expired and sends a daily digest per role',
  schedule: '15 0 * * *',
  run: (ctx) => sweepExpiry(ctx),
};
