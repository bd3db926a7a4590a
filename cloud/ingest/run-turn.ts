import { randomInt } from 'node:crypto';
import type { Queryable } from '../db/engine.ts';

// A gateway's runs in commit order while they overlap (issue #12, the drain after an outage).
// group-commit.ts lets the next run of big plain batches of a stream start while the run before it
// is still in its transaction: its keys and COPY go on beside the other's COPY and COMMIT, and the
// two cores stop idling between runs. Their COMMITs must still come in seq order. So each such
// group takes an advisory lock of its own when it begins (engine.ts TxOptions.lock), and a group
// that follows one waits for that lock — inside PostgreSQL — before it touches a row the earlier
// one writes too (the sensors' last value, the gateways row), and at the latest before its COMMIT.
// A wait inside the server, not in our code: should the earlier run ever wait for a row the later
// one took first (a reading or a key sent twice), the two are a deadlock PostgreSQL breaks after
// deadlock_timeout (40P01, which the ingest retries), never a hang. The lock is released when the
// earlier transaction ends, committed or not: once it is granted, group-commit.ts asks how that
// transaction ended (in our code, but of a transaction already over, so it waits for no one) and
// rolls the follower back when the earlier run did not commit whole.

/** the first key of the lock space ("SPOR"); the second names the group */
const ORDER_LOCK_CLASS = 0x5350_4f52 & 0x7fff_ffff;

/** the group locks' second keys: a start drawn at random per process (cloud instances share the server), then counting */
let next = randomInt(0x7fff_ffff);

/** a new group's lock, as TxOptions.lock takes it */
export function newRunLock(): [number, number] {
  next = (next + 1) | 0;
  return [ORDER_LOCK_CLASS, next];
}

/** the wait of one group for the groups it follows (their locks), taken once */
export class RunTurn {
  private sql: string;
  constructor(after: readonly (readonly [number, number])[]) {
    this.sql = after.length ? `SELECT ${after.map(([a, b]) => `pg_advisory_xact_lock_shared(${a | 0}, ${b | 0})`).join(', ')}` : '';
  }

  /** the statement that waits, to send with the caller's next one; '' once taken, or when there is nothing to wait for */
  take(): string {
    const sql = this.sql;
    this.sql = '';
    return sql;
  }

  /** waits in a round trip of its own, unless it was taken already */
  async wait(q: Queryable): Promise<void> {
    const sql = this.take();
    if (sql) await q.query(sql);
  }
}
