import type { UplinkBatch } from '../../protocols/uplink/contract.ts';
import type { Db, Queryable } from '../db/engine.ts';
import type { NotificationTarget } from '../notify/targets.ts';
import type { IngestSettings } from './store-movements.ts';
import type { CloudMetrics } from '../metrics.ts';
import { COPY_MIN_READINGS, recordRefusals, storeBatch, storeBatchIn, type StoreOptions, type StoreResult } from './store-batch.ts';
import { classifyStoreFault } from './store-fault.ts';
import { newRunLock, RunTurn } from './run-turn.ts';
import { plain, storeGroupFast } from './store-group.ts';

// Group commit across gateways (issue #16). A fleet of small sites sends many small batches; one
// transaction each costs a COMMIT (a WAL flush) and a pool checkout per 10 readings. Batches that
// arrive while the previous group is committing (or in the same event-loop turn) are committed
// together in ONE transaction; each is acked by its caller only after that commit returned.
//
// - Per-gateway order: mqtt-ingest.ts keeps its promise chain per gateway; only its readings-only
//   batches may wait here several at once (overlap). A gateway's batches commit in arrival (seq)
//   order: a group holds two batches of one gateway only as a run of big plain ones of one
//   stream, which commits as one, and no group takes a gateway's batch while an earlier group
//   holding that gateway is still committing (take) — except the next run of such a stream (the
//   drain after an outage), which starts beside the run before it once that one holds its lock,
//   and waits for that lock inside PostgreSQL before it writes a row the two share and before its
//   COMMIT (run-turn.ts). A run never commits while the run it follows is still being tried: a
//   group whose transaction failed (its lock went with its ROLLBACK, and it goes again) or had a
//   batch rolled back alone (stored on the single-batch path after it) would let the follower
//   commit first. So the follower, once it holds its turn, checks how the run before it ended
//   (Group.firstTx); when that did not commit whole, the follower rolls back, waits until every
//   batch of that run was decided (Group.done) and runs again. Out of seq order only a batch that
//   failed for good: nothing of it is stored, and its resend commits when it comes.
// - Set-based first (store-group.ts): the group's plain batches (readings of sensors their
//   gateway owns) are written with two or three statements for all of them, first thing in the
//   transaction; every other batch runs storeBatchIn alone below. If the set-based statements
//   fail (not the connection), that transaction is rolled back and the group runs again in a new
//   one with every batch on the per-batch path.
// - Exactly-once: each batch runs openBatch (registry, idempotency key + digest, screening), or
//   for the plain ones its set-based equivalent, inside the group transaction; nothing of it is
//   visible, and nothing acked, before the COMMIT.
// - A failing batch costs only itself: each batch off the set-based path runs under its own SAVEPOINT. A batch whose
//   savepoint fails is rolled back alone (its neighbours go on) and, after the group committed,
//   goes through the single-batch path exactly as before group commit (storeBatch, whose
//   failure mqtt-ingest.ts classifies: transient retry, item-by-item fallback, rejection).
//   A group that is one such batch alone skips the savepoint (two round trips on an alarm's
//   path): its failure rolls back a transaction that held only it, and it goes the same way.
// - A connection-level fault (or a failing COMMIT) fails the whole group: every caller gets the
//   error, nothing is acked, the edges resend, and uplink_batches makes the resends exactly-once.
//
// Bounded: at most maxBatches per group, and at most `concurrency` groups in flight (the pool's
// connections are shared with the API). No timer: a group waits only for the previous one.

export interface GroupCommitOptions {
  db: Db;
  targets: readonly NotificationTarget[];
  /** the cloud's settings for the rules ingest runs (count drift), as storeBatch takes them */
  settings?: IngestSettings;
  metrics?: CloudMetrics;
  /** batches per transaction; default 64 */
  maxBatches?: number;
  /**
   * readings per transaction (a byte budget in practice); default 8 000: four 2 000-reading
   * batches. Smaller groups keep more of them in the pipe — one COPYing while another COMMITs
   * and the acks of a third go out: bench/ingest.ts on the TimescaleDB hypertable, 16 gateways,
   * interleaved runs, 8 000 → 188–206 k readings/s, 20 000 → 176–186 k; the drain (runs of one
   * stream) the same either way (115–133 k)
   */
  maxReadings?: number;
  /**
   * groups committing at once; default 1 on PGlite (one connection), 3 on PostgreSQL: one
   * COPYing, one COMMITting, one forming. bench/fleet.ts, 500 gateways: 2 → 1.25–1.69× the same
   * run's raw baseline, 6 → 1.06×, 1 → 0.81× (first box); 3 and 2 the same on the second
   * (4 096 and 4 219 batches/s). bench/ingest.ts --e2e-only, 16 gateways × 2 000 readings, the
   * TimescaleDB hypertable, interleaved: 3 → 178–225 k readings/s (mean 204 k, 8 runs),
   * 2 → 156–206 k (mean 188 k, 6 runs)
   */
  concurrency?: number;
  /** as storeBatch: the deliveries of the batches' alerts inserted leased, returned with each committed result */
  store?: StoreOptions;
}

