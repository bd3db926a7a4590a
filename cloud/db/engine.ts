import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { SpError } from '../../protocols/errors.ts';
import { createOrm, type Orm } from './orm.ts';
import { lockDataDir, type DataDirLock } from './data-dir-lock.ts';
import { StatementNames } from './statement-names.ts';

// One small interface over the three engines we run on: PGlite (embedded default), plain
// PostgreSQL, and PostgreSQL with TimescaleDB. Everything above this file speaks SQL through
// `query` / `tx`, so the same statements run everywhere.

export type EngineName = 'pglite' | 'postgres';

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** PostgreSQL only: the transaction's own client, for COPY (cloud/ingest/copy-readings.ts) */
  readonly pgClient?: pg.ClientBase;
}

export interface Session extends Queryable {
  /** runs several statements separated by `;` (migrations) */
  exec(sql: string): Promise<void>;
}

export interface Db extends Session {
  readonly engine: EngineName;
  /** typed queries (drizzle) on the same connection(s) */
  readonly orm: Orm;
  /** TimescaleDB extension present and in use (set by migrate) */
  timescale: boolean;
  /** runs fn on one dedicated connection (session-level locks, multi-statement scripts) */
  session<T>(fn: (s: Session) => Promise<T>): Promise<T>;
  /** runs fn in one transaction: commit on return, rollback on throw */
  tx<T>(fn: (q: Queryable) => Promise<T>, o?: TxOptions): Promise<T>;
  close(): Promise<void>;
  /**
   * Tells other processes which URL serves this database (an embedded data directory names
   * its holder's API in the refusal a second opener gets); a no-op elsewhere.
   */
  advertise(url: string): void;
  /** short description for logs, without credentials */
  describe(): string;
}

export interface TxOptions {
  /**
   * PostgreSQL: the transaction's named statements run on their generic plan, planned once per
   * connection, instead of being planned again at every execution. With plan_cache_mode=auto the
   * server kept re-planning the ingest's statements (unnest arrays, CTEs: a custom plan looked
   * cheaper), and an alarm batch's transaction spent ~1.5–2 ms of its ~8 planning them
   * (pg_stat_statements, bench/alarm-latency.ts). Only for transactions whose statements look rows
   * up by key, where no parameter value changes the best plan (the ingest: group-commit.ts);
   * never for the API's time-range reads. PGlite ignores it (its statements are not named).
   */
  genericPlans?: boolean;
  /**
   * PostgreSQL: an advisory lock (its two int4 keys) taken in the BEGIN round trip and held to the
   * transaction's end (pg_advisory_xact_lock): group-commit.ts orders a gateway's overlapping runs
   * by it. PGlite ignores it (one connection: no transaction runs beside another).
   */
  lock?: readonly [number, number];
}

export interface OpenDbOptions {
  /** postgres://… ; when absent, PGlite is used */
  url?: string;
  /** PGlite data directory; absent = in memory. Held by this process until close (data-dir-lock.ts). */
  dataDir?: string;
  /** an already created PGlite (tests pass one built with the TimescaleDB extension) */
  pglite?: PGlite;
  poolSize?: number;
  /**
   * PostgreSQL: name the statements run often, so each connection parses and plans them once
   * (statement-names.ts). Off for a pooler in transaction mode (PgBouncer before 1.21), which
   * cannot keep a connection's named statements (STOCKPULSE_PG_PREPARED=false). Default on.
   */
  prepared?: boolean;
}

export async function openDb(opts: OpenDbOptions): Promise<Db> {
  if (opts.url) return openPostgres(opts.url, opts.poolSize ?? 10, opts.prepared ?? true);
  if (opts.pglite || !opts.dataDir) {
    const lite = opts.pglite ?? new PGlite();
    await lite.waitReady;
    return wrapPglite(lite, opts.dataDir ?? (opts.pglite ? 'provided instance' : 'memory'));
  }
  // Every process that opens a data directory goes through here, so none can skip the lock:
  // taken before PGlite touches a file, released after it has written everything back.
  const lock = await lockDataDir(opts.dataDir);
  try {
    const lite = new PGlite(opts.dataDir);
    await lite.waitReady;
    return wrapPglite(lite, opts.dataDir, lock);
  } catch (e) {
    lock.release();
    throw e;
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres (unparseable URL)';
  }
}

