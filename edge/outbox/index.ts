// The edge's durable storage: outbox + dead letters in one SQLite file per gateway.
export { openEdgeDb, openEdgeDbReadonly, type EdgeDb, type FsyncPolicy } from './db.ts';
export { SqliteOutbox, DEFAULT_MAX_BYTES, type SqliteOutboxOptions, type OutboxStorageStats } from './sqlite-outbox.ts';
export { SqliteDeadLetters, listDeadLetters, countDeadLetters, DEFAULT_DEAD_LETTER_CAPACITY, type DeadLetterCounts, type DeadLetterQuery } from './sqlite-dead-letters.ts';
export { openEdgeStore, edgeStorePath, DEFAULT_STORAGE, type EdgeStore } from './store.ts';
export { planThinning, THIN_MINUTE_MS, type ThinPlan } from './thinning.ts';
export { ByteSize, parseByteSize, formatBytes } from './byte-size.ts';
