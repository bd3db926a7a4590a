-- Replenishment planning. The item already carries safety stock, lead time, suppliers and
-- prices (0004); planning adds the two settings it needs on the item itself — which supplier
-- to buy from and the service level to plan for — and keeps the latest computed plan per item
-- so GET /api/replenishment can explain it (inputs, formula values, the draft order it made).
-- Runs unchanged on PGlite, PostgreSQL and PostgreSQL + TimescaleDB.

ALTER TABLE items ADD COLUMN preferred_supplier text REFERENCES suppliers(id);
-- probability of not running out during a lead time (0.95 → z = 1.645); NULL = the job's default
ALTER TABLE items ADD COLUMN service_level numeric(6, 5) CHECK (service_level > 0 AND service_level < 1);

CREATE TABLE replenishment_plans (
  item            text PRIMARY KEY REFERENCES items(sku),
  computed_at     timestamptz NOT NULL,
  -- reorder: position below the reorder point; ok: above it; skipped: not computable (reason)
  status          text NOT NULL CHECK (status IN ('reorder', 'ok', 'skipped')),
  reason          text,
  safety_stock    numeric(20, 6),
  reorder_point   numeric(20, 6),
  suggested_qty   numeric(20, 6),
  -- the open draft purchase order that answers this suggestion (created by the job or already open)
  purchase_order  bigint REFERENCES documents(id),
  -- the low_stock alert raised for the item while it is below its reorder point
  alert_id        text,
  explanation     jsonb NOT NULL
);
