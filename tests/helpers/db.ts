import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDb, type Db } from '../../cloud/db/engine.ts';
import { migrate } from '../../cloud/db/migrate.ts';

// Every test gets a database of its own: PGlite in memory by default, or — when DATABASE_URL
// is set (CI sets it) — a fresh database created on that PostgreSQL server and dropped after.

export const usingPostgres = Boolean(process.env.DATABASE_URL);
export const engineLabel = usingPostgres ? 'postgres' : 'pglite';

export interface TestDatabase {
  db: Db;
  /** the URL of the fresh database, when on PostgreSQL */
  url?: string;
  cleanup(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** a fresh, empty PostgreSQL database (URL), dropped by the returned cleanup */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sp_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const u = new URL(process.env.DATABASE_URL!);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

export async function testDatabase(opts: { migrated?: boolean } = { migrated: true }): Promise<TestDatabase> {
  if (!usingPostgres) {
    const db = await openDb({});
    if (opts.migrated !== false) await migrate(db);
    return { db, cleanup: () => db.close() };
  }
  const fresh = await freshPostgresDatabase();
  const db = await openDb({ url: fresh.url, poolSize: 4 });
  if (opts.migrated !== false) await migrate(db);
  return {
    db,
    url: fresh.url,
    cleanup: async () => {
      await db.close();
      await fresh.drop();
    },
  };
}

/**
 * Does this server offer TimescaleDB? Migrations enable it when it does (readings becomes a
 * hypertable, the aggregates continuous aggregates), so engine-aware assertions ask here rather
 * than assume plain PostgreSQL whenever DATABASE_URL is set.
 */
export async function timescaleAvailable(db: Db): Promise<boolean> {
  const [r] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'timescaledb'");
  if (!r?.n) return false;
  // installed files are not enough: the server must preload the library for CREATE EXTENSION to work
  const [p] = await db.query<{ v: string }>("SELECT current_setting('shared_preload_libraries', true) AS v");
  return /\btimescaledb\b/.test(p?.v ?? '');
}
