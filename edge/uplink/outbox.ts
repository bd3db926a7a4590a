// Kept so the imports of before the split still work: the edge store's interfaces live in
// edge/outbox/ by job — queue.ts (what the uplink sends), kept-state.ts, read-journal.ts — and
// the in-memory store in edge/outbox/memory-outbox.ts. New code imports those.
export { cleanEntry, type OutboxEntry, type OutboxQueue, type PendingBatch } from '../outbox/queue.ts';
export type { KeptState } from '../outbox/kept-state.ts';
export type { ReadJournal } from '../outbox/read-journal.ts';
export { MemoryOutbox, type Outbox } from '../outbox/memory-outbox.ts';
