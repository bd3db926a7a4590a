import type Database from 'better-sqlite3';
import type { DeadLetter, DeadLetterStore } from '../dead-letters.ts';
import type { EdgeDb } from './db.ts';

// Dead letters in the edge store: what a device sent that the gateway could not use, and
// batches the cloud rejected, with their coded reason. Bounded: the newest `capacity` are kept
// (older ones pruned in steps); count() still counts every one ever added, as MemoryDeadLetters.

export const DEFAULT_DEAD_LETTER_CAPACITY = 100_000;
/** a rejected uplink batch is the only copy of its data, so this is generous; device garbage is small */
const MAX_PAYLOAD_CHARS = 256 * 1024;
const PRUNE_EVERY = 500;

/** the payload as stored: whole up to MAX_PAYLOAD_CHARS, else its head and how long it was */
export function capPayload(payload: string): string {
  if (payload.length <= MAX_PAYLOAD_CHARS) return payload;
  return `${payload.slice(0, MAX_PAYLOAD_CHARS)}…[truncated: ${payload.length} characters in all]`;
}

export interface DeadLetterQuery {
  limit?: number;
  source?: string;
}

export interface DeadLetterCounts {
  /** every dead letter ever added to this store */
  total: number;
  /** those still kept (the newest, up to the capacity) */
  kept: number;
  bySource: { source: string; count: number }[];
}

const COLUMNS = 'at, source, topic, code, reason, payload';
type DeadLetterRow = Omit<DeadLetter, 'topic'> & { topic: string | null };
const fromRow = (r: DeadLetterRow): DeadLetter => (r.topic === null ? { at: r.at, source: r.source, code: r.code, reason: r.reason, payload: r.payload } : { ...r, topic: r.topic });

/** Newest first. Works on the gateway's own connection or a read-only one (the CLI). */
export function listDeadLetters(db: Database.Database, q: DeadLetterQuery = {}): DeadLetter[] {
  const limit = q.limit ?? 100;
  const rows = q.source === undefined
    ? db.prepare(`SELECT ${COLUMNS} FROM dead_letters ORDER BY id DESC LIMIT ?`).all(limit)
    : db.prepare(`SELECT ${COLUMNS} FROM dead_letters WHERE source = ? ORDER BY id DESC LIMIT ?`).all(q.source, limit);
  return (rows as DeadLetterRow[]).map(fromRow);
}

export function countDeadLetters(db: Database.Database): DeadLetterCounts {
  const total = db.prepare(`SELECT value FROM meta WHERE key = 'dead_letters_total'`).pluck().get() as string | undefined;
  const bySource = db.prepare('SELECT source, count(*) AS count FROM dead_letters GROUP BY source ORDER BY count DESC, source').all() as DeadLetterCounts['bySource'];
  const kept = bySource.reduce((n, s) => n + s.count, 0);
  return { total: Number(total ?? kept), kept, bySource };
}

export class SqliteDeadLetters implements DeadLetterStore {
  private total: number;
  private sincePrune = 0;
  private readonly insert;
  private readonly setTotal;
  private readonly prune;

  constructor(private readonly edb: EdgeDb, private readonly capacity = DEFAULT_DEAD_LETTER_CAPACITY) {
    const db = edb.db;
    this.insert = db.prepare(`INSERT INTO dead_letters (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`);
    this.setTotal = db.prepare(`INSERT INTO meta (key, value) VALUES ('dead_letters_total', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
    this.prune = db.prepare('DELETE FROM dead_letters WHERE id <= (SELECT max(id) FROM dead_letters) - ?');
    this.total = countDeadLetters(db).total;
    this.prune.run(capacity);
  }

  add(d: Omit<DeadLetter, 'at'> & { at?: number }): void {
    this.total++;
    const total = this.total;
    this.sincePrune++;
    const prune = this.sincePrune >= PRUNE_EVERY;
    if (prune) this.sincePrune = 0;
    // A dead letter is diagnostics (or a copy of a rejected batch, whose ack is committed after
    // it: WAL keeps the order, so a power cut loses both or neither): no fsync needed.
    this.edb.commit('normal', () => {
      this.insert.run(d.at ?? Date.now(), d.source, d.topic ?? null, d.code, d.reason, capPayload(d.payload));
      this.setTotal.run(String(total));
      if (prune) this.prune.run(this.capacity);
    });
  }

  list(limit = 100, source?: string): DeadLetter[] {
    return listDeadLetters(this.edb.db, { limit, source });
  }

  /** every dead letter ever added, including those pruned */
  count(): number {
    return this.total;
  }

  counts(): DeadLetterCounts {
    return countDeadLetters(this.edb.db);
  }
}
