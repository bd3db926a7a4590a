import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { TagRead } from '../../protocols/rfid/tag-read.ts';
import { cleanEntry, type OutboxEntry, type PendingBatch } from './queue.ts';
import type { Outbox } from './memory-outbox.ts';
import { formatBytes } from './byte-size.ts';
import { openEdgeDb, type EdgeDb, type FsyncPolicy } from './db.ts';
import { planThinning, type RawReadingRow } from './thinning.ts';
import { OTHER_ROW_BYTES, READING_ROW_BYTES, SqliteBatchReader, type RunBatch } from './sqlite-batch.ts';

// The durable outbox (edge/outbox/queue.ts, kept-state.ts, read-journal.ts have the contracts). What it adds to MemoryOutbox:
// - append() returns after the commit (fsync per the storage.fsync policy, see db.ts);
// - stream id and next seq live in the file, so a restarted gateway continues its stream;
// - a batch handed out is recorded (handed_out: seq → its run of row ids) in the same commit that
//   advances next_seq, BEFORE takeBatch() returns it: after a crash every batch that was out is
//   resent with the same seq and entries, and the cloud's (gateway, stream, seq) dedup makes that
//   harmless. Rows after the last handed-out id are the ones waiting;
// - rows are deleted only by ack(seq) (cumulative: every batch ≤ seq);
// - a byte cap: past it, raw readings are thinned oldest-first (thinning.ts); any other entry
//   type is never dropped, and with nothing left to thin the outbox keeps accepting, over cap.

export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
/** thin down to this share of the cap, so thinning runs in bursts rather than on every append */
const LOW_WATER = 0.9;
/** readings examined per thinning pass */
const THIN_WINDOW = 20_000;
const THIN_LOG_EVERY_MS = 60_000;
/** a group commit is cut at this many staged entries even within one loop turn (bounded memory and latency) */
const GROUP_MAX_ENTRIES = 5000;
/** a group commit following another within this many ms waits out the rest of it (see stage) */
const COALESCE_MS = 4;

// Approximate stored bytes per row (READING_ROW_BYTES, OTHER_ROW_BYTES): the payload plus a fixed
// share for the row header, the primary key and the other columns. Good enough for a cap; the
// file itself is larger by free pages and WAL, which SQLite reuses.
const ROW_BYTES_SQL = `CASE WHEN body IS NULL THEN ${READING_ROW_BYTES} + length(sensor) ELSE ${OTHER_ROW_BYTES} + length(body) END`;

export interface SqliteOutboxOptions {
  /** byte cap (approximate stored bytes); default 256 MiB */
  maxBytes?: number;
  log?: Logger;
  /** clock for `at` (tests) */
  now?: () => number;
}

export interface OutboxStorageStats {
  depth: number;
  bytes: number;
  maxBytes: number;
  /** raw readings folded into per-minute summaries since this process opened the outbox */
  thinnedReadings: number;
  /** at the cap with nothing left to thin (non-readings keep being accepted) */
  overCap: boolean;
}

