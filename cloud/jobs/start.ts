import type { Logger } from 'pino';
import type { Db } from '../db/engine.ts';
import type { JobNotify } from './job.ts';
import { jobs as registeredJobs } from './registry.ts';
import { JobRunner, type JobRunnerOptions } from './runner.ts';
import type { CloudSettings } from '../config.ts';

// How startCloud (cloud/cloud.ts) brings up the job runner: always built (the API runs jobs
// on request through it), scheduling only when enabled.

/** false = do not schedule (the API can still run jobs); an object overrides runner options (tests: clock, jobs) */
export type JobsOption = false | Partial<Omit<JobRunnerOptions, 'db' | 'log'>>;

export function startJobRunner(o: { db: Db; log: Logger; option?: JobsOption; enabled?: boolean; notify?: JobNotify; settings?: CloudSettings }): JobRunner {
  const overrides = o.option || {};
  const runner = new JobRunner({ jobs: registeredJobs, notify: o.notify, settings: o.settings, ...overrides, db: o.db, log: o.log.child({ component: 'jobs' }) });
  if (o.option !== false && o.enabled !== false) runner.start();
  else o.log.info('job scheduler off (STOCKPULSE_JOBS=false or jobs: false); jobs run only on request');
  return runner;
}
