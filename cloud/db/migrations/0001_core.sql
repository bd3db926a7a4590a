-- Core tables: what gateways watch (zones, sensors), what they sent (batches, readings, alerts),
-- and what we told people (notification deliveries). Runs unchanged on PGlite, PostgreSQL and
-- PostgreSQL + TimescaleDB.

CREATE TABLE gateways (
  id          text PRIMARY KEY,
  site        text NOT NULL,
  stream      text,
  last_seq    bigint,
  last_seen   timestamptz NOT NULL DEFAULT now(),
  manifest    jsonb
);

-- One row per committed uplink batch: the idempotency key of the edge→cloud link.
CREATE TABLE uplink_batches (
  gateway     text NOT NULL,
  stream      text NOT NULL,
  seq         bigint NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  sent_at     timestamptz NOT NULL,
  readings    integer NOT NULL,
  alerts      integer NOT NULL,
  PRIMARY KEY (gateway, stream, seq)
);

CREATE TABLE zones (
  id           text PRIMARY KEY,
  gateway      text NOT NULL,
  site         text NOT NULL,
  name         text NOT NULL,
  profile_low  double precision,
  profile_high double precision,
  delay_sec    double precision NOT NULL,
  hysteresis   double precision NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sensors (
  id          text PRIMARY KEY,
  gateway     text NOT NULL,
  zone        text NOT NULL,
  kind        text NOT NULL,
  unit        text NOT NULL,
  protocol    text NOT NULL,
  name        text,
  last_ts     timestamptz,
  last_value  double precision,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE readings (
  ts       timestamptz NOT NULL,
  gateway  text NOT NULL,
  sensor   text NOT NULL,
  zone     text NOT NULL,
  kind     text NOT NULL,
  value    double precision NOT NULL,
  quality  text NOT NULL DEFAULT 'good'
);
CREATE INDEX readings_sensor_ts ON readings (sensor, ts DESC);

CREATE TABLE alerts (
  id          text PRIMARY KEY,
  gateway     text NOT NULL,
  zone        text NOT NULL,
  sensor      text,
  rule        text NOT NULL,
  severity    text NOT NULL,
  state       text NOT NULL CHECK (state IN ('active', 'cleared')),
  since       timestamptz NOT NULL,
  raised_at   timestamptz NOT NULL,
  cleared_at  timestamptz,
  value       double precision,
  threshold   double precision,
  message     text NOT NULL,
  acked_at    timestamptz,
  acked_by    text,
  ack_note    text
);
CREATE INDEX alerts_state_raised ON alerts (state, raised_at DESC);
CREATE INDEX alerts_zone_raised ON alerts (zone, raised_at DESC);

-- Transactional outbox for notifications: written in the same transaction as the alert, sent
-- by the dispatcher, every attempt recorded.
CREATE TABLE notification_deliveries (
  id              bigserial PRIMARY KEY,
  alert_id        text NOT NULL,
  transition      text NOT NULL,
  channel         text NOT NULL,
  target          text NOT NULL,
  payload         jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  UNIQUE (alert_id, transition, channel, target)
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (status, next_attempt_at);

-- Frames the cloud could not accept, kept with their coded reason so nothing is lost silently.
CREATE TABLE dead_letters (
  id          bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  source      text NOT NULL,
  topic       text,
  code        text NOT NULL,
  reason      text NOT NULL,
  payload     text NOT NULL
);
