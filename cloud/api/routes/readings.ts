import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { SpError } from '../../../protocols/errors.ts';
import type { Db } from '../../db/engine.ts';
import { ErrorBody, ReadingsQuery, ReadingsResponse } from '../schemas.ts';

// Time series for one sensor. With a bucket the answer is min/avg/max per bucket, so a panel
// asks for as many buckets as it has pixels. On TimescaleDB whole-minute and whole-hour
// buckets come from the continuous aggregates; elsewhere the same time_bucket query runs on
// the raw table.
//
// The server never ships more points than maxPoints (the panel's width; default 20 000),
// whatever the client asks: a bucket too narrow for the range is widened to the next nice
// width, and raw points beyond the budget are replaced by min/avg/max buckets (min/max
// downsampling: every spike stays visible, unlike plain decimation). Nice widths are whole
// minutes / hours where possible so the continuous aggregates still serve them.

const DEFAULT_MAX_POINTS = 20_000;
const DEFAULT_RANGE_MS = 6 * 3600_000;
/** The widest window one request may span: a year and a bit (the dashboard's picker stops at 30 d). */
export const MAX_RANGE_MS = 400 * 86400_000;
const NICE_BUCKETS_SEC = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400];

type Source = 'raw' | 'readings_1m' | 'readings_1h' | 'bucketed';
interface PointRow { ts: number; avg: number; min: number; max: number; n: number }

export function chooseSource(bucketSec: number | undefined, timescale: boolean): Source {
  if (bucketSec === undefined) return 'raw';
  if (timescale && bucketSec % 3600 === 0) return 'readings_1h';
  if (timescale && bucketSec % 60 === 0) return 'readings_1m';
  return 'bucketed';
}

/**
 * The narrowest nice bucket (s) that keeps [from, to) within maxPoints buckets. A half-open
 * range of R seconds touches at most ceil(R / b) + 1 aligned buckets, hence maxPoints - 1.
 */
export function bucketForBudget(rangeMs: number, maxPoints: number): number {
  const need = Math.ceil(rangeMs / 1000 / Math.max(1, maxPoints - 1));
  for (const b of NICE_BUCKETS_SEC) if (b >= need) return b;
  return Math.ceil(need / 86400) * 86400;
}

export const readingRoutes = (db: Db): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/readings', {
    schema: {
      tags: ['readings'],
      summary: 'readings of one sensor, raw or bucketed (min/avg/max per bucket), never more than maxPoints points',
      querystring: ReadingsQuery,
      response: { 200: ReadingsResponse, 400: ErrorBody },
    },
  }, async (req) => {
    const { sensor } = req.query;
    const maxPoints = req.query.maxPoints ?? DEFAULT_MAX_POINTS;
    const to = req.query.to ?? Date.now();
    const from = req.query.from ?? to - DEFAULT_RANGE_MS;
    if (!(from < to)) throw new SpError('SP_ERR_VALIDATION', { field: 'querystring.from', reason: 'from must be before to' });
    // a 10-year window at 1 s buckets is a denial of service, not a chart: refused, not clipped
    if (to - from > MAX_RANGE_MS) throw new SpError('SP_ERR_VALIDATION', { field: 'querystring.to', reason: `the range may span at most ${MAX_RANGE_MS / 86400_000} days` });
    const range = [sensor, new Date(from), new Date(to)];
    let bucket = req.query.bucket;
    let downsampled = false;
    if (bucket !== undefined && Math.ceil((to - from) / 1000 / bucket) + 1 > maxPoints) {
      bucket = Math.max(bucket, bucketForBudget(to - from, maxPoints));
      downsampled = true;
    }
    if (bucket === undefined) {
      const raw = await db.query<PointRow>(
        `SELECT (extract(epoch FROM ts) * 1000)::float8 AS ts, value AS avg, value AS min, value AS max, 1 AS n
         FROM readings WHERE sensor = $1 AND ts >= $2 AND ts < $3 ORDER BY ts LIMIT ${maxPoints + 1}`, range);
      if (raw.length <= maxPoints) return { sensor, bucket: null, source: 'raw' as const, truncated: false, downsampled, points: raw };
      bucket = bucketForBudget(to - from, maxPoints);
      downsampled = true;
    }
    const source = chooseSource(bucket, db.timescale);
    let rows: PointRow[];
    if (source === 'bucketed') {
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
    return { sensor, bucket, source, truncated: false, downsampled, points: rows };
  });
};
