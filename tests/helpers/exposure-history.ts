import type { Db } from '../../cloud/db/engine.ts';
import pino from 'pino';
import type { JobContext } from '../../cloud/jobs/job.ts';

// Generated cold-chain history for the exposure tests: IoT zones with their temperature
// sensors, and readings from a function of time (one INSERT per sensor, unnest of arrays).

export const HOUR = 3_600_000;
export const MIN = 60_000;

export async function iotZone(db: Db, id: string, sensors: string[], range: { low?: number; high?: number } = {}): Promise<void> {
  await db.query(
    `INSERT INTO zones (id, gateway, site, name, profile_low, profile_high, delay_sec, hysteresis) VALUES ($1,'gw-test','site-1',$1,$2,$3,60,0.5)`,
    [id, range.low ?? null, range.high ?? null]);
  for (const s of sensors) {
    await db.query(`INSERT INTO sensors (id, gateway, zone, kind, unit, protocol) VALUES ($1,'gw-test',$2,'temperature','°C','mqtt-json')`, [s, id]);
  }
}

/** readings of one sensor every `stepMs` over [from, to), value = fn(t) */
export async function readings(db: Db, sensor: string, zone: string, from: number, to: number, stepMs: number, fn: (t: number) => number): Promise<number> {
  const ts: number[] = [], vs: number[] = [];
  for (let t = from; t < to; t += stepMs) { ts.push(t); vs.push(fn(t)); }
  await db.query(
    `INSERT INTO readings (ts, gateway, sensor, zone, kind, value)
     SELECT to_timestamp(r.t / 1000.0), 'gw-test', $3, $4, 'temperature', r.v FROM unnest($1::float8[], $2::float8[]) AS r(t, v)`,
    [ts, vs, sensor, zone]);
  return ts.length;
}

/** a value that is `base` except inside the given windows */
export const withWindows = (base: number, windows: { from: number; to: number; value: number }[]) => (t: number) =>
  windows.find((w) => t >= w.from && t < w.to)?.value ?? base;

/** a job context with an injected clock: the 15-minute period ending at `now` */
export function jobContext(db: Db, now: number): JobContext {
  return { db, now: new Date(now), period: { from: new Date(now - 15 * MIN), to: new Date(now) }, log: pino({ level: 'silent' }), progress: () => {} };
}
