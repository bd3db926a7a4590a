import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { SpError } from '../../../protocols/errors.ts';
import type { Db } from '../../db/engine.ts';
import { ErrorBody, ReadingsQuery, ReadingsResponse } from '../schemas.ts';

// Time series for one sensor. With a bucket the answer is min/avg/max per bucket, so a panel
// asks for as many buckets as it has pixels. On TimescaleDB whole-minute and whole-hour
// buckets come from the continuous aggregates; elsewhere the same time_bucket query runs on
// the raw table.

const RAW_LIMIT = 20_000;
const DEFAULT_RANGE_MS = 6 * 3600_000;

type Source = 'raw' | 'readings_1m' | 'readings_1h' | 'bucketed';
interface PointRow { ts: number; avg: number; min: number; max: number; n: number }

export function chooseSource(bucketSec: number | undefined, timescale: boolean): Source {
  if (bucketSec === undefined) return 'raw';
  if (timescale && bucketSec % 3600 === 0) return 'readings_1h';
  if (timescale && bucketSec % 60 === 0) return 'readings_1m';
  return 'bucketed';
}

export const readingRoutes = (db: Db): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/readings', {
    schema: {
      tags: ['readings'],
      summary: 'readings of one sensor, raw or bucketed (min/avg/max per bucket)',
      querystring: ReadingsQuery,
      response: { 200: ReadingsResponse, 400: ErrorBody },
    },
  }, async (req) => {
    const { sensor, bucket } = req.query;
    const to = req.query.to ?? Date.now();
    const from = req.query.from ?? to - DEFAULT_RANGE_MS;
    if (!(from < to)) throw new SpError('SP_ERR_VALIDATION', { field: 'querystring.from', reason: 'from must be before to' });
    const source = chooseSource(bucket, db.timescale);
    const range = [sensor, new Date(from), new Date(to)];
    let rows: PointRow[];
    if (source === 'raw') {
      rows = await db.query<PointRow>(
        `SELECT (extract(epoch FROM ts) * 1000)::float8 AS ts, value AS avg, value AS min, value AS max, 1 AS n
         FROM readings WHERE sensor = $1 AND ts >= $2 AND ts < $3 ORDER BY ts LIMIT ${RAW_LIMIT + 1}`, range);
    } else if (source === 'bucketed') {
      rows = await db.query<PointRow>(
        `SELECT (extract(epoch FROM time_bucket($4::interval, ts)) * 1000)::float8 AS ts,
                avg(value)::float8 AS avg, min(value)::float8 AS min, max(value)::float8 AS max, count(*)::int AS n
         FROM readings WHERE sensor = $1 AND ts >= $2 AND ts < $3 GROUP BY 1 ORDER BY 1`, [...range, `${bucket} seconds`]);
    } else {
      rows = await db.query<PointRow>(
        `SELECT (extract(epoch FROM time_bucket($4::interval, bucket)) * 1000)::float8 AS ts,
                (sum(avg * n) / sum(n))::float8 AS avg, min(min)::float8 AS min, max(max)::float8 AS max, sum(n)::int AS n
         FROM ${source} WHERE sensor = $1 AND bucket >= $2 AND bucket < $3 GROUP BY 1 ORDER BY 1`, [...range, `${bucket} seconds`]);
    }
    const truncated = source === 'raw' && rows.length > RAW_LIMIT;
    return { sensor, bucket: bucket ?? null, source, truncated, points: truncated ? rows.slice(0, RAW_LIMIT) : rows };
  });
};
