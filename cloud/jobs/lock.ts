import type { Db } from '../db/engine.ts';

// "Exactly one cloud instance runs a job at a time." Across processes: a session-level
// PostgreSQL advisory lock, taken with pg_try_advisory_lock on one dedicated connection
// (db.session) and held for the whole run; a crashed instance's connection closes and the
// server drops its lock. Inside one process: a set of running jobs per database handle. That
// second guard is what makes PGlite safe too — PGlite is one connection, where a session lock
// is re-entrant (taking it twice succeeds), and no other process can open the same PGlite.

/** the advisory-lock key space of jobs: (JOB_LOCK_CLASS, hashtext(job name)) */
const JOB_LOCK_CLASS = 0x5350_4a42 & 0x7fff_ffff; // "SPJB"

const runningHere = new WeakMap<Db, Set<string>>();

export type LockOutcome<T> = { ran: true; value: T } | { ran: false };

/** runs fn while holding the job's lock; { ran: false } at once when someone else holds it */
export async function withJobLock<T>(db: Db, job: string, fn: () => Promise<T>): Promise<LockOutcome<T>> {
  let here = runningHere.get(db);
  if (!here) runningHere.set(db, (here = new Set()));
  if (here.has(job)) return { ran: false };
  here.add(job);
  try {
    return await db.session(async (s) => {
      const [row] = await s.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [JOB_LOCK_CLASS, job]);
      if (!row?.ok) return { ran: false } as const;
      try {
        return { ran: true, value: await fn() } as const;
      } finally {
        await s.query('SELECT pg_advisory_unlock($1, hashtext($2))', [JOB_LOCK_CLASS, job]).catch(() => {
          // the connection is gone: the server released the lock with it
        });
      }
    });
  } finally {
    here.delete(job);
  }
}
