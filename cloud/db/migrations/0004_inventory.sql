-- The inventory truth: master data, lots, the immutable ledger (movements), balances derived
-- from it in the same transaction, reservations with TTL and channel pools, documents with
-- their workflow and the tasks they push to the next role.
-- Quantities are numeric (weights are fractional), money is integer minor units (cents).
-- Runs unchanged on PGlite, PostgreSQL and PostgreSQL + TimescaleDB.

-- ---------------------------------------------------------------- master data
CREATE TABLE locations (
  id          text PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('site', 'zone', 'bin')),
  parent      text REFERENCES locations(id),
  name        text NOT NULL,
  -- a zone location points at the IoT zone (zones table) whose sensors watch it
  iot_zone    text,
  temp_low    double precision,
  temp_high   double precision,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'site') = (parent IS NULL))
);

CREATE TABLE items (
  sku             text PRIMARY KEY,
  gtin            text UNIQUE,
  name            text NOT NULL,
  unit            text NOT NULL,
  piece_weight    numeric(20, 6),
  shelf_life_days integer,
  storage_profile text,
  safety_stock    numeric(20, 6) NOT NULL DEFAULT 0,
  lead_time_days  integer,
  cost_minor      bigint,
  currency        text NOT NULL DEFAULT 'EUR',
  lot_tracked     boolean NOT NULL DEFAULT false,
  allow_negative  boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE suppliers (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE supplier_prices (
  supplier    text NOT NULL REFERENCES suppliers(id),
  item        text NOT NULL REFERENCES items(sku),
  price_minor bigint NOT NULL CHECK (price_minor >= 0),
  currency    text NOT NULL DEFAULT 'EUR',
  valid_from  date NOT NULL DEFAULT current_date,
  PRIMARY KEY (supplier, item, valid_from)
);

CREATE TABLE customers (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------- lots
CREATE TABLE lots (
  id          bigserial PRIMARY KEY,
  item        text NOT NULL REFERENCES items(sku),
  code        text NOT NULL,
  produced_on date,
  expires_on  date,
  status      text NOT NULL DEFAULT 'available'
              CHECK (status IN ('available', 'near_expiry', 'expired', 'quarantined', 'rejected')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (item, code)
);

CREATE TABLE lot_status_history (
  id          bigserial PRIMARY KEY,
  lot_id      bigint NOT NULL REFERENCES lots(id),
  from_status text,
  to_status   text NOT NULL,
  actor       text NOT NULL,
  reason      text NOT NULL,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lot_status_history_lot ON lot_status_history (lot_id, at);

-- ---------------------------------------------------------------- the ledger
CREATE TABLE movements (
  id              bigserial PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('receipt', 'shipment', 'transfer', 'consumption', 'adjustment', 'count_correction', 'scrap', 'return')),
  item            text NOT NULL REFERENCES items(sku),
  lot_id          bigint REFERENCES lots(id),
  from_location   text REFERENCES locations(id),
  to_location     text REFERENCES locations(id),
  qty             numeric(20, 6) NOT NULL CHECK (qty > 0),
  source_type     text NOT NULL CHECK (source_type IN ('device', 'user', 'document')),
  source_ref      text,
  actor           text NOT NULL,
  at              timestamptz NOT NULL DEFAULT now(),
  idempotency_key text UNIQUE,
  reverses        bigint REFERENCES movements(id),
  note            text,
  -- the direction each kind may take: in, out, both (transfer) or either (corrections)
  CHECK (CASE kind
    WHEN 'receipt' THEN to_location IS NOT NULL AND from_location IS NULL
    WHEN 'return' THEN to_location IS NOT NULL AND from_location IS NULL
    WHEN 'transfer' THEN to_location IS NOT NULL AND from_location IS NOT NULL AND to_location <> from_location
    WHEN 'adjustment' THEN (to_location IS NULL) <> (from_location IS NULL)
    WHEN 'count_correction' THEN (to_location IS NULL) <> (from_location IS NULL)
    ELSE from_location IS NOT NULL AND to_location IS NULL END)
);
CREATE INDEX movements_item_at ON movements (item, at);

-- The ledger is insert-only: a mistake is corrected by a new movement, never by editing one.
CREATE FUNCTION sp_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table % is append-only: % refused (post a correcting entry instead)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER movements_append_only BEFORE UPDATE OR DELETE ON movements FOR EACH ROW EXECUTE FUNCTION sp_refuse_change();
CREATE TRIGGER movements_no_truncate BEFORE TRUNCATE ON movements FOR EACH STATEMENT EXECUTE FUNCTION sp_refuse_change();
CREATE TRIGGER lot_history_append_only BEFORE UPDATE OR DELETE ON lot_status_history FOR EACH ROW EXECUTE FUNCTION sp_refuse_change();

-- Balances per item / location / lot (lot_id 0 = not lot-tracked), maintained by the same
-- transaction that inserts the movement; `stockpulse verify` recomputes them from the ledger.
CREATE TABLE balances (
  item       text NOT NULL REFERENCES items(sku),
  location   text NOT NULL REFERENCES locations(id),
  lot_id     bigint NOT NULL DEFAULT 0,
  on_hand    numeric(20, 6) NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (item, location, lot_id)
);

-- One row per item: the row every stock-changing transaction of that item locks first, so
-- reservations and movements of one item are serialised and oversell is impossible.
-- `reserved` = sum of open (active + committed) reservations.
CREATE TABLE item_positions (
  item     text PRIMARY KEY REFERENCES items(sku),
  reserved numeric(20, 6) NOT NULL DEFAULT 0 CHECK (reserved >= 0)
);

-- ---------------------------------------------------------------- reservations
-- Quota kept for one channel (VIP, marketplace): other channels cannot take it.
CREATE TABLE channel_pools (
  item    text NOT NULL REFERENCES items(sku),
  channel text NOT NULL,
  qty     numeric(20, 6) NOT NULL CHECK (qty >= 0),
  used    numeric(20, 6) NOT NULL DEFAULT 0 CHECK (used >= 0),
  PRIMARY KEY (item, channel)
);

CREATE TABLE reservations (
  id              bigserial PRIMARY KEY,
  item            text NOT NULL REFERENCES items(sku),
  channel         text NOT NULL,
  qty             numeric(20, 6) NOT NULL CHECK (qty > 0),
  -- the part taken from the channel's own pool, given back to it on release
  from_pool       numeric(20, 6) NOT NULL DEFAULT 0,
  status          text NOT NULL CHECK (status IN ('active', 'committed', 'released', 'expired', 'fulfilled')),
  ttl_sec         integer NOT NULL,
  expires_at      timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  committed_at    timestamptz,
  closed_at       timestamptz,
  idempotency_key text UNIQUE,
  actor           text NOT NULL,
  ref             text
);
CREATE INDEX reservations_expiring ON reservations (item, expires_at) WHERE status = 'active';

-- Sellable on-hand of an item: balances of no lot, or of lots neither blocked nor past expiry.
CREATE FUNCTION sp_sellable(p_item text) RETURNS numeric LANGUAGE sql STABLE AS $$
  SELECT coalesce(sum(b.on_hand), 0)
  FROM balances b LEFT JOIN lots l ON l.id = b.lot_id
  WHERE b.item = p_item
    AND (b.lot_id = 0 OR (l.status IN ('available', 'near_expiry') AND (l.expires_on IS NULL OR l.expires_on >= current_date)))
$$;

-- Available to promise for one channel: sellable − reserved − what other channels' pools still protect.
CREATE FUNCTION sp_atp(p_item text, p_channel text) RETURNS numeric LANGUAGE sql STABLE AS $$
  SELECT sp_sellable(p_item)
       - coalesce((SELECT reserved FROM item_positions WHERE item = p_item), 0)
       - coalesce((SELECT sum(greatest(qty - used, 0)) FROM channel_pools WHERE item = p_item AND channel IS DISTINCT FROM p_channel), 0)
$$;

-- Releases one open reservation (caller holds the item lock): back to the pool it came from.
CREATE FUNCTION sp_close_reservation(p_id bigint, p_status text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE r reservations%ROWTYPE;
BEGIN
  UPDATE reservations SET status = p_status, closed_at = now()
  WHERE id = p_id AND status IN ('active', 'committed') RETURNING * INTO r;
  IF NOT FOUND THEN RETURN; END IF;
  UPDATE item_positions SET reserved = reserved - r.qty WHERE item = r.item;
  IF r.from_pool > 0 THEN
    UPDATE channel_pools SET used = greatest(used - r.from_pool, 0) WHERE item = r.item AND channel = r.channel;
  END IF;
END $$;

-- Expires the item's overdue reservations (caller holds the item lock). Called by every
-- reservation, so an overdue hold never blocks a sale even if the sweep timer is late.
CREATE FUNCTION sp_expire_item_locked(p_item text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE rid bigint; n integer := 0;
BEGIN
  FOR rid IN SELECT id FROM reservations WHERE item = p_item AND status = 'active' AND expires_at <= now() ORDER BY id LOOP
    PERFORM sp_close_reservation(rid, 'expired');
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;

CREATE FUNCTION sp_sweep_item(p_item text) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM item_positions WHERE item = p_item FOR UPDATE;
  RETURN sp_expire_item_locked(p_item);
END $$;

-- Reservations of one item, decided in order in one transaction: lock the item row, expire
-- overdue holds, then for each request answer a repeated idempotency key with the first
-- result, check ATP for its channel, insert. Each statement of a plpgsql function reads a fresh
-- snapshot, so after the lock it sees every committed competitor. The running totals are kept
-- in variables and written once at the end: updating the same row once per request would make
-- every later read in the transaction walk a growing chain of row versions.
-- p_reqs: [{qty, channel, ttl, key, actor, ref}] → [{outcome, reservation?, available?}]
CREATE FUNCTION sp_reserve_many(p_item text, p_reqs jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  req jsonb;
  r reservations%ROWTYPE;
  outcomes jsonb[] := '{}';
  sellable numeric;
  held numeric;
  added numeric := 0;
  chans text[];
  rems numeric[];
  takes numeric[];
  qty numeric;
  ch text;
  own numeric;
  others numeric;
  atp numeric;
  take numeric;
  idx integer;
BEGIN
  PERFORM 1 FROM item_positions WHERE item = p_item FOR UPDATE;
  IF NOT FOUND THEN
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('outcome', 'unknown_item')), '[]'::jsonb) FROM jsonb_array_elements(p_reqs));
  END IF;
  PERFORM sp_expire_item_locked(p_item);
  sellable := sp_sellable(p_item);
  SELECT reserved INTO held FROM item_positions WHERE item = p_item;
  SELECT coalesce(array_agg(channel ORDER BY channel), '{}'), coalesce(array_agg(greatest(c.qty - c.used, 0) ORDER BY channel), '{}')
    INTO chans, rems FROM channel_pools c WHERE c.item = p_item;
  takes := array_fill(0::numeric, ARRAY[greatest(cardinality(chans), 1)]);
  FOR req IN SELECT e.value FROM jsonb_array_elements(p_reqs) WITH ORDINALITY AS e(value, n) ORDER BY e.n LOOP
    IF req->>'key' IS NOT NULL THEN
      SELECT * INTO r FROM reservations WHERE idempotency_key = req->>'key';
      IF FOUND THEN
        outcomes := outcomes || jsonb_build_object('outcome', 'duplicate', 'reservation', to_jsonb(r));
        CONTINUE;
      END IF;
    END IF;
    qty := (req->>'qty')::numeric;
    ch := req->>'channel';
    idx := array_position(chans, ch);
    own := CASE WHEN idx IS NULL THEN 0 ELSE rems[idx] END;
    others := (SELECT coalesce(sum(x), 0) FROM unnest(rems) AS x) - own;
    atp := sellable - held - others;
    IF atp < qty THEN
      outcomes := outcomes || jsonb_build_object('outcome', 'insufficient', 'available', greatest(atp, 0));
      CONTINUE;
    END IF;
    take := least(own, qty);
    INSERT INTO reservations (item, channel, qty, from_pool, status, ttl_sec, expires_at, idempotency_key, actor, ref)
    VALUES (p_item, ch, qty, take, 'active', (req->>'ttl')::integer, now() + make_interval(secs => (req->>'ttl')::integer),
            req->>'key', req->>'actor', req->>'ref')
    RETURNING * INTO r;
    held := held + qty;
    added := added + qty;
    IF take > 0 THEN
      rems[idx] := rems[idx] - take;
      takes[idx] := takes[idx] + take;
    END IF;
    outcomes := outcomes || jsonb_build_object('outcome', 'created', 'reservation', to_jsonb(r), 'available', atp - qty);
  END LOOP;
  IF added > 0 THEN
    UPDATE item_positions SET reserved = reserved + added WHERE item = p_item;
    FOR idx IN 1 .. cardinality(chans) LOOP
      IF takes[idx] > 0 THEN UPDATE channel_pools SET used = used + takes[idx] WHERE item = p_item AND channel = chans[idx]; END IF;
    END LOOP;
  END IF;
  RETURN to_jsonb(outcomes);
END $$;

-- One reservation: the same decision as a batch of one.
CREATE FUNCTION sp_reserve(p_item text, p_qty numeric, p_channel text, p_ttl_sec integer, p_key text, p_actor text, p_ref text)
RETURNS jsonb LANGUAGE sql AS $$
  SELECT sp_reserve_many(p_item, jsonb_build_array(jsonb_build_object(
    'qty', p_qty, 'channel', p_channel, 'ttl', p_ttl_sec, 'key', p_key, 'actor', p_actor, 'ref', p_ref))) -> 0
$$;

-- ---------------------------------------------------------------- documents and workflow
CREATE TABLE documents (
  id          bigserial PRIMARY KEY,
  type        text NOT NULL CHECK (type IN ('purchase_order', 'goods_receipt', 'sales_order', 'shipment', 'customer_return', 'count_session')),
  status      text NOT NULL,
  partner     text,
  location    text REFERENCES locations(id),
  amount_minor bigint,
  currency    text,
  lines       jsonb NOT NULL DEFAULT '[]',
  data        jsonb NOT NULL DEFAULT '{}',
  parent_id   bigint REFERENCES documents(id),
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_type_status ON documents (type, status);

-- Every state change of every document (who, role, when, from → to).
CREATE TABLE document_events (
  id          bigserial PRIMARY KEY,
  document_id bigint NOT NULL REFERENCES documents(id),
  action      text NOT NULL,
  from_status text,
  to_status   text NOT NULL,
  actor       text NOT NULL,
  role        text NOT NULL,
  note        text,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER document_events_append_only BEFORE UPDATE OR DELETE ON document_events FOR EACH ROW EXECUTE FUNCTION sp_refuse_change();

-- The next step, pushed to the role that must take it.
CREATE TABLE tasks (
  id          bigserial PRIMARY KEY,
  document_id bigint NOT NULL REFERENCES documents(id),
  role        text NOT NULL,
  action      text NOT NULL,
  title       text NOT NULL,
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  closed_at   timestamptz,
  closed_by   text
);
CREATE INDEX tasks_open_role ON tasks (role, created_at) WHERE status = 'open';
