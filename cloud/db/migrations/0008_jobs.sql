-- Scheduled jobs (cloud/jobs/): every run on record, and what the expiry sweep needs.
-- Runs unchanged on PGlite, PostgreSQL and PostgreSQL + TimescaleDB.

-- One row per run, scheduled or manual. `period_from`/`period_to` is the slice of time the run
-- covers (idempotency is per job + period). A scheduled period runs once: the runner checks
-- under the job's advisory lock, and the partial unique index below refuses a second
-- scheduled row for the same period even if that check were ever bypassed. Manual re-runs
-- are recorded too (the job's own effects are idempotent, so they change nothing twice).
CREATE TABLE job_runs (
  id          bigserial PRIMARY KEY,
  job         text NOT NULL,
  period_from timestamptz NOT NULL,
  period_to   timestamptz NOT NULL,
  trigger     text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  status      text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned')),
  started_at  timestamptz NOT NULL,
  finished_at timestamptz,
  counts      jsonb NOT NULL DEFAULT '{}',
  error       text,
  instance    text NOT NULL,
  actor       text,
  -- {done, total?} reported by a long run while it works
  progress    jsonb
);
CREATE INDEX job_runs_job_started ON job_runs (job, id DESC);
CREATE UNIQUE INDEX job_runs_scheduled_once ON job_runs (job, period_from)
  WHERE trigger = 'schedule' AND status <> 'abandoned';

-- The lots the daily expiry sweep may still move: it reads only these.
CREATE INDEX lots_expiry_watch ON lots (expires_on) WHERE status IN ('available', 'near_expiry');

-- Days before expiry a lot of this item turns near_expiry (NULL: the sweep's default).
ALTER TABLE items ADD COLUMN expiry_alert_days integer CHECK (expiry_alert_days >= 0);

-- The expiry sweep's daily digest: one record per role and day (the key makes a re-run a no-op).
CREATE TABLE expiry_digests (
  day        date NOT NULL,
  role       text NOT NULL,
  lots       jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (day, role)
);
