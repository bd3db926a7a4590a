-- Cold-chain exposure and quarantine (cloud/rules/exposure/).
-- Items already name their storage profile (items.storage_profile, free text such as 'chilled');
-- this table gives those names their range and excursion rules, so the name stays the one key.
-- Plain SQL: PGlite, PostgreSQL and PostgreSQL + TimescaleDB.

CREATE TABLE storage_profiles (
  name                  text PRIMARY KEY,
  -- the acceptable range: time in range / above / below is reported against it
  temp_low              double precision,
  temp_high             double precision,
  -- excursion thresholds (strict: a reading above alarm_high or below alarm_low is out)
  alarm_high            double precision,
  alarm_low             double precision,
  -- one continuous excursion at least this long quarantines the lot
  single_minutes        double precision,
  -- the lot's total time out (per sensor, over its whole stay) above this quarantines it
  cumulative_minutes    double precision,
  -- mean kinetic temperature above this quarantines it (NULL = MKT is reported, not ruled on)
  mkt_limit             double precision,
  -- activation energy for MKT, kJ/mol (USP <1079.2> default 83.144)
  delta_h_kj            double precision NOT NULL DEFAULT 83.144 CHECK (delta_h_kj > 0),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  CHECK (single_minutes IS NULL OR single_minutes > 0),
  CHECK (cumulative_minutes IS NULL OR cumulative_minutes > 0)
);

INSERT INTO storage_profiles (name, temp_low, temp_high, alarm_high, alarm_low, single_minutes, cumulative_minutes) VALUES
  ('chilled', 2, 8, 8, NULL, 30, 600),
  ('frozen', NULL, -18, -15, NULL, 60, NULL);

-- Why a lot was quarantined: one row per (lot, rule, sensor, start). The key makes the job
-- idempotent: a re-run finds the row and neither adds evidence nor quarantines again; a
-- still-running excursion only has its end, minutes and extremes brought up to date.
CREATE TABLE lot_exposure_evidence (
  id            bigserial PRIMARY KEY,
  lot_id        bigint NOT NULL REFERENCES lots(id),
  rule          text NOT NULL CHECK (rule IN ('single_high', 'single_low', 'cumulative', 'mkt')),
  profile       text NOT NULL,
  zone          text NOT NULL,
  location      text,
  sensor        text NOT NULL,
  started_at    timestamptz NOT NULL,
  ended_at      timestamptz NOT NULL,
  ongoing       boolean NOT NULL DEFAULT false,
  minutes       double precision NOT NULL,
  max_temp      double precision,
  min_temp      double precision,
  threshold     double precision,
  limit_value   double precision,
  detected_at   timestamptz NOT NULL,
  quarantined   boolean NOT NULL DEFAULT false,
  UNIQUE (lot_id, rule, sensor, started_at)
);
CREATE INDEX lot_exposure_evidence_lot ON lot_exposure_evidence (lot_id, started_at);

-- A lot's location history is read from the ledger by lot.
CREATE INDEX movements_lot_at ON movements (lot_id, at) WHERE lot_id IS NOT NULL;
