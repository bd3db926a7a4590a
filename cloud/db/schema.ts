import { bigint, bigserial, boolean, doublePrecision, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

// drizzle table definitions mirroring migrations/*.sql (the SQL files create the tables; these
// give typed queries). Keep both in step: tests/cloud/schema.test.ts compares them.

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const gateways = pgTable('gateways', {
  id: text('id').primaryKey(),
  site: text('site').notNull(),
  stream: text('stream'),
  lastSeq: bigint('last_seq', { mode: 'number' }),
  lastSeen: ts('last_seen').notNull().defaultNow(),
  manifest: jsonb('manifest'),
});

export const uplinkBatches = pgTable('uplink_batches', {
  gateway: text('gateway').notNull(),
  stream: text('stream').notNull(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  receivedAt: ts('received_at').notNull().defaultNow(),
  sentAt: ts('sent_at').notNull(),
  readings: integer('readings').notNull(),
  alerts: integer('alerts').notNull(),
  digest: text('digest'),
}, (t) => [primaryKey({ columns: [t.gateway, t.stream, t.seq] })]);

// the gateway registry (migration 0012, cloud/gateways/registry.ts)
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
  kind: text('kind').notNull(),
  id: text('id').notNull(),
  gateway: text('gateway').notNull(),
  how: text('how').notNull(),
  claimedAt: ts('claimed_at').notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.kind, t.id] })]);

export const uplinkStreams = pgTable('uplink_streams', {
  gateway: text('gateway').notNull(),
  stream: text('stream').notNull(),
  generation: integer('generation').notNull(),
  openedAt: ts('opened_at').notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.gateway, t.stream] })]);

export const zones = pgTable('zones', {
  id: text('id').primaryKey(),
  gateway: text('gateway').notNull(),
  site: text('site').notNull(),
  name: text('name').notNull(),
  profileLow: doublePrecision('profile_low'),
  profileHigh: doublePrecision('profile_high'),
  delaySec: doublePrecision('delay_sec').notNull(),
  hysteresis: doublePrecision('hysteresis').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const sensors = pgTable('sensors', {
  id: text('id').primaryKey(),
  gateway: text('gateway').notNull(),
  zone: text('zone').notNull(),
  kind: text('kind').notNull(),
  unit: text('unit').notNull(),
  protocol: text('protocol').notNull(),
  name: text('name'),
  lastTs: ts('last_ts'),
  lastValue: doublePrecision('last_value'),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const readings = pgTable('readings', {
  ts: ts('ts').notNull(),
  gateway: text('gateway').notNull(),
  sensor: text('sensor').notNull(),
  zone: text('zone').notNull(),
  kind: text('kind').notNull(),
  value: doublePrecision('value').notNull(),
  quality: text('quality').notNull().default('good'),
});

export const alerts = pgTable('alerts', {
  id: text('id').primaryKey(),
  gateway: text('gateway').notNull(),
  zone: text('zone').notNull(),
  sensor: text('sensor'),
  rule: text('rule').notNull(),
  severity: text('severity').notNull(),
  state: text('state', { enum: ['active', 'cleared'] }).notNull(),
  since: ts('since').notNull(),
  raisedAt: ts('raised_at').notNull(),
  clearedAt: ts('cleared_at'),
  value: doublePrecision('value'),
  threshold: doublePrecision('threshold'),
  message: text('message').notNull(),
  ackedAt: ts('acked_at'),
  ackedBy: text('acked_by'),
  ackNote: text('ack_note'),
});

export const notificationDeliveries = pgTable('notification_deliveries', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  alertId: text('alert_id').notNull(),
  transition: text('transition').notNull(),
  channel: text('channel').notNull(),
  target: text('target').notNull(),
  payload: jsonb('payload').notNull(),
  status: text('status', { enum: ['pending', 'sent', 'failed'] }).notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  lastError: text('last_error'),
  createdAt: ts('created_at').notNull().defaultNow(),
  nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
  sentAt: ts('sent_at'),
});

export const deadLetters = pgTable('dead_letters', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  receivedAt: ts('received_at').notNull().defaultNow(),
  source: text('source').notNull(),
  topic: text('topic'),
  code: text('code').notNull(),
  reason: text('reason').notNull(),
  /** at most 64 KiB (truncated: true beyond); payloadBytes and payloadSha256 describe the original */
  payload: text('payload').notNull(),
  payloadBytes: bigint('payload_bytes', { mode: 'number' }),
  payloadSha256: text('payload_sha256'),
  truncated: boolean('truncated').notNull().default(false),
});
