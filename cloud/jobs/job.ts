// The contract every scheduled job implements. cloud/jobs/runner.ts schedules them (cron),
// makes sure exactly one cloud instance runs a job at a time (PostgreSQL advisory lock), and
// records every run in job_runs. A job must be idempotent for its period: running it twice
// for the same period changes nothing the second time.

import type { Logger } from 'pino';
import type { Db } from '../db/engine.ts';
import type { CloudSettings } from '../config.ts';

export interface JobContext {
  db: Db;
  /** the run's clock: injected in tests, Date.now in production */
  now: Date;
  /** the period the run covers (e.g. the day for a daily job); idempotency is per period */
  period: { from: Date; to: Date };
  log: Logger;
  /** report progress for long runs (shown in GET /api/jobs) */
  progress(done: number, total?: number): void;
  /**
   * where the cloud sends notifications (its configured webhook / MQTT targets) and a way to
   * wake the dispatcher after writing notification_deliveries rows; absent when the job runs
   * outside a cloud (CLI, tests) — the rows then wait for the next dispatcher pass
   */
  notify?: JobNotify;
  /** rule settings from the cloud config (cloud/config.ts), handed down by the runner; absent (a
   *  context built by hand in a test or bench) = the config's defaults */
  settings?: CloudSettings;
}

export interface JobNotify {
  targets: readonly { channel: string; target: string }[];
  kick(): void;
}

/** what a run reports: named counts (lots_quarantined: 3, …) shown on the dashboard */
export type JobResult = Record<string, number>;

export interface JobDefinition {
  name: string;
  description: string;
  /** cron expression (cron-parser syntax, UTC) */
  schedule: string;
  run(ctx: JobContext): Promise<JobResult>;
}
