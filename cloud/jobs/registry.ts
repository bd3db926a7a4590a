import type { JobDefinition } from './job.ts';
import { expiryJob } from '../rules/expiry/job.ts';
import { replenishmentJob } from '../planning/job.ts';
import { exposureJob } from '../rules/exposure/job.ts';
import { deadLetterRetentionJob } from '../ingest/dead-letter-job.ts';
import { reportScheduleJob } from '../reports/job.ts';

// Every scheduled job of the cloud. The runner (runner.ts) schedules exactly these; the API
// (GET /api/jobs, POST /api/jobs/:name/run) and `stockpulse jobs` list and run them by name.
//
// TO ADD A JOB: one import line above + one entry in the array below. Nothing else: the
// runner, API, CLI and dashboard pick it up. Names must be unique (checked at startup).
export const jobs: readonly JobDefinition[] = [
  expiryJob,
  replenishmentJob,
  exposureJob,
  deadLetterRetentionJob,
  reportScheduleJob,
];