export class SqliteOutbox implements Outbox {
  readonly stream: string;
  readonly maxBytes: number;
  private nextSeq: number;
  /** batches handed out and not acked, oldest first, with their last row id */
  private inFlight: { batch: PendingBatch; bytes: number; lastId: number }[] = [];
  /** entries in those batches */
  private inFlightEntries = 0;
  private depthN: number;
  private bytesN: number;
  private thinnedN = 0;
  private over = false;
  /** rows up to this id have been through a thinning pass */
  private thinCursor = 0;
  private appended = 0;
  /** a pass over the newest rows found nothing to fold: wait for this many appended rows before the next */
  private thinRetryAt = 0;
  private thinLog = { at: 0, folded: 0 };
  private readonly now: () => number;
  private readonly log: Logger | undefined;
  private readonly ownsDb: boolean;
  private readonly st;
  private readonly batches: SqliteBatchReader;
  /** appendGrouped entries waiting for the next commit */
  private staged: OutboxEntry[] = [];
  private stagedJournal: { source: string; read: TagRead }[] = [];
  /**
   * The next group commit's outcome, one promise for every caller staging into it (a promise,
   * its waiter and their reactions per device frame were a tenth of the edge's allocation on the
   * device path, where young-generation GC took a quarter of its CPU). Marked handled at birth:
   * a frame whose caller let go of it (its connection closed) cannot turn a failed commit into an
   * unhandled rejection.
   */
  private group: { kept: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;
  private flushScheduled = false;
  /** performance.now() when the last group commit ended */
  private lastGroupAt = -Infinity;
  /** append(…, state) values, mirrored from the meta table */
  private readonly state = new Map<string, string>();

  /** Opens (or creates) an outbox at `path` that owns its database file. */
  static open(path: string, o: SqliteOutboxOptions & { fsync?: FsyncPolicy } = {}): SqliteOutbox {
    const edb = openEdgeDb(path, o.fsync ?? 'full');
    try {
      return new SqliteOutbox(edb, o, true);
    } catch (e) {
      edb.close();
      throw e;
    }
  }

  constructor(private readonly edb: EdgeDb, o: SqliteOutboxOptions = {}, ownsDb = false) {
    const db = edb.db;
    this.maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
    this.now = o.now ?? Date.now;
    this.log = o.log;
    this.ownsDb = ownsDb;
    this.st = {
      insertReading: db.prepare(`INSERT INTO outbox (at, type, sensor, kind, ts, value, quality) VALUES (?, 'reading', ?, ?, ?, ?, ?)`),
      insertOther: db.prepare('INSERT INTO outbox (at, type, body) VALUES (?, ?, ?)'),
      handOut: db.prepare('INSERT INTO handed_out (seq, first_id, last_id) VALUES (?, ?, ?)'),
      deleteUpTo: db.prepare('DELETE FROM outbox WHERE id <= ?'),
      settle: db.prepare('DELETE FROM handed_out WHERE seq <= ?'),
      oldest: db.prepare('SELECT at FROM outbox ORDER BY id LIMIT 1').pluck(),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      thinnable: db.prepare(`SELECT id, sensor, kind, ts, value, quality FROM outbox
        WHERE id > ? AND type = 'reading' AND thinned = 0 ORDER BY id LIMIT ?`),
      rewrite: db.prepare('UPDATE outbox SET ts = ?, value = ?, quality = ?, thinned = 1 WHERE id = ?'),
      remove: db.prepare('DELETE FROM outbox WHERE id = ?'),
      // a report redelivered after a reconnect (kept, but its PUBACK was lost) is kept once
      journalAdd: db.prepare('INSERT OR IGNORE INTO journal (source, ts, body) VALUES (?, ?, ?)'),
      journalOf: db.prepare('SELECT body FROM journal WHERE source = ? ORDER BY ts, id'),
      journalClear: db.prepare('DELETE FROM journal WHERE source = ? AND ts <= ?'),
    };
    this.batches = new SqliteBatchReader(db);
    const meta = new Map((db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((m) => [m.key, m.value]));
    let stream = meta.get('stream');
    if (!stream) {
      stream = randomUUID();
      const s = stream;
      edb.commit('full', () => this.st.setMeta.run('stream', s));
    }
    this.stream = stream;
    for (const [k, v] of meta) if (k.startsWith('state:')) this.state.set(k.slice(6), v);
    this.nextSeq = Number(meta.get('next_seq') ?? 1);
    const totals = db.prepare(`SELECT count(*) AS n, coalesce(sum(${ROW_BYTES_SQL}), 0) AS bytes FROM outbox`).get() as { n: number; bytes: number };
    this.depthN = totals.n;
    this.bytesN = totals.bytes;
    // Batches cut before a restart are resent as they were.
    this.adoptLegacyMarks();
    const runs = db.prepare('SELECT seq, first_id, last_id FROM handed_out ORDER BY seq').all() as { seq: number; first_id: number; last_id: number }[];
    for (const r of runs) {
      const run = this.batches.read(r.seq, r.first_id, r.last_id);
      this.inFlight.push(run);
      this.inFlightEntries += run.batch.size;
    }
    if (this.bytesN > this.maxBytes) this.enforceCap();
  }

  /** kept (committed per the fsync policy) when it returns; commits anything staged first */
  append(entries: readonly OutboxEntry[], state?: Readonly<Record<string, string>>): void {
    this.appendWith(entries, state);
  }

  appendAndTake(entries: readonly OutboxEntry[], maxEntries: number): PendingBatch | undefined {
    return this.appendWith(entries, undefined, maxEntries);
  }

  /** append, and with `takeUpTo` hand out the next batch in the same commit (appendAndTake) */
  private appendWith(entries: readonly OutboxEntry[], state?: Readonly<Record<string, string>>, takeUpTo?: number): PendingBatch | undefined {
    if (!entries.length && !this.staged.length && !this.stagedJournal.length && !state) return takeUpTo === undefined ? undefined : this.takeBatch(takeUpTo);
    const group = this.group;
    const all = this.staged.length ? [...this.staged, ...entries] : entries;
    const journal = this.stagedJournal;
    this.staged = [];
    this.stagedJournal = [];
    this.group = undefined;
    let taken: PendingBatch | undefined;
    try {
      taken = this.write(all, state, journal, takeUpTo);
    } catch (e) {
      group?.reject(e);
      throw e;
    }
    group?.resolve();
    return taken;
  }

  appendGrouped(entries: readonly OutboxEntry[]): Promise<void> {
    if (!entries.length) return Promise.resolve();
    for (const e of entries) this.staged.push(e);
    return this.stage();
  }

  journalAdd(source: string, reads: readonly TagRead[]): Promise<void> {
    if (!reads.length) return Promise.resolve();
    for (const read of reads) this.stagedJournal.push({ source, read });
    return this.stage();
  }

  journal(source: string): TagRead[] {
    this.flushStaged();
    return (this.st.journalOf.all(source) as { body: string }[]).map((r) => JSON.parse(r.body) as TagRead);
  }

  journalClear(source: string, upToTs: number): void {
    this.flushStaged();
    // no fsync needed: a clear lost to a power cut replays reads whose results the cloud has (same ids)
    this.edb.commit('normal', () => this.st.journalClear.run(source, upToTs));
  }

  /** a promise for the next group commit, scheduling it */
  private stage(): Promise<void> {
    const group = (this.group ??= newGroup());
    if (this.staged.length + this.stagedJournal.length >= GROUP_MAX_ENTRIES) this.flushStaged();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      // After the I/O callbacks of this loop turn: every frame that arrived with this one shares
      // the commit. Under a steady stream (the last group commit ended less than COALESCE_MS
      // ago) the commit waits out the rest of that interval, so frames trickling in one per
      // turn — a bridge's 2 000/s beside a drain — share one fsync instead of one each (the
      // drain's profile showed the gateway blocked in those commits 29% of the time). A lone
      // frame (an alarm's reading after a quiet spell) is still committed in the same turn.
      const since = performance.now() - this.lastGroupAt;
      if (since >= COALESCE_MS) setImmediate(() => this.flushStaged());
      else setTimeout(() => this.flushStaged(), COALESCE_MS - since);
    }
    return group.kept;
  }

  /** commits what appendGrouped staged; its callers' promises settle with the commit's outcome */
  private flushStaged(): void {
    this.flushScheduled = false;
    if (!this.staged.length && !this.stagedJournal.length) return;
    try {
      this.append([]);
    } catch (e) {
      this.log?.error({ err: e }, 'outbox commit failed: the frames waiting on it are refused (their devices resend them)');
    } finally {
      this.lastGroupAt = performance.now();
    }
  }

  savedState(key: string): string | undefined {
    return this.state.get(key);
  }

  /** the commit of append; with `takeUpTo`, the next batch handed out in it too (returned) */
  private write(entries: readonly OutboxEntry[], state?: Readonly<Record<string, string>>, journal: readonly { source: string; read: TagRead }[] = [], takeUpTo?: number): PendingBatch | undefined {
    if (!entries.length && !state && !journal.length) return undefined;
    const at = this.now();
    // With fsync 'normal' only raw readings ride on the cheaper commit; anything else — alerts,
    // events, and journaled reads, which the reader forgets once acknowledged — is fsynced.
    const level: FsyncPolicy = this.edb.fsync === 'normal' && (journal.length > 0 || entries.some((e) => e.type !== 'reading')) ? 'full' : this.edb.fsync;
    let bytes = 0;
    const { insertReading, insertOther } = this.st;
    let run: RunBatch | undefined;
    this.edb.commit(state || takeUpTo !== undefined ? 'full' : level, () => {
      for (const [k, v] of Object.entries(state ?? {})) this.st.setMeta.run(`state:${k}`, v);
      for (const j of journal) this.st.journalAdd.run(j.source, j.read.ts, JSON.stringify(j.read));
      for (const raw of entries) {
        const e = cleanEntry(raw); // nothing the cloud cannot store is ever kept (outbox/queue.ts)
        if (e.type === 'reading') {
          const r = e.reading;
          insertReading.run(at, r.sensor, r.kind, r.ts, r.value, r.quality ?? 'good');
          bytes += READING_ROW_BYTES + r.sensor.length;
        } else {
          const body = JSON.stringify(e);
          insertOther.run(at, e.type, body);
          bytes += OTHER_ROW_BYTES + body.length;
        }
      }
      if (takeUpTo !== undefined) run = this.handOutIn(takeUpTo);
    });
    for (const [k, v] of Object.entries(state ?? {})) this.state.set(k, v);
    this.depthN += entries.length;
    this.bytesN += bytes;
    this.appended += entries.length;
    // handed out before the cap is enforced: thinning never touches a batch on the wire
    const taken = run && this.handedOutNow(run);
    if (this.bytesN > this.maxBytes) this.enforceCap();
    return taken;
  }

  nextBatch(maxEntries: number): PendingBatch | undefined {
    return this.inFlight[0]?.batch ?? this.takeBatch(maxEntries);
  }

  takeBatch(maxEntries: number): PendingBatch | undefined {
    if (this.depthN - this.inFlightEntries <= 0) return undefined;
    let run: RunBatch | undefined;
    // Always fsynced, whatever the policy: once this seq goes on the wire it must never be
    // reused for different entries, or the cloud would dedup the new ones away.
    this.edb.commit('full', () => { run = this.handOutIn(maxEntries); });
    return run && this.handedOutNow(run);
  }

  /** inside a commit: the next run of waiting rows, marked handed out under the next seq */
  private handOutIn(maxEntries: number): RunBatch | undefined {
    const range = this.batches.nextRun(this.lastHandedOutId(), maxEntries);
    if (!range) return undefined;
    const seq = this.nextSeq;
    const run = this.batches.read(seq, range.first, range.last, range.others);
    this.st.handOut.run(seq, range.first, range.last);
    this.st.setMeta.run('next_seq', String(seq + 1));
    return run;
  }

  /** after the commit of handOutIn: the run is in flight */
  private handedOutNow(run: RunBatch): PendingBatch {
    this.nextSeq = run.batch.seq + 1;
    this.inFlight.push(run);
    this.inFlightEntries += run.batch.size;
    return run.batch;
  }

  /** rows up to this id are in batches handed out; 0 when none is (ids may restart once the table is empty) */
  private lastHandedOutId(): number {
    return this.inFlight[this.inFlight.length - 1]?.lastId ?? 0;
  }

  /** a store written before the seq window marked its batch's rows (batch = seq): the same thing as a run */
  private adoptLegacyMarks(): void {
    const legacy = this.edb.db.prepare('SELECT batch AS seq, min(id) AS first_id, max(id) AS last_id FROM outbox WHERE batch IS NOT NULL GROUP BY batch ORDER BY batch').all() as { seq: number; first_id: number; last_id: number }[];
    if (!legacy.length) return;
    this.edb.commit('full', () => {
      for (const r of legacy) this.st.handOut.run(r.seq, r.first_id, r.last_id);
      this.edb.db.prepare('UPDATE outbox SET batch = NULL WHERE batch IS NOT NULL').run();
    });
  }

  handedOut(): readonly PendingBatch[] {
    return this.inFlight.map((f) => f.batch);
  }

  ack(seq: number): void {
    let k = 0;
    while (k < this.inFlight.length && this.inFlight[k]!.batch.seq <= seq) k++;
    if (k === 0 || this.inFlight[k - 1]!.batch.seq !== seq) return; // not handed out: a stale or foreign ack
    const done = this.inFlight.splice(0, k);
    // Never needs an fsync: a delete lost to a power cut only means resends, which the
    // cloud answers with "duplicate".
    this.edb.commit('normal', () => {
      this.st.deleteUpTo.run(done[done.length - 1]!.lastId);
      this.st.settle.run(seq);
    });
    for (const f of done) {
      this.depthN -= f.batch.size;
      this.inFlightEntries -= f.batch.size;
      this.bytesN -= f.bytes;
    }
    if (this.over && this.bytesN <= this.maxBytes) {
      this.over = false;
      this.log?.info({ bytes: this.bytesN, maxBytes: this.maxBytes }, 'outbox back under its byte cap');
    }
  }

  depth(): number {
    return this.depthN;
  }

  waiting(): number {
    return this.depthN - this.inFlightEntries;
  }

  oldestAt(): number | undefined {
    if (this.depthN === 0) return undefined;
    return (this.st.oldest.get() as number | undefined) ?? undefined;
  }

  /** approximate bytes held (what storage.maxBytes is compared with) */
  bytes(): number {
    return this.bytesN;
  }

  /** raw readings folded into per-minute summaries since open (a counter, for metrics) */
  thinned(): number {
    return this.thinnedN;
  }

  /** at the cap with nothing left to thin: still accepting, but the disk budget is exceeded */
  overCap(): boolean {
    return this.over;
  }

  stats(): OutboxStorageStats {
    return { depth: this.depthN, bytes: this.bytesN, maxBytes: this.maxBytes, thinnedReadings: this.thinnedN, overCap: this.over };
  }

  close(): void {
    this.flushStaged();
    if (this.ownsDb) this.edb.close();
  }

  /** Thins raw readings, oldest first, until the outbox is back under LOW_WATER of its cap. */
  private enforceCap(): void {
    const target = Math.floor(this.maxBytes * LOW_WATER);
    let folded = 0;
    while (this.bytesN > target && this.appended >= this.thinRetryAt) {
      // never a row of a batch handed out: those are resent exactly as they went
      const rows = this.st.thinnable.all(Math.max(this.thinCursor, this.lastHandedOutId()), THIN_WINDOW) as RawReadingRow[];
      const tail = rows.length < THIN_WINDOW;
      const plan = planThinning(rows, { keepNewestMinute: tail });
      if (plan.folded > 0) {
        const sensorOf = new Map(rows.map((r) => [r.id, r.sensor]));
        let freed = 0;
        this.edb.commit('normal', () => { // a thinning lost to a power cut is simply redone
          for (const w of plan.rewrite) this.st.rewrite.run(w.ts, w.value, w.quality, w.id);
          for (const id of plan.remove) {
            this.st.remove.run(id);
            freed += READING_ROW_BYTES + sensorOf.get(id)!.length;
          }
        });
        this.depthN -= plan.remove.length;
        this.bytesN -= freed;
        this.thinnedN += plan.folded;
        folded += plan.folded;
      }
      if (tail) {
        // The newest rows: their minutes are still filling, so look again only after more arrive.
        if (plan.folded === 0) this.thinRetryAt = this.appended + THIN_WINDOW / 4;
        break;
      }
      this.thinCursor = rows[rows.length - 1]!.id;
    }
    if (folded > 0) this.logThinning(folded);
    const over = this.bytesN > this.maxBytes;
    if (over && !this.over) {
      this.log?.warn({ bytes: this.bytesN, maxBytes: this.maxBytes, depth: this.depthN },
        `outbox over its byte cap (${formatBytes(this.bytesN)} > ${formatBytes(this.maxBytes)}) with no readings left to thin; still accepting — alerts and events are never dropped`);
    }
    this.over = over;
  }

  private logThinning(folded: number): void {
    this.thinLog.folded += folded;
    const now = Date.now();
    if (now - this.thinLog.at < THIN_LOG_EVERY_MS) return;
    this.log?.warn({ folded: this.thinLog.folded, thinnedTotal: this.thinnedN, bytes: this.bytesN, maxBytes: this.maxBytes },
      `outbox at its byte cap (${formatBytes(this.maxBytes)}): folded ${this.thinLog.folded} old raw readings into per-minute min/max/avg`);
    this.thinLog = { at: now, folded: 0 };
  }
}

function newGroup(): { kept: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const kept = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  kept.catch(() => {}); // handled here; each caller still sees the rejection through its own then
  return { kept, resolve, reject };
}
