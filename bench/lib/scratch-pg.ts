import { randomBytes } from 'node:crypto';
import pg from 'pg';

// A scratch database next to DATABASE_URL's, dropped at the end: benchmarks never touch real data.

export interface ScratchDb { url: string; name: string; drop(): Promise<void> }

export async function scratchDatabase(base: string, prefix = 'sp_bench'): Promise<ScratchDb> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    try { await c.query(sql); } finally { await c.end(); }
  };
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  return { url: u.toString(), name, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export function requireDatabaseUrl(bench: string): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(`${bench}: set DATABASE_URL=postgres://… (a scratch database is created and dropped there)`);
    process.exit(2);
  }
  return url;
}
