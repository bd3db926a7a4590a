import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EdgeConfig } from '../config.schema.ts';
import { openEdgeDb } from './db.ts';
import { SqliteDeadLetters } from './sqlite-dead-letters.ts';
import { DEFAULT_MAX_BYTES, SqliteOutbox } from './sqlite-outbox.ts';

// A gateway's durable store: one SQLite file per gateway under storage.dir, holding its outbox
// and its dead letters. Named after the gateway id so several gateways may share a data folder.

export const DEFAULT_STORAGE = { dir: './data/edge', maxBytes: DEFAULT_MAX_BYTES, fsync: 'full' } as const;

export interface EdgeStore {
  path: string;
  outbox: SqliteOutbox;
  deadLetters: SqliteDeadLetters;
  close(): void;
}

type StorageConfig = { gateway: { id: string }; storage?: Partial<NonNullable<EdgeConfig['storage']>> };

/** Where the gateway of `config` keeps its store. */
export function edgeStorePath(config: StorageConfig): string {
  return join(config.storage?.dir ?? DEFAULT_STORAGE.dir, `${config.gateway.id}.sqlite`);
}

export function openEdgeStore(config: StorageConfig, log?: Logger): EdgeStore {
  const path = edgeStorePath(config);
  const edb = openEdgeDb(path, config.storage?.fsync ?? DEFAULT_STORAGE.fsync);
  try {
    const outbox = new SqliteOutbox(edb, { maxBytes: config.storage?.maxBytes ?? DEFAULT_STORAGE.maxBytes, log });
    const deadLetters = new SqliteDeadLetters(edb);
    return { path: edb.path, outbox, deadLetters, close: () => edb.close() };
  } catch (e) {
    edb.close();
    throw e;
  }
}
