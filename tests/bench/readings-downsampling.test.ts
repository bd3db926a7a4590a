import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../cloud/api/server.ts';
import { createCloudMetrics } from '../../cloud/metrics.ts';
import { createApiToken } from '../../cloud/auth/tokens.ts';
import { engineLabel, testDatabase, type TestDatabase } from '../helpers/db.ts';

// A dashboard panel must never receive more points than it has pixels, whatever it asks for:
// the readings route enforces maxPoints (default 20 000) by widening buckets and by replacing
// raw points with min/avg/max buckets, so a one-sample spike survives the downsampling.

const T0 = Date.parse('2026-11-01T00:00:00Z');
const DAYS = 3;
const STEP_S = 10;
const N = (DAYS * 86400) / STEP_S; // 25 920 readings
const SPIKE_AT = T0 + 123_450 * 1000;
const DIP_AT = T0 + 200_000 * 1000;

let tdb: TestDatabase;
let app: FastifyInstance;
let auth: Record<string, string>;

const get = async (query: string) => {
  const res = await app.inject({ headers: auth, url: `/api/readings?sensor=s1&from=${T0}&to=${T0 + DAYS * 86400_000}&${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { bucket: number | null; source: string; truncated: boolean; downsampled: boolean; points: { ts: number; min: number; max: number; avg: number; n: number }[] };
};

beforeAll(async () => {
  tdb = await testDatabase();
  await tdb.db.query(
    `INSERT INTO readings (ts, gateway, sensor, zone, kind, value)
     SELECT to_timestamp(($1::float8 + i * $2::float8 * 1000) / 1000.0), 'gw', 's1', 'z', 'temperature',
            CASE WHEN $1::float8 + i * $2::float8 * 1000 = $4 THEN 50
                 WHEN $1::float8 + i * $2::float8 * 1000 = $5 THEN -30
                 ELSE 4 + sin(i / 100.0) END
     FROM generate_series(0, $3::int - 1) AS i`, [T0, STEP_S, N, SPIKE_AT, DIP_AT]);
  app = await buildApi({ db: tdb.db, log: pino({ level: 'silent' }), metrics: createCloudMetrics(), mqttConnected: () => true });
  auth = { authorization: `Bearer ${(await createApiToken(tdb.db, { role: 'viewer', name: 'panel' })).token}` };
});

afterAll(async () => {
  await app?.close();
  await tdb?.cleanup();
});

describe(`readings route point budget on ${engineLabel}`, () => {
  it('raw readings beyond maxPoints come back as at most maxPoints min/max buckets that keep the spike and the dip', async () => {
    const r = await get('maxPoints=800');
    expect(r.points.length).toBeLessThanOrEqual(800);
    expect(r.points.length).toBeGreaterThan(400);
    expect(r.downsampled).toBe(true);
    expect(r.truncated).toBe(false);
    expect(Math.max(...r.points.map((p) => p.max))).toBe(50);
    expect(Math.min(...r.points.map((p) => p.min))).toBe(-30);
    // nothing lost: the buckets account for every reading
    expect(r.points.reduce((a, p) => a + p.n, 0)).toBe(N);
  });

  it('a bucket too narrow for the range is widened to fit the budget', async () => {
    const r = await get('bucket=60&maxPoints=500');
    expect(r.points.length).toBeLessThanOrEqual(500);
    expect(r.bucket).toBeGreaterThan(60);
    expect(r.downsampled).toBe(true);
    expect(Math.max(...r.points.map((p) => p.max))).toBe(50);
  });

  it('without maxPoints the answer is capped at 20 000 points, not truncated', async () => {
    const r = await get('');
    expect(r.points.length).toBeLessThanOrEqual(20_000);
    expect(r.truncated).toBe(false);
    expect(r.points.reduce((a, p) => a + p.n, 0)).toBe(N);
  });

  it('within the budget raw points and requested buckets come back unchanged', async () => {
    const res = await app.inject({ headers: auth, url: `/api/readings?sensor=s1&from=${T0}&to=${T0 + 3600_000}&maxPoints=1000` });
    const raw = res.json();
    expect(raw).toMatchObject({ source: 'raw', bucket: null, downsampled: false });
    expect(raw.points).toHaveLength(360);
    const b = await get('bucket=3600&maxPoints=1000');
    expect(b).toMatchObject({ bucket: 3600, downsampled: false });
    expect(b.points).toHaveLength(DAYS * 24);
  });

  it('rejects a budget below 10 points with a 400 naming the field', async () => {
    const res = await app.inject({ headers: auth, url: `/api/readings?sensor=s1&maxPoints=3` });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('maxPoints');
  });
});
