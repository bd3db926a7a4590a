// What a bench ran on, read from the database it wrote to (never written as a constant): the
// engine and its version, TimescaleDB's version when the extension is installed, and whether
// `readings` really is a hypertable there (a TimescaleDB server with a plain table would not be).

export interface Engine { engine: 'postgresql' | 'pglite'; version: string; timescaledb: string | null; readingsHypertable: boolean; settings?: Record<string, string> }

/** the server settings a write-heavy figure depends on (docs/deploy.md: timescaledb-tune sets them) */
const SETTINGS = ['shared_buffers', 'max_wal_size', 'wal_buffers', 'synchronous_commit'] as const;

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

export async function engineOf(q: Query, engine: Engine['engine']): Promise<Engine> {
  const version = String((await q('SELECT version() AS v'))[0]!.v);
  const ext = await q("SELECT extversion AS v FROM pg_extension WHERE extname = 'timescaledb'");
  const ts = ext.length ? String(ext[0]!.v) : null;
  const hyper = ts ? (await q("SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'readings'")).length > 0 : false;
  const settings = Object.fromEntries((await q(`SELECT name, current_setting(name) AS v FROM unnest(ARRAY['${SETTINGS.join("','")}']) AS name`)).map((r) => [String(r.name), String(r.v)]));
  return { engine, version, timescaledb: ts, readingsHypertable: hyper, settings };
}

/** "PostgreSQL 15.20, TimescaleDB 2.28.0 (readings is a hypertable)" — for a bench's header line */
export function describeEngine(e: Engine): string {
  const v = e.version.split(',')[0]!;
  const set = e.engine === 'postgresql' && e.settings ? `; ${Object.entries(e.settings).map(([k, x]) => `${k} ${x}`).join(', ')}` : '';
  return `${e.engine === 'pglite' ? `PGlite (${v})` : v}${e.timescaledb ? `, TimescaleDB ${e.timescaledb}${e.readingsHypertable ? ' (readings is a hypertable)' : ' (readings is NOT a hypertable)'}` : ', no TimescaleDB (readings is a plain table)'}${set}`;
}

/**
 * After a bench whose cloud ran as its own process: what it ran on, read from its database, then
 * the scratch PostgreSQL database dropped — or, without one, the cloud's PGlite directory opened
 * once more to ask it.
 */
export async function engineAndDrop(scratch: { url: string; drop(): Promise<void> } | undefined, pgliteDir: string): Promise<Engine | undefined> {
  if (scratch) {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: scratch.url });
    await c.connect();
    try {
      return await engineOf(async (sql) => (await c.query(sql)).rows, 'postgresql');
    } finally {
      await c.end();
      await scratch.drop();
    }
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite(pgliteDir);
  try {
    return await engineOf(async (sql) => (await db.query<Record<string, unknown>>(sql)).rows, 'pglite').catch(() => undefined);
  } finally {
    await db.close();
  }
}
