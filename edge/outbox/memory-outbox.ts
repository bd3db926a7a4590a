import { randomUUID } from 'node:crypto';
import type { TagRead } from '../../protocols/rfid/tag-read.ts';
import { cleanEntry, type OutboxEntry, type OutboxQueue, type PendingBatch } from './queue.ts';
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
