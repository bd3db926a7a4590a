import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { SpError } from '../../protocols/errors.ts';

// One writer per embedded database. PGlite is a whole PostgreSQL inside the process that opened
// the data directory (its own buffers, WAL position and postmaster.pid); a second process opening
// the same directory (a CLI command next to `npm start`) works on what is on disk, removes the
// first one's postmaster.pid and writes over its files: a token it creates is unknown to the
// server, and writes the server already answered 201 for can be lost. PostgreSQL (DATABASE_URL) and in-memory PGlite handle concurrency themselves and
// take no lock.
//
// The lock is a file in the data directory created with O_EXCL, holding who has it: pid,
// process start time and boot id (so a pid reused after a crash or a reboot is not taken for
// the holder), host, command, since, and the URL the holder serves once it listens. A lock
// whose holder is gone is taken over under a second O_EXCL file, so two processes finding the
// same stale lock cannot both win.

export const LOCK_FILE = 'stockpulse.lock';

export interface DataDirHolder {
  pid: number;
  /** /proc/<pid>/stat starttime (clock ticks since boot), where /proc exists */
  procStart?: string;
  bootId?: string;
  host: string;
  /** what the holder runs, e.g. "stockpulse demo --port 3000" */
  command: string;
  /** ISO time the lock was taken */
  since: string;
  /** device:inode of the data directory: a lock that came along with a copied directory is not about this one */
  dirId?: string;
  /** the holder's API, once it listens (see advertise) */
  url?: string;
}

export interface DataDirLock {
  readonly path: string;
  /** records the URL this process serves, so a refused process can be told where to go */
  advertise(url: string): void;
  release(): void;
}

// Locks held by this process, by lock path (on globalThis: a module loaded twice still sees them).
const held: Map<string, string> = ((globalThis as Record<symbol, unknown>)[Symbol.for('stockpulse.dataDirLocks')] ??= new Map()) as Map<string, string>;
let exitHookInstalled = false;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** a process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined off Linux */
function procStart(pid: number): string | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // the command name (field 2) may hold spaces and parentheses: count fields after the last ')'
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

const bootId = () => readProc('/proc/sys/kernel/random/boot_id');

/** what this process runs, for the holder's description; credentials in URLs are masked */
function thisCommand(): string {
  const [, script = '', ...args] = process.argv;
  const name = basename(script).replace(/\.(js|ts|mjs)$/, '');
  return [name, ...args].join(' ').replace(/\/\/[^/@\s]*@/g, '//***@').slice(0, 300);
}

function me(): DataDirHolder {
  return { pid: process.pid, procStart: procStart(process.pid), bootId: bootId(), host: hostname(), command: thisCommand(), since: new Date().toISOString() };
}

/** Is the process that wrote this lock still running? Unknown (another host) counts as yes. */
function holderAlive(h: DataDirHolder): boolean {
  if (h.host !== hostname()) return true; // a shared disk: we cannot see its processes, so never steal
  if (h.bootId && bootId() && h.bootId !== bootId()) return false; // written before a reboot
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // the pid is in use; by the same process only if it started at the same tick
  const now = procStart(h.pid);
  return !(h.procStart && now && now !== h.procStart);
}

/** Was this lock copied along with the directory (cp -a, a restored backup) from the one its holder has open? */
function copiedWith(h: DataDirHolder, mine: DataDirHolder): boolean {
  if (!h.dirId || !mine.dirId || h.dirId === mine.dirId) return false;
  // another host mounts the same disk under its own device number: compare the inode only
  return h.host === mine.host || h.dirId.split(':')[1] !== mine.dirId.split(':')[1];
}

function parse(raw: string): DataDirHolder | undefined {
  try {
    const h = JSON.parse(raw) as DataDirHolder;
    return Number.isInteger(h.pid) && h.pid > 0 ? h : undefined;
  } catch {
    return undefined;
  }
}

const readRaw = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
};

const ageMs = (path: string) => {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
};

/** who holds the data directory now, if anyone (a stale lock is reported too: check holderAlive) */
export function readDataDirHolder(dir: string): DataDirHolder | undefined {
  const raw = readRaw(join(resolve(dir), LOCK_FILE));
  return raw === undefined ? undefined : parse(raw);
}

function describeHolder(h: DataDirHolder): string {
  return `pid ${h.pid}${h.host !== hostname() ? ` on ${h.host}` : ''} running "${h.command}" since ${h.since}${h.url ? `, serving ${h.url}` : ''}`;
}

