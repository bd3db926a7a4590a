import type { JobDefinition } from '../../jobs/job.ts';
import { runExposure } from './run.ts';

// Every 15 minutes: lots whose own stay in a zone broke their storage profile's rules (single
// excursion, cumulative time out, MKT) become quarantined with the evidence attached. Idempotent
// per period: evidence is keyed by (lot, rule, sensor, start), so a re-run adds nothing and
// quarantines nothing twice.
export const exposureJob: JobDefinition = {
  name: 'cold-chain-exposure',
  description: 'Quarantines lots exposed to a temperature excursion while in their zone, with the evidence',
  schedule: '*/15 * * * *',
  run: (ctx) => runExposure(ctx),
};
