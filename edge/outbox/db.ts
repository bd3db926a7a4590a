import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SpError } from '../../protocols/errors.ts';

// The edge's one SQLite file: the outbox (what the cloud has not acknowledged yet) and the dead
// letters (frames the gateway could not use), side by side so one path is all an operator needs.
//
// Durability policy (WAL mode):
// - synchronous=FULL: every commit fsyncs the WAL before returning, so an append that returned
//   survives a process kill AND a power cut / kernel crash.
// - synchronous=NORMAL: commits reach the OS but the WAL is fsynced only at checkpoints. Still
//   safe against a process crash (kill -9: the OS has the pages); after a power cut the last
//   commits before the cut (up to the last checkpoint, typically ≤ ~1000 pages) may be rolled
//   back. The file is never corrupt either way, and WAL keeps a prefix: a later commit
//   never survives without the earlier ones.

export type FsyncPolicy = 'full' | 'normal';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
-- One row per outbox entry, id = append order. Readings are stored as columns (the bulk of the
-- rows; no JSON to build or parse, and thinning can read values directly); other entries as JSON.
CREATE TABLE IF NOT EXISTS outbox (
  id      INTEGER PRIMARY KEY,
  at      INTEGER NOT NULL,           -- epoch ms when appended
  type    TEXT NOT NULL,              -- reading | alert | device | manifest | ...
  batch   INTEGER,                    -- legacy (stores before the seq window): seq of the batch in flight; moved to handed_out on open
  thinned INTEGER NOT NULL DEFAULT 0, -- 1 = a per-minute min/max/avg summary of raw readings
  sensor  TEXT, kind TEXT, ts INTEGER, value REAL, quality TEXT,
  body    TEXT
);
CREATE INDEX IF NOT EXISTS outbox_in_flight ON outbox (batch) WHERE batch IS NOT NULL;
-- The batches handed out and not acked (the uplink's window): each one a contiguous run of outbox
-- ids. One small row per batch instead of marking its thousands of rows (the catch-up after an
-- outage cuts tens of batches a second, each with an fsync).
CREATE TABLE IF NOT EXISTS handed_out (seq INTEGER PRIMARY KEY, first_id INTEGER NOT NULL, last_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (
  id      INTEGER PRIMARY KEY,
  at      INTEGER NOT NULL,
  source  TEXT NOT NULL,
  topic   TEXT,
  code    TEXT NOT NULL,
  reason  TEXT NOT NULL,
  payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_by_source ON dead_letters (source, id);
-- Device input taken (acknowledged) but not yet turned into what it means: an RFID portal's reads
-- while a pass is still open. Replayed at start, cleared once the pass's movements are kept.
CREATE TABLE IF NOT EXISTS journal (
  id      INTEGER PRIMARY KEY,
  source  TEXT NOT NULL,
  ts      INTEGER NOT NULL,
  body    TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS journal_once ON journal (source, ts, body);
`;

export interface EdgeDb {
  db: Database.Database;
  path: string;
  fsync: FsyncPolicy;
  /** runs fn in one transaction committed with the given synchronous level, then restores the policy's level */
  commit<T>(level: FsyncPolicy, fn: () => T): T;
  close(): void;
}

// Two live gateways on one outbox would share a stream and send each other's batches; a lock
// file with the owner's pid stops the second one with a clear error. A lock left by a killed
// process (pid gone) is taken over.
const heldHere = new Set<string>();

function acquireLock(dbPath: string): () => void {
  const lockPath = `${dbPath}.lock`;
  if (heldHere.has(lockPath)) throw inUse(dbPath, process.pid);
  try {
    writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const owner = Number(readFileSync(lockPath, 'utf8').trim());
    if (owner && owner !== process.pid && isAlive(owner)) throw inUse(dbPath, owner);
    writeFileSync(lockPath, String(process.pid)); // stale: its process is gone
  }
  heldHere.add(lockPath);
  return () => {
    heldHere.delete(lockPath);
    rmSync(lockPath, { force: true });
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const inUse = (path: string, pid: number) => new SpError('SP_ERR_CONFLICT', {
  field: 'storage.dir',
  reason: `${path} is in use by another running gateway (pid ${pid}); give each gateway its own storage.dir or gateway.id`,
});

/**
 * SQLite's page cache for the gateway's store, KiB. better-sqlite3 builds SQLite with 16 MB
 * (SQLITE_DEFAULT_CACHE_SIZE=-16000), and the outbox fills it: at open it counts the whole table,
 * and a catch-up reads every row once, head to tail. That was 16.8 MB of the gateway's malloc heap
 * mid-drain (heaptrack, bench/drain.ts), held for the life of the process, while the pages it
 * reads again (the B-tree's root and its right edge, where appends go) are a few dozen. The file
 * itself stays in the kernel's page cache, which memory pressure can take back.
 */
export const PAGE_CACHE_KIB = 2048;

/** Opens (creating if needed) the edge store for writing: WAL, the fsync policy, schema, lock. */
export function openEdgeDb(path: string, fsync: FsyncPolicy = 'full'): EdgeDb {
  const abs = resolve(path);
  try {
    mkdirSync(dirname(abs), { recursive: true });
  } catch (e) {
    throw new SpError('SP_ERR_CONFIG', { field: 'storage.dir', reason: `cannot create ${dirname(abs)}: ${(e as Error).message}` });
  }
  const release = acquireLock(abs);
  let db: Database.Database;
  try {
    db = new Database(abs);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${fsync.toUpperCase()}`);
    db.pragma('busy_timeout = 5000'); // the deadletter CLI may be reading
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new SpError('SP_ERR_CONFLICT', { field: 'storage.dir', reason: `${abs} was written by a newer stockpulse (schema ${version} > ${SCHEMA_VERSION})` });
    }
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  } catch (e) {
    release();
    throw e;
  }
  let current: FsyncPolicy = fsync;
  const setLevel = (level: FsyncPolicy) => {
    if (level !== current) db.pragma(`synchronous = ${level.toUpperCase()}`);
    current = level;
  };
  return {
    db,
    path: abs,
    fsync,
    commit(level, fn) {
      setLevel(level);
      try {
        return db.transaction(fn)();
      } finally {
        setLevel(fsync);
      }
    },
    close() {
      if (db.open) db.close();
      release();
    },
  };
}

/** Opens an existing edge store read-only (operator tools; never blocks the running gateway). */
export function openEdgeDbReadonly(path: string): Database.Database {
  const abs = resolve(path);
  try {
    return new Database(abs, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new SpError('SP_ERR_NOT_FOUND', { field: 'storage.dir', reason: `no edge store at ${abs} (has the gateway run with this config?): ${(e as Error).message}` });
  }
}