interface Waiting {
  batch: UplinkBatch;
  resolve(r: StoreResult): void;
  reject(e: unknown): void;
}

/** a group in flight */
interface Group {
  waiting: Waiting[];
  /** its lock (run-turn.ts), when it holds a run a later group may follow; null otherwise */
  lock: [number, number] | null;
  /** true once its transaction holds that lock: a later run may start */
  locked: boolean;
  /** the groups it follows (runs of its stream still committing when it was taken) */
  after: Group[];
  /** settles when its first transaction ended: true when it committed with every batch in it */
  firstTx: Promise<boolean>;
  /** settles when each of its batches was decided (committed, duplicate, rejected, or failed with nothing stored) */
  done: Promise<void>;
  /** settle those two */
  settleFirstTx(whole: boolean): void;
  settleDone(): void;
}

function newGroup(waiting: Waiting[], lock: [number, number] | null, after: Group[]): Group {
  let settleFirstTx!: (whole: boolean) => void, settleDone!: () => void;
  const firstTx = new Promise<boolean>((r) => { settleFirstTx = r; });
  const done = new Promise<void>((r) => { settleDone = r; });
  return { waiting, lock, locked: false, after, firstTx, done, settleFirstTx, settleDone };
}

/** a gateway with a batch in a group that has not committed yet */
interface Busy {
  /** how many such groups */
  groups: number;
  /** the stream when every one of them holds only a run of big plain batches of it, else null */
  run: string | null;
  /** the latest of them */
  last: Group;
}

export class GroupCommitter {
  private queue: Waiting[] = [];
  private inFlight = 0;
  private readonly committing = new Map<string, Busy>();
  private scheduled = false;
  private readonly maxBatches: number;
  private readonly maxReadings: number;
  private readonly concurrency: number;

  constructor(private readonly o: GroupCommitOptions) {
    this.maxBatches = o.maxBatches ?? 64;
    this.maxReadings = o.maxReadings ?? 8_000;
    this.concurrency = o.concurrency ?? (o.db.engine === 'pglite' ? 1 : 3);
  }

