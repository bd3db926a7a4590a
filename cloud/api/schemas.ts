import { z } from 'zod';
import { Line, Name, Text } from './fields.ts';

// Response and request schemas of the REST API: the single source for validation, serialisation
// and the OpenAPI document at /docs.

export const ErrorBody = z.object({
  code: z.string(),
  message: z.string(),
  details: z.array(z.object({ field: z.string(), reason: z.string() })),
});

export const TimeParam = z.union([z.coerce.number().int().nonnegative(), z.string().datetime({ offset: true })])
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)))
  .describe('epoch milliseconds or ISO-8601 time');

export const Health = z.object({
  status: z.enum(['ok', 'degraded']),
  site: z.string().optional(),
  db: z.object({ engine: z.enum(['pglite', 'postgres']), timescale: z.boolean(), ok: z.boolean() }),
  mqtt: z.object({ connected: z.boolean() }),
  /** uplink progress: the oldest batch received and not acked, gateways whose stream is stalled */
  uplink: z.object({
    oldestUnackedSec: z.number(),
    stallAfterSec: z.number(),
    stalled: z.array(z.string()),
    gateways: z.array(z.object({
      gateway: z.string(), pending: z.number(), oldestUnackedSec: z.number(), attempts: z.number(),
      sinceAdvanceSec: z.number().optional(), stalled: z.boolean(), stalledSince: z.number().optional(),
    })),
  }).optional(),
  version: z.string(),
  uptimeSec: z.number(),
});

export const Profile = z.object({ low: z.number().optional(), high: z.number().optional() });

export const Zone = z.object({
  id: z.string(),
  name: z.string(),
  site: z.string(),
  gateway: z.string(),
  profile: Profile,
  delaySec: z.number(),
  hysteresis: z.number(),
  sensors: z.array(z.object({ id: z.string(), kind: z.string(), unit: z.string() })),
  latest: z.array(z.object({ sensor: z.string(), kind: z.string(), value: z.number(), ts: z.number() })),
  activeAlerts: z.number().int(),
  /** the zone's oldest reading (epoch ms): the dashboard's default range fits the data that exists */
  firstTs: z.number().optional(),
});

export const Sensor = z.object({
  id: z.string(),
  zone: z.string(),
  kind: z.string(),
  unit: z.string(),
  protocol: z.string(),
  gateway: z.string(),
  name: z.string().optional(),
  lastTs: z.number().optional(),
  lastValue: z.number().optional(),
});

export const ReadingsQuery = z.object({
  sensor: Name(100),
  from: TimeParam.optional(),
  to: TimeParam.optional(),
  bucket: z.coerce.number().int().min(1).max(31 * 86400).optional().describe('bucket width in seconds; absent = raw points'),
  maxPoints: z.coerce.number().int().min(10).max(20_000).optional()
    .describe('at most this many points (the panel width in pixels; default 20000): wider buckets, or raw points replaced by min/avg/max buckets'),
});

export const ReadingsResponse = z.object({
  sensor: z.string(),
  bucket: z.number().nullable(),
  source: z.enum(['raw', 'readings_1m', 'readings_1h', 'bucketed']),
  truncated: z.boolean(),
  /** true when the answer was coarsened to stay within maxPoints (bucket = the width used) */
  downsampled: z.boolean(),
  points: z.array(z.object({ ts: z.number(), avg: z.number(), min: z.number(), max: z.number(), n: z.number() })),
});

export const Alert = z.object({
  id: z.string(),
  rule: z.string(),
  zone: z.string(),
  sensor: z.string().nullable(),
  severity: z.string(),
  state: z.enum(['active', 'cleared']),
  raisedAt: z.number(),
  clearedAt: z.number().nullable(),
  since: z.number(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  message: z.string(),
  ackedAt: z.number().nullable(),
  ackedBy: z.string().nullable(),
  ackNote: z.string().nullable(),
  gateway: z.string(),
});

export const AlertsQuery = z.object({
  state: z.enum(['active', 'cleared', 'unacked', 'all']).default('all'),
  zone: Line(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const AckBody = z.object({
  by: Name(100).refine((s) => s.length > 0, 'say who acknowledges (name or role)'),
  note: Text(1000).optional(),
});