function refusal(dir: string, h: DataDirHolder): SpError {
  const api = h.url ? `its API at ${h.url}` : 'its API (its URL is in its log)';
  const elsewhere = h.host !== hostname()
    ? `; it was written on ${h.host}: if no process there has this directory open, delete ${join(dir, LOCK_FILE)}`
    : '';
  return new SpError('SP_ERR_CONFLICT', [
    { field: 'data-dir', reason: `${dir} is open in ${h.pid === process.pid && h.host === hostname() ? 'this process already' : 'another process'}; the embedded database (PGlite) allows one process at a time, and a second one would lose the first one's writes` },
    { field: 'holder', reason: describeHolder(h) },
    {
      field: 'what to do',
      reason: `stop it first (Ctrl-C in its terminal, or kill -TERM ${h.pid}) and run this again, or do it through ${api} `
        + '(tokens: POST /api/tokens; verify: GET /api/inventory/verify; jobs: GET /api/jobs, POST /api/jobs/NAME/run; migrations ran when it started'
        + `${h.url ? `; reference at ${h.url}/docs` : ''}), or run every process on PostgreSQL (DATABASE_URL)${elsewhere}`,
    },
  ]);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // a process that exits without closing its database still hands the directory back
  process.on('exit', () => {
    for (const [path, content] of held) {
      try {
        if (readRaw(path) === content) unlinkSync(path);
      } catch { /* exiting: nothing more to do */ }
    }
    held.clear();
  });
}

/**
 * Takes the data directory for this process, or throws SP_ERR_CONFLICT naming the holder.
 * A lock left by a process that is gone (kill -9, power cut, reboot) is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const dir = resolve(dataDir);
  const path = join(dir, LOCK_FILE);
  mkdirSync(dir, { recursive: true });
  const st = statSync(dir);
  const mine = { ...me(), dirId: `${st.dev}:${st.ino}` };
  if (held.has(path)) throw refusal(dir, parse(held.get(path)!) ?? mine);
  let content = JSON.stringify(mine);
  let unreadableSince: number | undefined;
  // bounded by time, not attempts: waiting out a half-written lock takes a couple of seconds
  for (const until = Date.now() + 15_000; Date.now() < until;) {
    try {
      writeFileSync(path, content, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const raw = readRaw(path);
    if (raw === undefined) continue; // released meanwhile: try again
    const holder = parse(raw);
    if (!holder) {
      // created but not yet written (a moment), or left empty by a crash right after creation
      unreadableSince ??= Date.now();
      if (Date.now() - unreadableSince < 1000 || ageMs(path) < 2000) { await sleep(20); continue; }
    } else if (!copiedWith(holder, mine) && holderAlive(holder)) {
      throw refusal(dir, holder);
    }
    await takeOverStale(path, raw);
  }
  if (readRaw(path) !== content) throw new SpError('SP_ERR_CONFLICT', { field: 'data-dir', reason: `could not take ${path}: other processes keep competing for it; try again` });
  held.set(path, content);
  installExitHook();
  return {
    path,
    advertise(url) {
      if (held.get(path) !== content) return;
      const next = JSON.stringify({ ...(parse(content) as DataDirHolder), url });
      // written beside and renamed over: a reader sees the old or the new lock, never half of one
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, next);
      renameSync(tmp, path);
      content = next;
      held.set(path, content);
    },
    release() {
      if (held.get(path) !== content) return;
      held.delete(path);
      if (readRaw(path) === content) unlinkSync(path);
    },
  };
}

/**
 * Removes a stale lock, once. Only the process holding `<lock>.takeover` (O_EXCL) may remove
 * the lock, and only if it still holds exactly the stale content judged: a live holder's fresh
 * lock is never removed by a competitor that judged the previous one.
 */
async function takeOverStale(path: string, staleRaw: string): Promise<void> {
  const guard = `${path}.takeover`;
  try {
    writeFileSync(guard, JSON.stringify(me()), { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // another process is taking over; a guard whose writer died mid-way expires after 5 s
    const g = parse(readRaw(guard) ?? '');
    if ((!g || !holderAlive(g)) && ageMs(guard) > 5000) unlinkSync(guard);
    await sleep(10);
    return;
  }
  try {
    if (readRaw(path) === staleRaw) unlinkSync(path);
  } finally {
    unlinkSync(guard);
  }
}
