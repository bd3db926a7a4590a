import type { Reading } from '../../protocols/reading.ts';
import type { AlertEvent, DeviceStatusEvent, GatewayManifest, MovementEvent } from '../../protocols/uplink/contract.ts';
import { cleanAlert, cleanDeviceEvent, cleanManifest, cleanMovement, cleanReading } from '../../protocols/uplink/clean.ts';

// What the uplink sends, in order. The contract every outbox keeps:
// - append() returns only once the entries are kept (for a durable outbox: on disk);
// - nextBatch() hands out the oldest unacknowledged batch, and hands out the SAME batch (same
//   seq, same entries) until ack(seq) — that is what lets the cloud deduplicate a resend;
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
  entries: OutboxEntry[];
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
   */
  appendGrouped(entries: readonly OutboxEntry[]): Promise<void>;
  nextBatch(maxEntries: number): PendingBatch | undefined;
  ack(seq: number): void;
  /** entries not yet acknowledged (including the batch in flight) */
  depth(): number;
  /** epoch ms of the oldest unacknowledged entry */
  oldestAt(): number | undefined;
}
