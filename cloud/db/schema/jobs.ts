import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, date, doublePrecision, index, jsonb, numeric, pgTable, primaryKey, text, unique, uniqueIndex } from 'drizzle-orm/pg-core';
import { ts } from './columns.ts';
import { documents } from './documents.ts';
import { lots } from './ledger.ts';
import { items } from './master-data.ts';

// Batch jobs and what they keep: every run, the expiry digests, cold-chain exposure evidence and
// the latest replenishment plan per item (0008, 0009, 0010).

export const jobRuns = pgTable('job_runs', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  job: text('job').notNull(),
  periodFrom: ts('period_from').notNull(),
  periodTo: ts('period_to').notNull(),
  trigger: text('trigger', { enum: ['schedule', 'manual'] }).notNull(),
  status: text('status', { enum: ['running', 'succeeded', 'failed', 'abandoned'] }).notNull(),
  startedAt: ts('started_at').notNull(),
  finishedAt: ts('finished_at'),
  counts: jsonb('counts').notNull().default({}),
  error: text('error'),
  instance: text('instance').notNull(),
  actor: text('actor'),
  progress: jsonb('progress'),
}, (t) => [
  index('job_runs_job_started').on(t.job, t.id.desc()),
  uniqueIndex('job_runs_scheduled_once').on(t.job, t.periodFrom).where(sql`trigger = 'schedule' AND status <> 'abandoned'`),
]);

export const expiryDigests = pgTable('expiry_digests', {
  day: date('day', { mode: 'string' }).notNull(),
  role: text('role').notNull(),
  lots: jsonb('lots').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
}, (t) => [
  primaryKey({ columns: [t.day, t.role] }),
]);

export const lotExposureEvidence = pgTable('lot_exposure_evidence', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  lotId: bigint('lot_id', { mode: 'number' }).notNull().references(() => lots.id),
  rule: text('rule', { enum: ['single_high', 'single_low', 'cumulative', 'mkt'] }).notNull(),
  profile: text('profile').notNull(),
  zone: text('zone').notNull(),
  location: text('location'),
  sensor: text('sensor').notNull(),
  startedAt: ts('started_at').notNull(),
  endedAt: ts('ended_at').notNull(),
  ongoing: boolean('ongoing').notNull().default(false),
  minutes: doublePrecision('minutes').notNull(),
  maxTemp: doublePrecision('max_temp'),
  minTemp: doublePrecision('min_temp'),
  threshold: doublePrecision('threshold'),
  limitValue: doublePrecision('limit_value'),
  detectedAt: ts('detected_at').notNull(),
  quarantined: boolean('quarantined').notNull().default(false),
}, (t) => [
  unique().on(t.lotId, t.rule, t.sensor, t.startedAt),
  index('lot_exposure_evidence_lot').on(t.lotId, t.startedAt),
]);

export const replenishmentPlans = pgTable('replenishment_plans', {
  item: text('item').primaryKey().references(() => items.sku),
  computedAt: ts('computed_at').notNull(),
  status: text('status', { enum: ['reorder', 'ok', 'skipped'] }).notNull(),
  reason: text('reason'),
  safetyStock: numeric('safety_stock', { precision: 20, scale: 6 }),
  reorderPoint: numeric('reorder_point', { precision: 20, scale: 6 }),
  suggestedQty: numeric('suggested_qty', { precision: 20, scale: 6 }),
  purchaseOrder: bigint('purchase_order', { mode: 'number' }).references(() => documents.id),
  alertId: text('alert_id'),
  explanation: jsonb('explanation').notNull(),
});