  /** stores one batch in the next group; resolves after that group's commit, as storeBatch would */
  store(batch: UplinkBatch): Promise<StoreResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.concurrency || this.queue.length === 0) return;
    this.scheduled = true;
    // what else arrives in this event-loop turn joins the group
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < this.concurrency && this.queue.length) {
        const group = this.take();
        if (!group.waiting.length) break; // what waits belongs to gateways still committing
        void this.run(group);
      }
    });
  }

  /**
   * The next group: in arrival order, at most one batch per gateway — a second batch of a gateway
   * (mqtt-ingest.ts overlap: a stream's readings-only batches stored side by side) waits for the
   * next group, which commits beside this one on another connection instead of after it in the
   * same transaction. Except a run of big plain batches of one stream on PostgreSQL (the drain
   * after an outage): those join the same group, and store-group.ts stores them with one set of
   * statements and one COPY, under one COMMIT (issue #12). The next run of that stream may start
   * while this one commits, once this one holds its lock (run-turn.ts).
   */
  private take(): Group {
    let readings = 0;
    const group: Waiting[] = [];
    const after: Group[] = [];
    /** gateway → the stream of its run in this group, or null when its batch may have no company */
    const gateways = new Map<string, string | null>();
    /** gateways one of whose batches waits for a later group: none of their later batches may go ahead of it */
    const leftBehind = new Set<string>();
    const rest: Waiting[] = [];
    for (const w of this.queue) {
      const b = w.batch;
      const size = b.readings.length;
      const run = this.runnable(b) ? b.stream : null;
      // a gateway whose batch is in a group still committing waits for that COMMIT: its batches
      // commit in arrival (= seq) order, a run all at once. Except the next run of a stream whose
      // earlier runs are the ones committing: it starts now and waits for their turn in the server
      const busy = this.committing.get(b.gateway);
      const follows = busy !== undefined && run !== null && busy.run === run && busy.last.locked;
      const joins = (busy === undefined || follows) && !leftBehind.has(b.gateway) &&
        (!gateways.has(b.gateway) || (run !== null && gateways.get(b.gateway) === run));
      if (group.length >= this.maxBatches || (group.length > 0 && readings + size > this.maxReadings) || !joins) {
        rest.push(w);
        leftBehind.add(b.gateway);
        continue;
      }
      readings += size;
      group.push(w);
      if (follows && !gateways.has(b.gateway)) after.push(busy.last);
      gateways.set(b.gateway, run);
    }
    this.queue = rest;
    const taken = newGroup(group, [...gateways.values()].some((r) => r !== null) ? newRunLock() : null, after);
    for (const [g, run] of gateways) {
      const busy = this.committing.get(g);
      if (busy) Object.assign(busy, { groups: busy.groups + 1, run: busy.run === run ? run : null, last: taken });
      else this.committing.set(g, { groups: 1, run, last: taken });
    }
    return taken;
  }

  /** a batch that may share a group with others of its stream: plain, and big enough to COPY (store-group.ts) */
  private runnable(b: UplinkBatch): boolean {
    return this.o.db.engine !== 'pglite' && b.readings.length >= COPY_MIN_READINGS && plain(b);
  }

  private async run(group: Group): Promise<void> {
    this.inFlight++;
    try {
      await this.commit(group);
    } finally {
      // settled by commit; here too, should it have thrown, so no follower waits for ever (a second settle does nothing)
      group.settleFirstTx(false);
      group.settleDone();
      this.inFlight--;
      for (const g of new Set(group.waiting.map((w) => w.batch.gateway))) {
        const busy = this.committing.get(g)!;
        if (--busy.groups === 0) this.committing.delete(g);
      }
      this.schedule();
    }
  }

  private async commit(taken: Group): Promise<void> {
    const group = taken.waiting;
    // a fixed lock order across concurrent groups (each gateway's rows are its own; this keeps
    // shared ones, e.g. a sensor moved between gateways, from deadlocking two groups); stable, so
    // a run stays in seq order
    group.sort((a, b) => (a.batch.gateway < b.batch.gateway ? -1 : a.batch.gateway > b.batch.gateway ? 1 : 0));
    const { db, targets, settings, store } = this.o;
    const batches = group.map((w) => w.batch);
    let results: (StoreResult | undefined)[];
    let fastDecided = 0, fastFailed = false;
    /** the group in one transaction: the set-based path first (unless it failed), then each other batch under its savepoint */
    const storeGroup = (setBased: boolean) => db.tx(async (q) => {
      if (taken.lock) {
        taken.locked = true; // BEGIN took it: the next run of its stream may start
        this.schedule();
      }
      const after = taken.after;
      const turn = new RunTurn(after.map((g) => g.lock!));
      let fast: (StoreResult | undefined)[] = [];
      if (setBased) {
        try {
          fast = await storeGroupFast(q, batches, turn);
        } catch (e) {
          if (classifyStoreFault(e) === 'connection') throw e;
          throw new SetBasedFailed(e); // rolls this transaction back: nothing else ran in it yet
        }
      }
      await turn.wait(q); // before the per-batch path writes a row, and before the COMMIT
      // its turn taken, the runs it follows have ended their first transactions (their locks went
      // with them), so this waits for no one: did they commit whole?
      if (after.length && !(await Promise.all(after.map((g) => g.firstTx))).every(Boolean)) throw new PredecessorFailed();
      const out: (StoreResult | undefined)[] = [];
      fastDecided = fast.filter(Boolean).length;
      // one batch for the per-batch path and nothing else decided in this transaction (an alarm
      // arriving alone, the usual case): no savepoint — its two round trips are on the alarm's
      // path (issue #12). Its failure rolls the transaction back, which then held only this batch:
      // the same outcome as its savepoint rolled back in an otherwise empty group (LoneBatchFailed).
      const alone = fastDecided === 0 && batches.length === 1;
      for (const [i, b] of batches.entries()) {
        out.push(fast[i] ?? await (alone ? lone(() => storeBatchIn(q, b, targets, settings, store)) : inSavepoint(q, () => storeBatchIn(q, b, targets, settings, store))));
      }
      return out;
    }, { genericPlans: true, lock: taken.lock ?? undefined });
    /** the group's transaction, with a lone batch that failed for a reason of its own read as rolled back alone */
    const storeGroupOrLone = (setBased: boolean) => storeGroup(setBased).catch((e: unknown) => {
      if (e instanceof LoneBatchFailed) return [undefined];
      throw e;
    });
    /**
     * set-based first; when that failed, the group again with every batch on the per-batch path.
     * `firstEnded` is told how the first transaction ended before anything else runs: a follower
     * holding its turn waits for that, and the second transaction takes this group's lock again
     */
    const attempt = async (firstEnded: (whole: boolean) => void) => {
      let r: (StoreResult | undefined)[];
      try {
        r = await storeGroupOrLone(true);
      } catch (e) {
        firstEnded(false);
        if (!(e instanceof SetBasedFailed)) throw e;
        fastFailed = true;
        return storeGroupOrLone(false);
      }
      firstEnded(r.every((x) => x !== undefined));
      return r;
    };
    try {
      try {
        results = await attempt(taken.settleFirstTx);
      } catch (e) {
        if (!(e instanceof PredecessorFailed)) throw e;
        // rolled back so as not to commit before the run it follows: once that run is decided,
        // this one goes again, following no one (it holds no lock while it waits)
        this.o.metrics?.groupRunRedone.inc();
        await Promise.all(taken.after.map((g) => g.done));
        taken.after = [];
        results = await attempt(() => {});
      }
    } catch (e) {
      for (const w of group) w.reject(e); // nothing acked; the edges resend
      taken.settleDone();
      return;
    }
    this.o.metrics?.groupSize.observe(group.length);
    this.o.metrics?.groupFast.inc(fastDecided);
    if (fastFailed) this.o.metrics?.groupFastFailed.inc();
    await Promise.all(group.map(async (w, i) => {
      const r = results[i];
      try {
        if (r === undefined) {
          // rolled back alone: the single-batch path decides, as it did before group commit
          this.o.metrics?.groupIsolated.inc();
          w.resolve(await storeBatch(db, w.batch, targets, settings, store));
          return;
        }
        if (r.status === 'committed') await recordRefusals(db, w.batch, r.refused);
        w.resolve(r);
      } catch (e) {
        w.reject(e);
      }
    }));
    taken.settleDone();
  }
}

