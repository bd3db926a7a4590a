-- Issue #14. Weekly report e-mails an admin schedules for a role (cloud/reports/), and the
-- purchase-order approval rules an admin edits (cloud/inventory/documents/approval-rules.ts).

-- One schedule: which report (cloud/reports/registry.ts), with which params, sent every week on
-- `weekday` (1 = Monday … 7 = Sunday, ISO) at `hour` in `timezone` to every active contact of
-- `role` with an e-mail address, in `locale`. `last_occurrence` is the weekly slot last handled:
-- the job sends a slot once (and the delivery key says so too).
CREATE TABLE report_schedules (
  id               serial PRIMARY KEY,
  report           text NOT NULL,
  params           jsonb NOT NULL DEFAULT '{}',
  weekday          integer NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  hour             integer NOT NULL CHECK (hour BETWEEN 0 AND 23),
  timezone         text NOT NULL DEFAULT 'UTC',
  role             text NOT NULL,
  locale           text NOT NULL CHECK (locale IN ('en', 'zh-CN')),
  created_by       text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_occurrence  timestamptz
);

-- The approval levels of a document type: [{role, aboveMinor}] in order (the first level always
-- applies; a later level applies when the amount is above its aboveMinor), and whether the levels
-- approve one after the other. No row = the cloud config's rule (STOCKPULSE_PO_APPROVAL_THRESHOLD_MINOR:
-- finance always, warehouse above it), so nothing changes until an admin saves rules.
CREATE TABLE approval_rule_sets (
  document_type  text PRIMARY KEY,
  levels         jsonb NOT NULL,
  sequential     boolean NOT NULL DEFAULT false,
  updated_by     text NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now()
);
