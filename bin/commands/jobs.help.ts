// The help text of `stockpulse jobs`, apart from the command so that `stockpulse jobs --help`
// prints without loading the command's dependencies (bin/cli.ts). Import light modules only
// here: tests/bin/help.test.ts walks this file's imports.

// The job list below is written out (the registry imports every job's domain code);
// tests/bin/help.test.ts fails when it differs from cloud/jobs/registry.ts.

const JOBS_LINE = 'expiry-sweep (15 0 * * *), replenishment (15 2 * * *), cold-chain-exposure (*/15 * * * *), dead-letter-retention (23 1 * * *), report-emails (2 * * * *)';

export const help = `stockpulse jobs — list the scheduled jobs or run one now

usage: stockpulse jobs list [--runs N] [--json]
       stockpulse jobs run NAME [--period DATE|TIMESTAMP] [--json]
options: --database-url URL (or DATABASE_URL), --data-dir DIR (PGlite, default ./data)

list   each job: its schedule (cron, UTC), next run, and its last runs (status, counts)
run    runs NAME now, under the same lock the cloud instances use, and records the run in
       job_runs. --period picks the period the run covers: a date (2026-11-25) means the
       period starting on that day, a timestamp the period containing it; default: the
       period containing now. Jobs are idempotent per period: running one again for the same
       period changes nothing. Exit 1 if the job failed, 3 if another instance is running it.

The embedded PGlite database can be open in one process only: with \`stockpulse demo\` or
\`stockpulse cloud\` running on it, this command stops with SP_ERR_CONFLICT naming that process;
use its POST /api/jobs/NAME/run (or the dashboard's Run button) instead. On PostgreSQL this
command runs next to any number of cloud instances.

jobs: ${JOBS_LINE}
`;