/** fn under a savepoint: its result, or undefined when it failed for a reason of its own (rolled back alone); a connection fault is thrown */
async function inSavepoint<T>(q: Queryable, fn: () => Promise<T>): Promise<T | undefined> {
  await q.query('SAVEPOINT sp_group_batch');
  try {
    const r = await fn();
    await q.query('RELEASE SAVEPOINT sp_group_batch');
    return r;
  } catch (e) {
    if (classifyStoreFault(e) === 'connection') throw e;
    await q.query('ROLLBACK TO SAVEPOINT sp_group_batch');
    await q.query('RELEASE SAVEPOINT sp_group_batch');
    return undefined;
  }
}

/** fn with no savepoint, in a transaction that holds only it: a failure of its own rolls that transaction back (LoneBatchFailed); a connection fault is thrown */
async function lone<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (classifyStoreFault(e) === 'connection') throw e;
    throw new LoneBatchFailed(e);
  }
}

/** the lone batch of a group failed for a reason of its own: it goes the single-batch path, as a batch rolled back to its savepoint */
class LoneBatchFailed extends Error {
  constructor(readonly fault: unknown) {
    super(`batch failed: ${(fault as Error | null)?.message ?? String(fault)}`);
  }
}

/**
 * The run this group follows did not commit whole (run-turn.ts): this group's transaction rolled
 * back rather than commit before it, and goes again once that run is decided. SQLSTATE 40001
 * (serialization failure): should it ever reach the ingest, a passing fault (store-fault.ts).
 */
class PredecessorFailed extends Error {
  readonly code = '40001';
  constructor() {
    super('the run before this one in its stream did not commit whole: rolled back to keep the seq order');
  }
}

/** the set-based path failed for a reason of its own: the group is run again, every batch alone */
class SetBasedFailed extends Error {
  constructor(readonly fault: unknown) {
    super(`set-based group path failed: ${(fault as Error | null)?.message ?? String(fault)}`);
  }
}
