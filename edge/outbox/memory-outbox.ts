import { randomUUID } from 'node:crypto';
import type { TagRead } from '../../protocols/rfid/tag-read.ts';
import { batchOf, cleanEntry, type OutboxEntry, type OutboxQueue, type PendingBatch } from './queue.ts';
import type { KeptState } from './kept-state.ts';
import type { ReadJournal } from './read-journal.ts';

/**
 * The gateway's store, by job: the uplink queue, kept state and the read journal. One object
 * (one SQLite file, one commit for a movement and the state it moved) — but each user is handed
 * only the job it needs: the uplink the queue, a scale the state, a portal the journal.
 */
export type Outbox = OutboxQueue & KeptState & ReadJournal;

export class MemoryOutbox implements Outbox {
  readonly stream = randomUUID();
  private queue: { at: number; entry: OutboxEntry }[] = [];
  /** handed out, not acked, oldest first, with the append time of each one's first entry */
  private inFlight: { batch: PendingBatch; at: number }[] = [];
  private nextSeq = 1;

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
    return this.inFlight[0]?.batch ?? this.takeBatch(maxEntries);
  }

  takeBatch(maxEntries: number): PendingBatch | undefined {
    if (!this.queue.length) return undefined;
    // A batch carries at most one manifest: cut before a second one.
    let n = 0;
    let manifests = 0;
    while (n < this.queue.length && n < maxEntries) {
      if (this.queue[n]!.entry.type === 'manifest' && ++manifests > 1) break;
      n++;
    }
    const taken = this.queue.splice(0, n);
    const batch = batchOf(this.nextSeq++, taken.map((t) => t.entry));
    this.inFlight.push({ batch, at: taken[0]!.at });
    return batch;
  }

  appendAndTake(entries: readonly OutboxEntry[], maxEntries: number): PendingBatch | undefined {
    this.append(entries);
    return this.takeBatch(maxEntries);
  }

  handedOut(): readonly PendingBatch[] {
    return this.inFlight.map((f) => f.batch);
  }

  ack(seq: number): void {
    if (!this.inFlight.some((f) => f.batch.seq === seq)) return; // not handed out: a stale or foreign ack
    while (this.inFlight.length && this.inFlight[0]!.batch.seq <= seq) this.inFlight.shift();
  }

  depth(): number {
    return this.queue.length + this.inFlight.reduce((n, f) => n + f.batch.size, 0);
  }

  waiting(): number {
    return this.queue.length;
  }

  oldestAt(): number | undefined {
    return this.inFlight[0]?.at ?? this.queue[0]?.at;
  }
}
