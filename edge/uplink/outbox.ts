import { randomUUID } from 'node:crypto';
import type { Reading } from '../../protocols/reading.ts';
import type { AlertEvent, DeviceStatusEvent, GatewayManifest, MovementEvent } from '../../protocols/uplink/contract.ts';
import type { TagRead } from '../../protocols/rfid/tag-read.ts';
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

export interface Outbox {
  /** identity of this sequence of batches; stable for as long as the outbox's contents live */
  readonly stream: string;
  /**
   * `state`: small key → value facts kept in the SAME commit as the entries (a scale's booked
   * level with the movement that moved it), so after a crash the two never disagree.
   */
  append(entries: readonly OutboxEntry[], state?: Readonly<Record<string, string>>): void;
  /** a value kept with append(…, state), as of the last commit (survives a restart in a durable outbox) */
  savedState(key: string): string | undefined;
  /**
   * Group commit: resolves once the entries are kept. Entries staged in the same event-loop
   * turn share one commit (one fsync), which is what lets a gateway take tens of thousands of
   * device frames a second and still acknowledge each only once it is on disk. Order with
   * append() is kept: append() commits whatever is staged first, in the same transaction.
   */
  appendGrouped(entries: readonly OutboxEntry[]): Promise<void>;
  /**
   * The journal: device input that is acknowledged before it means anything yet (an RFID
   * portal's reads while the pass is open). journalAdd keeps it with the next group commit;
   * journal(source) gives it back after a restart; journalClear drops it once what it became
   * (movements, alerts) is appended. Their ids are deterministic, so a replay the cloud has seen
   * changes nothing there.
   */
  journalAdd(source: string, reads: readonly TagRead[]): Promise<void>;
  journal(source: string): TagRead[];
  journalClear(source: string, upToTs: number): void;
  nextBatch(maxEntries: number): PendingBatch | undefined;
  ack(seq: number): void;
  /** entries not yet acknowledged (including the batch in flight) */
  depth(): number;
  /** epoch ms of the oldest unacknowledged entry */
  oldestAt(): number | undefined;
}

export class MemoryOutbox implements Outbox {
  readonly stream = randomUUID();
  private queue: { at: number; entry: OutboxEntry }[] = [];
  private inFlight: PendingBatch | undefined;
  private nextSeq = 1;
  private inFlightAt: number | undefined;

  private readonly state = new Map<string, string>();

  append(entries: readonly OutboxEntry[], state?: Readonly<Record<string, string>>): void {
    const at = Date.now();
    for (const entry of entries) this.queue.push({ at, entry: cleanEntry(entry) });
    for (const [k, v] of Object.entries(state ?? {})) this.state.set(k, v);
  }

  savedState(key: string): string | undefined {
    return this.state.get(key);
  }

  private readonly journals = new Map<string, TagRead[]>();

  journalAdd(source: string, reads: readonly TagRead[]): Promise<void> {
    this.journals.set(source, [...(this.journals.get(source) ?? []), ...reads]);
    return Promise.resolve();
  }

  journal(source: string): TagRead[] {
    return [...(this.journals.get(source) ?? [])];
  }

  journalClear(source: string, upToTs: number): void {
    this.journals.set(source, (this.journals.get(source) ?? []).filter((r) => r.ts > upToTs));
  }

  appendGrouped(entries: readonly OutboxEntry[]): Promise<void> {
    this.append(entries);
    return Promise.resolve();
  }

  nextBatch(maxEntries: number): PendingBatch | undefined {
    if (this.inFlight) return this.inFlight;
    if (!this.queue.length) return undefined;
    // A batch carries at most one manifest: cut before a second one.
    let n = 0;
    let manifests = 0;
    while (n < this.queue.length && n < maxEntries) {
      if (this.queue[n]!.entry.type === 'manifest' && ++manifests > 1) break;
      n++;
    }
    const taken = this.queue.splice(0, n);
    this.inFlightAt = taken[0]!.at;
    this.inFlight = { seq: this.nextSeq++, entries: taken.map((t) => t.entry) };
    return this.inFlight;
  }

  ack(seq: number): void {
    if (this.inFlight?.seq === seq) {
      this.inFlight = undefined;
      this.inFlightAt = undefined;
    }
  }

  depth(): number {
    return this.queue.length + (this.inFlight?.entries.length ?? 0);
  }

  oldestAt(): number | undefined {
    return this.inFlightAt ?? this.queue[0]?.at;
  }
}
