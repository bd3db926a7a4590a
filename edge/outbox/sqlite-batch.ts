import type Database from 'better-sqlite3';
import type { Reading } from '../../protocols/reading.ts';
import type { OutboxEntry, PendingBatch, WireForm } from './queue.ts';

// A batch of the SQLite outbox, read as the uplink sends it. After an outage the gateway cuts a
// 2 000-reading batch tens of times a second while devices keep reporting; reading the rows as
// JS objects (better-sqlite3 `.all()`), turning each into an entry and serialising them again
// cost ~5 ms a batch and most of the catch-up's garbage (bench/drain.ts, CPU profile of the
// gateway). Here SQLite writes the readings' JSON array itself, in id order (~1.3 ms), and only
// the few other entries (alerts, device events, a manifest: stored as JSON) are parsed.
// `entries` is decoded from that wire form only when someone asks (tests, a restart's log line).
//
// SQLite also leaves spare bytes before and after the array, in the same BLOB, where the uplink
// writes the rest of the frame on the first send (WireForm.frameInPlace). Splicing the readings
// into a new buffer cost a second allocation and copy of their size per batch: the gateway's CPU
// while draining 1.2 M readings went from 5.5-5.8 s to 4.4-4.8 s without it (bench/README.md).

const UTF8 = new TextDecoder();

/** approximate stored bytes per row (the byte cap, sqlite-outbox.ts) */
export const READING_ROW_BYTES = 48;
export const OTHER_ROW_BYTES = 24;

export interface OtherRow { id: number; type: string; body: string }

/**
 * Spare bytes before the readings: the frame's head (`{"v":…,"gateway":…,"stream":…,"seq":…,
 * "sentAt":…,"readings":`) is ~110 bytes plus the gateway's id, escaped. A head that does not fit
 * (a gateway id of hundreds of characters) makes the uplink copy the readings as before.
 */
const ROOM_BEFORE = 320;
/** after: the tail (`,"alerts":[…],"devices":[…],"movements":[…]}`): the other entries plus this */
const ROOM_AFTER = 64;

/** the frame written once around the readings, in the spare bytes of their BLOB */
class InPlace implements WireForm {
  readonly readingsJson: Uint8Array;
  #room: Buffer | undefined;

  constructor(blob: Buffer, after: number, readonly others: readonly OutboxEntry[]) {
    this.readingsJson = blob.subarray(ROOM_BEFORE, blob.length - after);
    this.#room = blob;
  }

  frameInPlace(head: string, tail: string): Buffer | undefined {
    const blob = this.#room;
    if (!blob) return undefined;
    const headBytes = Buffer.byteLength(head), tailBytes = Buffer.byteLength(tail);
    const end = ROOM_BEFORE + this.readingsJson.length;
    if (headBytes > ROOM_BEFORE || end + tailBytes > blob.length) return undefined;
    this.#room = undefined;
    blob.write(head, ROOM_BEFORE - headBytes, 'utf8');
    blob.write(tail, end, 'utf8');
    return blob.subarray(ROOM_BEFORE - headBytes, end + tailBytes);
  }
}

/** a run of outbox rows [firstId, lastId] as a batch; entries decoded on first use */
class WireBatch implements PendingBatch {
  // # fields: not own properties, so two batches with the same content compare equal whether or
  // not one of them was decoded already
  #decoded: OutboxEntry[] | undefined;
  readonly #placed: readonly { pos: number; entry: OutboxEntry }[];
  readonly wire: WireForm;

  constructor(
    readonly seq: number,
    readonly size: number,
    readonly readings: number,
    /** the readings' JSON array with ROOM_BEFORE spare bytes before it and `after` after it */
    blob: Buffer,
    after: number,
    /** the other entries with their position in the batch, in order */
    placed: readonly { pos: number; entry: OutboxEntry }[],
  ) {
    this.#placed = placed;
    this.wire = new InPlace(blob, after, placed.map((p) => p.entry));
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
        CAST(printf('%${ROOM_BEFORE}s', '') || json_group_array(json_object('sensor', sensor, 'kind', kind, 'ts', ts, 'value', value, 'quality', quality))
          || printf('%*s', ?, '') AS BLOB) AS json
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
    // each other entry goes in the tail as less than its stored body ({"type":…,"alert":{…}})
    let after = ROOM_AFTER;
    for (const o of others) after += o.body.length;
    const r = this.st.readings.get(after, firstId, lastId) as { n: number; chars: number; json: Buffer };
    let placed: { pos: number; entry: OutboxEntry }[] = [];
    let bytes = r.n * READING_ROW_BYTES + r.chars;
    if (others.length) {
      const posOf = new Map((this.st.positions.all(firstId, lastId) as { id: number; pos: number }[]).map((p) => [p.id, p.pos]));
      placed = others.map((o) => ({ pos: posOf.get(o.id)!, entry: JSON.parse(o.body) as OutboxEntry }));
      for (const o of others) bytes += OTHER_ROW_BYTES + o.body.length;
    }
    return { batch: new WireBatch(seq, r.n + others.length, r.n, r.json, after, placed), bytes, lastId };
  }
}
