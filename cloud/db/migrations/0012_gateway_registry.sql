-- The gateway registry (issue #11): who may send batches, with which credential, for what.
--
-- gateway_registry: one row per gateway id. The credential is a random secret shown once; the
-- table keeps its SHA-256 (for the cloud and the embedded broker) and a Mosquitto PBKDF2-SHA512
-- `$7$` hash (for `stockpulse gateway mosquitto`). `generation` counts credentials: a re-add of a
-- revoked id issues generation n+1, and streams opened under an older one are refused.
-- `site` may be left empty at registration: the first manifest then sets it (trust on first use).
CREATE TABLE gateway_registry (
  id              text PRIMARY KEY,
  site            text,
  credential_hash text NOT NULL,
  broker_hash     text NOT NULL,
  prefix          text NOT NULL,
  generation      integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now(),
  created_by      text NOT NULL,
  revoked_at      timestamptz,
  note            text
);

-- What each gateway speaks for. One owner per zone and per sensor (the primary key), listed at
-- registration ('registered'), claimed by the first registered gateway that names a thing nobody
-- owns ('first_use'), or carried over from data that predates the registry ('migrated').
-- Devices need no row: they are stored per gateway already (devices PK is (gateway, id)).
-- Locations belong to a gateway through its site (the root of the location tree).
CREATE TABLE gateway_claims (
  kind       text NOT NULL CHECK (kind IN ('zone', 'sensor')),
  id         text NOT NULL,
  gateway    text NOT NULL,
  how        text NOT NULL CHECK (how IN ('registered', 'first_use', 'migrated')),
  claimed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, id)
);
CREATE INDEX gateway_claims_gateway ON gateway_claims (gateway);
INSERT INTO gateway_claims (kind, id, gateway, how) SELECT 'zone', id, gateway, 'migrated' FROM zones ON CONFLICT DO NOTHING;
INSERT INTO gateway_claims (kind, id, gateway, how) SELECT 'sensor', id, gateway, 'migrated' FROM sensors ON CONFLICT DO NOTHING;

-- Which credential generation opened each (gateway, stream).
CREATE TABLE uplink_streams (
  gateway    text NOT NULL,
  stream     text NOT NULL,
  generation integer NOT NULL,
  opened_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (gateway, stream)
);

-- The content digest of each committed batch (batch-digest.ts): a second batch with the same
-- (gateway, stream, seq) is a duplicate only when its digest is the same. NULL for batches
-- committed before this migration (treated as duplicates, as before).
ALTER TABLE uplink_batches ADD COLUMN digest text;
