import type Database from 'better-sqlite3';
import type { Reading } from '../../protocols/reading.ts';
import type { OutboxEntry, PendingBatch } from './queue.ts';

// A batch of the SQLite outbox, read as the uplink sends it. After an outage the gateway cuts a
// 2 000-reading batch tens of times a second while devices keep reporting; reading the rows as
// JS objects (better-sqlite3 `.all()`), turning each into an entry and serialising them again
// cost ~5 ms a batch and most of the catch-up's garbage (bench/drain.ts, CPU profile of the
// gateway). Here SQLite writes the readings' JSON array itself, in id order (~1.3 ms), and only
// the few other entries (alerts, device events, a manifest: stored as JSON) are parsed.
// `entries` is decoded from that wire form only when someone asks (tests, a restart's log line).

const UTF8 = new TextDecoder();

/** approximate stored bytes per row (the byte cap, sqlite-outbox.ts) */
export const READING_ROW_BYTES = 48;
export const OTHER_ROW_BYTES = 24;

export interface OtherRow { id: number; type: string; body: string }

/** a run of outbox rows [firstId, lastId] as a batch; entries decoded on first use */
class WireBatch implements PendingBatch {
  // # fields: not own properties, so two batches with the same content compare equal whether or
  // not one of them was decoded already
  #decoded: OutboxEntry[] | undefined;
  readonly #placed: readonly { pos: number; entry: OutboxEntry }[];
  readonly wire: { readingsJson: Uint8Array; others: readonly OutboxEntry[] };

  constructor(
    readonly seq: number,
    readonly size: number,
    readonly readings: number,
    readingsJson: Uint8Array,
    /** the other entries with their position in the batch, in order */
    placed: readonly { pos: number; entry: OutboxEntry }[],
  ) {
    this.#placed = placed;
    this.wire = { readingsJson, others: placed.map((p) => p.entry) };
  }

  get entries(): OutboxEntry[] {
    if (this.#decoded) return this.#decoded;
    const readings = JSON.parse(UTF8.decode(this.wire.readingsJson)) as Reading[];
    const out = new Array<OutboxEntry>(this.size);
    let r = 0, o = 0;
    for (let i = 0; i < this.size; i++) {
      const p = this.#placed[o];
      out[i] = p && p.pos === i ? (o++, p.entry) : { type: 'reading', reading: readings[r++]! };
    }
    return (this.#decoded = out);
  }
}

export interface RunBatch {
  batch: PendingBatch;
  /** approximate stored bytes of its rows */
  bytes: number;
  lastId: number;
}

/** Reads runs of the outbox table as batches (statements prepared once per store). */
export class SqliteBatchReader {
  private readonly st;

  constructor(db: Database.Database) {
    this.st = {
      window: db.prepare('SELECT min(id) AS first, max(id) AS last FROM (SELECT id FROM outbox WHERE id > ? ORDER BY id LIMIT ?)'),
      others: db.prepare('SELECT id, type, body FROM outbox WHERE id BETWEEN ? AND ? AND body IS NOT NULL ORDER BY id'),
      // only when a run holds other entries: where they sit among the readings
      positions: db.prepare(`SELECT id, pos FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS pos, body FROM outbox WHERE id BETWEEN ? AND ?)
        WHERE body IS NOT NULL`),
      // The subquery's ORDER BY is served by the rowid search itself (a co-routine read in
      // order, no sort), and the aggregate takes its rows in that order. Keys in the order of
      // the Reading schema; SQLite (3.53) prints a REAL with the digits that read back as the
      // same double, as JSON.stringify does.
      readings: db.prepare(`SELECT count(*) AS n, coalesce(sum(length(sensor)), 0) AS chars,
        CAST(json_group_array(json_object('sensor', sensor, 'kind', kind, 'ts', ts, 'value', value, 'quality', quality)) AS BLOB) AS json
        FROM (SELECT sensor, kind, ts, value, quality FROM outbox WHERE id BETWEEN ? AND ? AND body IS NULL ORDER BY id)`),
    };
  }

  /**
   * The id range of the next batch after `afterId`: at most maxEntries rows and at most one
   * manifest, with its other entries (read() takes them rather than reading them again);
   * undefined when no row waits.
   */
  nextRun(afterId: number, maxEntries: number): { first: number; last: number; others: OtherRow[] } | undefined {
    const w = this.st.window.get(afterId, Math.max(1, maxEntries)) as { first: number | null; last: number | null };
    if (w.first === null || w.last === null) return undefined;
    const others = this.st.others.all(w.first, w.last) as OtherRow[];
    // A batch carries at most one manifest: cut before a second one (as MemoryOutbox).
    let manifests = 0;
    for (const [i, o] of others.entries()) {
      if (o.type === 'manifest' && ++manifests > 1) return { first: w.first, last: o.id - 1, others: others.slice(0, i) };
    }
    return { first: w.first, last: w.last, others };
  }

  /** rows firstId..lastId as batch `seq`; `others`: its rows that are not readings, when nextRun read them already */
  read(seq: number, firstId: number, lastId: number, others = this.st.others.all(firstId, lastId) as OtherRow[]): RunBatch {
    const r = this.st.readings.get(firstId, lastId) as { n: number; chars: number; json: Buffer };
    let placed: { pos: number; entry: OutboxEntry }[] = [];
    let bytes = r.n * READING_ROW_BYTES + r.chars;
    if (others.length) {
      const posOf = new Map((this.st.positions.all(firstId, lastId) as { id: number; pos: number }[]).map((p) => [p.id, p.pos]));
      placed = others.map((o) => ({ pos: posOf.get(o.id)!, entry: JSON.parse(o.body) as OutboxEntry }));
      for (const o of others) bytes += OTHER_ROW_BYTES + o.body.length;
    }
    return { batch: new WireBatch(seq, r.n + others.length, r.n, r.json, placed), bytes, lastId };
  }
}
