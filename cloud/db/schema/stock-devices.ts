import { bigint, bigserial, index, jsonb, numeric, pgTable, primaryKey, text, unique } from 'drizzle-orm/pg-core';
import { ts } from './columns.ts';

// What devices did to stock: every device movement with its outcome, the exceptions a person
// resolves, and what each scale last weighed (0007).

export const deviceMovements = pgTable('device_movements', {
  eventId: text('event_id').primaryKey(),
  gateway: text('gateway').notNull(),
  type: text('type').notNull(),
  ts: ts('ts').notNull(),
  device: text('device').notNull(),
  sourceKind: text('source_kind').notNull(),
  item: text('item'),
  gtin: text('gtin'),
  qty: numeric('qty', { precision: 20, scale: 6 }).notNull(),
  unit: text('unit').notNull(),
  zone: text('zone').notNull(),
  bin: text('bin'),
  lot: text('lot'),
  document: text('document'),
  outcome: text('outcome', { enum: ['posted', 'exception', 'observed'] }).notNull(),
  movementIds: bigint('movement_ids', { mode: 'number' }).array().notNull().default([]),
  reason: text('reason'),
  evidence: jsonb('evidence').notNull().default({}),
  receivedAt: ts('received_at').notNull().defaultNow(),
}, (t) => [
  index('device_movements_device_ts').on(t.device, t.ts.desc()),
  index('device_movements_ts').on(t.ts.desc()),
]);

export const stockExceptions = pgTable('stock_exceptions', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  key: text('key').notNull().unique(),
  kind: text('kind', { enum: ['unexpected_receipt', 'unauthorised_removal', 'unposted_movement'] }).notNull(),
  gateway: text('gateway').notNull(),
  zone: text('zone').notNull(),
  device: text('device'),
  alertId: text('alert_id'),
  eventId: text('event_id'),
  message: text('message').notNull(),
  state: text('state', { enum: ['open', 'resolved'] }).notNull().default('open'),
  raisedAt: ts('raised_at').notNull(),
  resolvedAt: ts('resolved_at'),
  resolvedBy: text('resolved_by'),
  resolution: text('resolution'),
}, (t) => [
  index('stock_exceptions_open').on(t.state, t.raisedAt.desc()),
]);

export const binWeighings = pgTable('bin_weighings', {
  location: text('location').notNull(),
  item: text('item').notNull(),
  gateway: text('gateway').notNull(),
  device: text('device').notNull(),
  zone: text('zone').notNull(),
  weighedQty: numeric('weighed_qty', { precision: 20, scale: 6 }).notNull(),
  ledgerQty: numeric('ledger_qty', { precision: 20, scale: 6 }).notNull(),
  toleranceQty: numeric('tolerance_qty', { precision: 20, scale: 6 }).notNull(),
  unit: text('unit').notNull(),
  weighedAt: ts('weighed_at').notNull(),
  driftAlertId: text('drift_alert_id'),
}, (t) => [
  primaryKey({ columns: [t.location, t.item] }),
]);
