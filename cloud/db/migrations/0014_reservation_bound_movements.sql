-- Reservations bind every movement (cloud/inventory/reservation-bind.ts): an outgoing movement
-- may take only the unreserved sellable stock plus what its own reservation still holds. So a
-- movement names the reservation it fulfils, and a reservation counts what movements already
-- took of it: a sales order shipping its picks from two bins consumes its hold in two steps.
-- Runs unchanged on PGlite, PostgreSQL and PostgreSQL + TimescaleDB (movements is a plain table).

ALTER TABLE reservations ADD COLUMN consumed numeric(20, 6) NOT NULL DEFAULT 0;
ALTER TABLE reservations ADD CONSTRAINT reservations_consumed_range CHECK (consumed >= 0 AND consumed <= qty);

ALTER TABLE movements ADD COLUMN reservation_id bigint REFERENCES reservations(id);
CREATE INDEX movements_reservation ON movements (reservation_id) WHERE reservation_id IS NOT NULL;

-- What an open reservation still holds is qty − consumed; of that, the part drawn on its
-- channel's pool is least(from_pool, qty − consumed) (the pool part is the last to go, so the
-- pool stays used while any of the hold is left). item_positions.reserved and channel_pools.used
-- are the sums of these over open reservations (stockpulse verify recomputes both).

-- Releases what is left of one open reservation (caller holds the item lock).
CREATE OR REPLACE FUNCTION sp_close_reservation(p_id bigint, p_status text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE r reservations%ROWTYPE;
BEGIN
  UPDATE reservations SET status = p_status, closed_at = now()
  WHERE id = p_id AND status IN ('active', 'committed') RETURNING * INTO r;
  IF NOT FOUND THEN RETURN; END IF;
  UPDATE item_positions SET reserved = reserved - (r.qty - r.consumed) WHERE item = r.item;
  IF least(r.from_pool, r.qty - r.consumed) > 0 THEN
    UPDATE channel_pools SET used = greatest(used - least(r.from_pool, r.qty - r.consumed), 0) WHERE item = r.item AND channel = r.channel;
  END IF;
END $$;

-- A movement takes up to p_qty of an open reservation (caller holds the item lock): the hold
-- shrinks by what was taken, and is fulfilled once nothing is left. Returns the quantity taken.
CREATE FUNCTION sp_consume_reservation(p_id bigint, p_qty numeric) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE r reservations%ROWTYPE; take numeric; pool_before numeric; pool_after numeric;
BEGIN
  SELECT * INTO r FROM reservations WHERE id = p_id AND status IN ('active', 'committed') FOR UPDATE;
  IF NOT FOUND THEN RETURN 0; END IF;
  take := least(p_qty, r.qty - r.consumed);
  IF take <= 0 THEN RETURN 0; END IF;
  pool_before := least(r.from_pool, r.qty - r.consumed);
  pool_after := least(r.from_pool, r.qty - r.consumed - take);
  UPDATE reservations SET consumed = consumed + take,
    status = CASE WHEN consumed + take >= qty THEN 'fulfilled' ELSE status END,
    closed_at = CASE WHEN consumed + take >= qty THEN now() ELSE closed_at END
  WHERE id = p_id;
  UPDATE item_positions SET reserved = reserved - take WHERE item = r.item;
  IF pool_before > pool_after THEN
    UPDATE channel_pools SET used = greatest(used - (pool_before - pool_after), 0) WHERE item = r.item AND channel = r.channel;
  END IF;
  RETURN take;
END $$;
