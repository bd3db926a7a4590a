import type { Reading } from '../../protocols/reading.ts';
import type { AlertEvent, DeviceStatusEvent, GatewayManifest, MovementEvent } from '../../protocols/uplink/contract.ts';
import { cleanAlert, cleanDeviceEvent, cleanManifest, cleanMovement, cleanReading } from '../../protocols/uplink/clean.ts';

// What the uplink sends, in order. The contract every outbox keeps:
// - append() returns only once the entries are kept (for a durable outbox: on disk);
// - a batch, once handed out (nextBatch, takeBatch), keeps its seq and entries until acked:
//   every resend is the SAME batch — that is what lets the cloud deduplicate a resend;
// - several batches may be out at once (the uplink's seq window, edge/uplink/uplink.ts); ack(seq)
//   is cumulative, because the cloud decides a stream's batches strictly in seq order;
// - seq is gap-free within the outbox's stream.
// MemoryOutbox below keeps all of that except surviving a restart; a durable (SQLite) outbox
// drops in behind the same interface.

export type OutboxEntry =
  | { type: 'reading'; reading: Reading }
  | { type: 'alert'; alert: AlertEvent }
  | { type: 'device'; device: DeviceStatusEvent }
  | { type: 'movement'; movement: MovementEvent }
  | { type: 'manifest'; manifest: GatewayManifest };

/**
 * An entry as the outbox keeps it: every text field storable by the cloud (no NUL, no lone
 * surrogate, capped; protocols/uplink/clean.ts). Applied by every outbox as entries are kept, so
 * whatever a device sent, no batch the cloud cannot store is ever formed (issue #11).
 */
export function cleanEntry(e: OutboxEntry): OutboxEntry {
  switch (e.type) {
    case 'reading': { const r = cleanReading(e.reading); return r === e.reading ? e : { type: 'reading', reading: r }; }
    case 'alert': return { type: 'alert', alert: cleanAlert(e.alert) };
    case 'device': return { type: 'device', device: cleanDeviceEvent(e.device) };
    case 'movement': return { type: 'movement', movement: cleanMovement(e.movement) };
    case 'manifest': return { type: 'manifest', manifest: cleanManifest(e.manifest) };
  }
}

export interface PendingBatch {
  seq: number;
  /** the entries, in order (the SQLite outbox decodes them only when asked: the uplink sends `wire`) */
  readonly entries: OutboxEntry[];
  /** how many entries, and how many of them are readings: known without decoding the entries */
  readonly size: number;
  readonly readings: number;
  /**
   * The batch as the uplink puts it on the wire, when the outbox built it: the readings as one
   * JSON array, UTF-8 bytes (in order, built by SQLite: no JS object per reading on the catch-up's
   * hot path; bytes, not a string: a string over 128 KB is a V8 large object, and making and
   * dropping one took ~1 ms on a VM box, bench/README.md) and the other entries, in order.
   * Absent: the uplink serialises `entries`.
   */
  readonly wire?: WireForm;
}

/** a batch as the uplink puts it on the wire (PendingBatch.wire) */
export interface WireForm {
  readonly readingsJson: Uint8Array;
  readonly others: readonly OutboxEntry[];
  /**
   * The whole frame, `head` + readings + `tail`, written around the readings in spare bytes of
   * their own allocation: no second copy of them. Once per batch (a frame handed to the broker
   * client must not change under it); undefined after that, or when head or tail does not fit.
   */
  frameInPlace?(head: string, tail: string): Buffer | undefined;
}

/** a batch of entries already in hand (MemoryOutbox) */
export function batchOf(seq: number, entries: OutboxEntry[]): PendingBatch {
  let readings = 0;
  for (const e of entries) if (e.type === 'reading') readings++;
  return { seq, entries, size: entries.length, readings };
}

/** The uplink's queue: what goes to the cloud, in order, kept until acknowledged. */
export interface OutboxQueue {
  /** identity of this sequence of batches; stable for as long as the outbox's contents live */
  readonly stream: string;
  /**
   * `state`: small key → value facts kept in the SAME commit as the entries (a scale's booked
   * level with the movement that moved it), so after a crash the two never disagree
   * (read back through KeptState, edge/outbox/kept-state.ts).
   */
  append(entries: readonly OutboxEntry[], state?: Readonly<Record<string, string>>): void;
  /**
   * Group commit: resolves once the entries are kept. Entries staged in the same event-loop
   * turn share one commit (one fsync), which is what lets a gateway take tens of thousands of
   * device frames a second and still acknowledge each only once it is on disk. Order with
   * append() is kept: append() commits whatever is staged first, in the same transaction.
   * Callers staged into one commit may get the same promise; it never becomes an unhandled
   * rejection by itself (a caller that stopped waiting leaves nothing behind).
   */
  appendGrouped(entries: readonly OutboxEntry[]): Promise<void>;
  /** the oldest batch handed out and not acked, else a new one (stop-and-wait's view) */
  nextBatch(maxEntries: number): PendingBatch | undefined;
  /** cuts a NEW batch after those handed out (the next seq), or undefined when nothing waits */
  takeBatch(maxEntries: number): PendingBatch | undefined;
  /**
   * append(entries) then takeBatch(maxEntries), in ONE commit where the store has commits: an
   * alert that goes out at once is kept and its batch's seq fixed with one fsync, not two (the
   * alarm path, issue #12). The same guarantees as the two calls.
   */
  appendAndTake(entries: readonly OutboxEntry[], maxEntries: number): PendingBatch | undefined;
  /** batches handed out and not yet acked, oldest first (restored as they were after a restart) */
  handedOut(): readonly PendingBatch[];
  /** cumulative: every batch handed out with a seq ≤ `seq` is acknowledged and dropped; a seq not handed out is ignored */
  ack(seq: number): void;
  /** entries not yet acknowledged (including the batches in flight) */
  depth(): number;
  /** entries not yet handed out in a batch */
  waiting(): number;
  /** epoch ms of the oldest unacknowledged entry */
  oldestAt(): number | undefined;
}
