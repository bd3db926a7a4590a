import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { ts } from './columns.ts';

// Gateways and what they sent: the registry (who may send, with which credential), what each
// gateway speaks for, its streams, the committed batch keys, and the frames refused (0001, 0012, 0015).

export const gateways = pgTable('gateways', {
  id: text('id').primaryKey(),
  site: text('site').notNull(),
  stream: text('stream'),
  lastSeq: bigint('last_seq', { mode: 'number' }),
  lastSeen: ts('last_seen').notNull().defaultNow(),
  manifest: jsonb('manifest'),
});

export const gatewayRegistry = pgTable('gateway_registry', {
  id: text('id').primaryKey(),
  site: text('site'),
  credentialHash: text('credential_hash').notNull(),
  brokerHash: text('broker_hash').notNull(),
  prefix: text('prefix').notNull(),
  generation: integer('generation').notNull().default(1),
  createdAt: ts('created_at').notNull().defaultNow(),
  createdBy: text('created_by').notNull(),
  revokedAt: ts('revoked_at'),
  note: text('note'),
});

export const gatewayClaims = pgTable('gateway_claims', {
  kind: text('kind', { enum: ['zone', 'sensor'] }).notNull(),
  id: text('id').notNull(),
  gateway: text('gateway').notNull(),
  how: text('how', { enum: ['registered', 'first_use', 'migrated'] }).notNull(),
  claimedAt: ts('claimed_at').notNull().defaultNow(),
}, (t) => [
  primaryKey({ columns: [t.kind, t.id] }),
  index('gateway_claims_gateway').on(t.gateway),
]);

export const uplinkStreams = pgTable('uplink_streams', {
  gateway: text('gateway').notNull(),
  stream: text('stream').notNull(),
  generation: integer('generation').notNull(),
  openedAt: ts('opened_at').notNull().defaultNow(),
}, (t) => [
  primaryKey({ columns: [t.gateway, t.stream] }),
]);

export const uplinkBatches = pgTable('uplink_batches', {
  gateway: text('gateway').notNull(),
  stream: text('stream').notNull(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  receivedAt: ts('received_at').notNull().defaultNow(),
  sentAt: ts('sent_at').notNull(),
  readings: integer('readings').notNull(),
  alerts: integer('alerts').notNull(),
  digest: text('digest'),
}, (t) => [
  primaryKey({ columns: [t.gateway, t.stream, t.seq] }),
]);

export const deadLetters = pgTable('dead_letters', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  receivedAt: ts('received_at').notNull().defaultNow(),
  source: text('source').notNull(),
  topic: text('topic'),
  code: text('code').notNull(),
  reason: text('reason').notNull(),
  payload: text('payload').notNull(),
  payloadBytes: bigint('payload_bytes', { mode: 'number' }),
  payloadSha256: text('payload_sha256'),
  truncated: boolean('truncated').notNull().default(false),
}, (t) => [
  index('dead_letters_received_at').on(t.receivedAt),
  index('dead_letters_source_id').on(t.source, t.id),
]);
