-- A reading is identified by its sensor and its timestamp: a device frame delivered twice
-- (MQTT QoS 1 is at-least-once: a gateway killed after storing a frame but before
-- acknowledging it gets it again) must not count twice. Duplicates already stored are
-- removed once, then a unique index makes every later insert skip them (ON CONFLICT DO NOTHING).
-- The index includes ts, so it is valid on a TimescaleDB hypertable too.

DELETE FROM readings a USING readings b
WHERE a.sensor = b.sensor AND a.ts = b.ts AND a.ctid > b.ctid;

DROP INDEX IF EXISTS readings_sensor_ts;
CREATE UNIQUE INDEX readings_sensor_ts ON readings (sensor, ts DESC);
