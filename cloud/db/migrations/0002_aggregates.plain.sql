-- Without TimescaleDB: a time_bucket shim over core date_bin (same origin as TimescaleDB's,
-- Monday 2000-01-03) and plain views with the continuous aggregates' names and columns, so the
-- API and Grafana use one set of queries on every engine.

CREATE OR REPLACE FUNCTION time_bucket(bucket_width interval, ts timestamptz)
RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT date_bin(bucket_width, ts, TIMESTAMPTZ '2000-01-03 00:00:00+00') $$;

CREATE VIEW readings_1m AS
SELECT time_bucket(INTERVAL '1 minute', ts) AS bucket, sensor, zone, kind,
       avg(value) AS avg, min(value) AS min, max(value) AS max, count(*) AS n
FROM readings GROUP BY 1, sensor, zone, kind;

CREATE VIEW readings_1h AS
SELECT time_bucket(INTERVAL '1 hour', ts) AS bucket, sensor, zone, kind,
       avg(value) AS avg, min(value) AS min, max(value) AS max, count(*) AS n
FROM readings GROUP BY 1, sensor, zone, kind;
