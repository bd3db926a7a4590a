-- Devices as their gateways see them: what the manifest declares (protocol, heartbeat, sensors)
-- and the latest health event (online / offline / failed, last seen, battery, signal, error).
-- Keyed by (gateway, id): device ids are unique per gateway config, not across a fleet.
-- `state_at` is the event time of the stored state, so a late or resent event never
-- overwrites a newer one ("latest wins by ts"). Plain SQL: PGlite, PostgreSQL, TimescaleDB.

CREATE TABLE devices (
  gateway       text NOT NULL,
  id            text NOT NULL,
  zone          text,
  protocol      text NOT NULL DEFAULT 'unknown',
  name          text,
  heartbeat_sec double precision,
  sensors       jsonb NOT NULL DEFAULT '[]'::jsonb,
  state         text NOT NULL DEFAULT 'unknown' CHECK (state IN ('unknown', 'online', 'offline', 'failed')),
  state_at      timestamptz,
  last_seen     timestamptz,
  battery       double precision,
  signal        double precision,
  last_error    jsonb,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (gateway, id)
);
CREATE INDEX devices_state ON devices (state);
