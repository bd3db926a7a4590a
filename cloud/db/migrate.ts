import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Db, Session } from './engine.ts';
import { SpError } from '../../protocols/errors.ts';

// SQL migrations, applied in file order, once each, recorded in schema_migrations.
// A migration may come in two variants, NAME.timescale.sql and NAME.plain.sql: the TimescaleDB
// one is used when the extension is available (hypertables, policies, continuous aggregates),
// the plain one elsewhere (time_bucket shim, plain views with the same names and columns).

const DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** arbitrary constant: the advisory lock that serialises migrations across cloud instances */
const MIGRATION_LOCK = 7_261_001;

export type TimescaleMode = 'auto' | 'off' | 'require';

export interface MigrationReport {
  engine: Db['engine'];
  timescale: boolean;
  applied: string[];
  alreadyApplied: number;
  timescaleNote?: string;
}

interface MigrationFile {
  id: string;
  variant: 'any' | 'timescale' | 'plain';
  file: string;
}

async function listMigrations(): Promise<Map<string, MigrationFile[]>> {
  const files = (await readdir(DIR)).filter((f) => f.endsWith('.sql')).sort();
  const byId = new Map<string, MigrationFile[]>();
  for (const file of files) {
    const m = /^(\d+_[a-z0-9_]+?)(?:\.(timescale|plain))?\.sql$/.exec(file);
    if (!m) throw new Error(`migration file name not understood: ${file}`); // startup assertion: the files ship with the code
    const id = m[1]!;
    const list = byId.get(id) ?? [];
    list.push({ id, variant: (m[2] as MigrationFile['variant']) ?? 'any', file });
    byId.set(id, list);
  }
  return byId;
}

/** Enables TimescaleDB when it can be had; tells why not otherwise. */
async function enableTimescale(db: Session, mode: TimescaleMode): Promise<{ on: boolean; note?: string }> {
  if (mode === 'off') return { on: false, note: 'disabled by configuration' };
  const avail = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'timescaledb'");
  if (!avail[0]?.n) {
    if (mode === 'require') throw new SpError('SP_ERR_CONFIG', { field: 'STOCKPULSE_TIMESCALE', reason: 'require, but the TimescaleDB extension is not available on this server' }, 'TimescaleDB required (STOCKPULSE_TIMESCALE=require) but the extension is not available on this server');
    return { on: false, note: 'extension not available; using plain PostgreSQL with the time_bucket shim' };
  }
  try {
    await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
    return { on: true };
  } catch (e) {
    if (mode === 'require') throw e;
    return { on: false, note: `extension present but could not be created (${(e as Error).message}); using plain PostgreSQL` };
  }
}

export async function migrate(target: Db, opts: { timescale?: TimescaleMode } = {}): Promise<MigrationReport> {
  const run = async (db: Session): Promise<MigrationReport> => {
    await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id text PRIMARY KEY, variant text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Map((await db.query<{ id: string; variant: string }>('SELECT id, variant FROM schema_migrations')).map((r) => [r.id, r.variant]));
    const migrations = await listMigrations();
    // Once a database was set up with (or without) TimescaleDB it stays that way.
    const decided = [...done.values()].find((v) => v === 'timescale' || v === 'plain');
    let timescale = decided === 'timescale';
    let timescaleNote: string | undefined;
    if (!decided) {
      const t = await enableTimescale(db, opts.timescale ?? 'auto');
      timescale = t.on;
      timescaleNote = t.note;
    }
    const applied: string[] = [];
    for (const [id, variants] of migrations) {
      if (done.has(id)) continue;
      const pick = variants.find((v) => v.variant === 'any') ?? variants.find((v) => v.variant === (timescale ? 'timescale' : 'plain'));
      if (!pick) throw new Error(`migration ${id} has no variant for ${timescale ? 'timescale' : 'plain'}`); // startup assertion: the files ship with the code
      const sql = await readFile(DIR + pick.file, 'utf8');
      // Continuous aggregates cannot be created inside a transaction block, so TimescaleDB
      // migrations run statement by statement; the others run in one transaction.
      if (pick.variant === 'timescale') {
        await db.exec(sql);
      } else {
        await db.exec('BEGIN');
        try {
          await db.exec(sql);
        } catch (e) {
          await db.exec('ROLLBACK');
          throw new SpError('SP_ERR_DB', { field: `migration ${pick.file}`, reason: (e as Error).message }, `migration ${pick.file} failed: ${(e as Error).message}`);
        }
        await db.exec('COMMIT');
      }
      await db.query('INSERT INTO schema_migrations (id, variant) VALUES ($1, $2)', [id, pick.variant]);
      applied.push(pick.file);
    }
    target.timescale = timescale;
    return { engine: target.engine, timescale, applied, alreadyApplied: done.size, ...(timescaleNote ? { timescaleNote } : {}) };
  };
  // Several instances may start together: one migrates, the others wait and find it done.
  return target.session(async (s) => {
    if (target.engine === 'postgres') await s.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      return await run(s);
    } finally {
      if (target.engine === 'postgres') await s.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  });
}
