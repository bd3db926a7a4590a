-- Movements observed by devices (RFID portal passes, scale changes) as the edge sent them, and
-- what the cloud did with each: posted to the ledger (which movement rows), recorded as an
-- exception, or only observed (a scale's count). The event id (gateway:event) is the
-- idempotency key: a redelivered event changes nothing. Runs unchanged on PGlite, PostgreSQL
-- and PostgreSQL + TimescaleDB.

CREATE TABLE device_movements (
  event_id     text PRIMARY KEY,
  gateway      text NOT NULL,
  type         text NOT NULL,
  ts           timestamptz NOT NULL,
  device       text NOT NULL,
  source_kind  text NOT NULL,
  item         text,
  gtin         text,
  qty          numeric(20, 6) NOT NULL,
  unit         text NOT NULL,
  zone         text NOT NULL,
  bin          text,
  lot          text,
  document     text,
  -- posted: in the ledger (movement_ids); exception: not booked, see stock_exceptions; observed: count only
  outcome      text NOT NULL CHECK (outcome IN ('posted', 'exception', 'observed')),
  movement_ids bigint[] NOT NULL DEFAULT '{}',
  reason       text,
  evidence     jsonb NOT NULL DEFAULT '{}',
  received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX device_movements_ts ON device_movements (ts DESC);
CREATE INDEX device_movements_device_ts ON device_movements (device, ts DESC);

-- Things a person must look at and resolve: goods in with no expected receipt, goods out with
-- no shipment, a device movement the ledger refused. One row per cause (alert id or event id).
CREATE TABLE stock_exceptions (
  id           bigserial PRIMARY KEY,
  key          text NOT NULL UNIQUE,
  kind         text NOT NULL CHECK (kind IN ('unexpected_receipt', 'unauthorised_removal', 'unposted_movement')),
  gateway      text NOT NULL,
  zone         text NOT NULL,
  device       text,
  alert_id     text,
  event_id     text,
  message      text NOT NULL,
  state        text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
  raised_at    timestamptz NOT NULL,
  resolved_at  timestamptz,
  resolved_by  text,
  resolution   text
);
CREATE INDEX stock_exceptions_open ON stock_exceptions (state, raised_at DESC);

-- What each scale last weighed in its bin, next to the ledger: the count-drift check compares
-- the two and keeps the id of the drift alert it raised (cleared when they agree again).
CREATE TABLE bin_weighings (
  location       text NOT NULL,
  item           text NOT NULL,
  gateway        text NOT NULL,
  device         text NOT NULL,
  zone           text NOT NULL,
  weighed_qty    numeric(20, 6) NOT NULL,
  ledger_qty     numeric(20, 6) NOT NULL,
  tolerance_qty  numeric(20, 6) NOT NULL,
  unit           text NOT NULL,
  weighed_at     timestamptz NOT NULL,
  drift_alert_id text,
  PRIMARY KEY (location, item)
);
