-- With TimescaleDB: readings is a hypertable (1-day chunks), compressed after 7 days, dropped
-- after 90 days; per-minute and per-hour continuous aggregates feed the dashboard. Real-time
-- aggregation (materialized_only = false) so the newest minutes show before the policy runs.

SELECT create_hypertable('readings', 'ts', chunk_time_interval => INTERVAL '1 day', migrate_data => true);

ALTER TABLE readings SET (timescaledb.compress, timescaledb.compress_segmentby = 'sensor', timescaledb.compress_orderby = 'ts DESC');
SELECT add_compression_policy('readings', INTERVAL '7 days');
SELECT add_retention_policy('readings', INTERVAL '90 days');

CREATE MATERIALIZED VIEW readings_1m WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 minute', ts) AS bucket, sensor, zone, kind,
       avg(value) AS avg, min(value) AS min, max(value) AS max, count(*) AS n
FROM readings GROUP BY 1, sensor, zone, kind
WITH NO DATA;
SELECT add_continuous_aggregate_policy('readings_1m', start_offset => INTERVAL '3 hours', end_offset => INTERVAL '1 minute', schedule_interval => INTERVAL '1 minute');

CREATE MATERIALIZED VIEW readings_1h WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', ts) AS bucket, sensor, zone, kind,
       avg(value) AS avg, min(value) AS min, max(value) AS max, count(*) AS n
FROM readings GROUP BY 1, sensor, zone, kind
WITH NO DATA;
SELECT add_continuous_aggregate_policy('readings_1h', start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes');