async function openPostgres(url: string, max: number, prepared: boolean): Promise<Db> {
  // Idle connections are kept (node-postgres closes them after 10 s by default): each holds the
  // statements prepared on it (statement-names.ts), and an alarm arriving after a quiet spell
  // would otherwise pay a new connection and a parse and plan of every statement on its path —
  // the first trials of bench/alarm-latency.ts, run after the 10 s of its baseline, took 2–3× the
  // others. At most `max` of them (10 for the cloud), and a broken one is dropped (pool.on('error')).
  // Idle ones do not keep a process alive (allowExitOnIdle): a CLI command still exits when done.
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 0, allowExitOnIdle: true });
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (e) {
    await pool.end().catch(() => {});
    throw new SpError('SP_ERR_DB', { field: 'DATABASE_URL', reason: `cannot connect to ${redact(url)}: ${(e as Error).message}` });
  }
  const names = prepared ? new StatementNames() : undefined;
  // a statement without parameters stays on the simple protocol: it may hold several statements (migrations)
  const run = async <T>(on: pg.Pool | pg.ClientBase, sql: string, params?: unknown[]): Promise<T[]> => {
    const name = params && names?.nameOf(sql);
    return (await (name ? on.query({ name, text: sql, values: params }) : on.query(sql, params as unknown[]))).rows as T[];
  };
  const query = <T>(sql: string, params?: unknown[]) => run<T>(pool, sql, params);
  return {
    engine: 'postgres',
    orm: createOrm({ kind: 'postgres', pool }),
    timescale: false,
    query,
    async exec(sql) {
      await pool.query(sql);
    },
    async session(fn) {
      const { client, broken, done } = await checkout(pool);
      try {
        return await fn({
          query: <T>(s: string, p?: unknown[]) => run<T>(client, s, p),
          exec: async (s: string) => { await client.query(s); },
        });
      } finally {
        done(broken.error);
      }
    },
    async tx(fn, o) {
      const { client, broken, done } = await checkout(pool);
      try {
        // one round trip whatever it holds: the simple protocol carries several statements
        await client.query(beginOf(o, prepared));
        const result = await fn({ query: <T>(s: string, p?: unknown[]) => run<T>(client, s, p), pgClient: client });
        await client.query('COMMIT');
        return result;
      } catch (e) {
        // A client whose ROLLBACK failed may still be inside this transaction: never reuse it.
        await client.query('ROLLBACK').catch((re: Error) => { broken.error ??= re; });
        throw e;
      } finally {
        done(broken.error);
      }
    },
    async close() {
      await pool.end();
    },
    advertise: () => {},
    describe: () => `postgres ${redact(url)}`,
  };
}

/** the statements that open a PostgreSQL transaction with these options */
function beginOf(o: TxOptions | undefined, prepared: boolean): string {
  let sql = 'BEGIN';
  if (o?.genericPlans && prepared) sql += '; SET LOCAL plan_cache_mode = force_generic_plan';
  // the keys are our own numbers (run-turn.ts), never input; `| 0` makes each an int4 literal whatever it is
  if (o?.lock) sql += `; SELECT pg_advisory_xact_lock(${o.lock[0] | 0}, ${o.lock[1] | 0})`;
  return sql;
}

/**
 * A pooled client checked out for a session or transaction. pg-pool stops listening for the
 * client's 'error' while it is checked out, so a server that drops the connection between two
 * of our statements (restart, pg_terminate_backend) would raise an unhandled 'error' and crash
 * the process. We listen meanwhile, and hand the error to release() so the pool destroys the
 * client instead of giving the broken connection to the next caller.
 */
async function checkout(pool: pg.Pool): Promise<{ client: pg.PoolClient; broken: { error?: Error }; done(err?: Error): void }> {
  const client = await pool.connect();
  const broken: { error?: Error } = {};
  const onError = (e: Error) => { broken.error ??= e; };
  client.on('error', onError);
  return {
    client,
    broken,
    done: (err) => {
      client.off('error', onError);
      client.release(err ?? broken.error);
    },
  };
}

function wrapPglite(lite: PGlite, where: string, lock?: DataDirLock): Db {
  const db: Db = {
    engine: 'pglite',
    orm: createOrm({ kind: 'pglite', lite }),
    timescale: false,
    query: async <T>(sql: string, params?: unknown[]) => (await lite.query<T>(sql, params)).rows,
    async exec(sql) {
      await lite.exec(sql);
    },
    tx: (fn) => lite.transaction((t) => fn({ query: async <T>(s: string, p?: unknown[]) => (await t.query<T>(s, p)).rows })),
    async close() {
      try {
        if (!lite.closed) await lite.close();
      } finally {
        lock?.release();
      }
    },
    advertise: (url) => lock?.advertise(url),
    describe: () => `pglite (${where})`,
    // PGlite is a single connection already.
    session: (fn) => fn(db),
  };
  return db;
}
