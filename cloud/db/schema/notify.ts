import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, serial, text, unique, uniqueIndex } from 'drizzle-orm/pg-core';
import { ts } from './columns.ts';

// Notifications: the delivery outbox, every attempt, contacts, routes and the escalation clock of
// each routed alert (0001, 0011).

export const notificationDeliveries = pgTable('notification_deliveries', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  alertId: text('alert_id').notNull(),
  transition: text('transition').notNull(),
  channel: text('channel').notNull(),
  target: text('target').notNull(),
  payload: jsonb('payload').notNull(),
  status: text('status', { enum: ['pending', 'sent', 'failed', 'cancelled'] }).notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  lastError: text('last_error'),
  createdAt: ts('created_at').notNull().defaultNow(),
  nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
  sentAt: ts('sent_at'),
  contactId: integer('contact_id'),
  routeId: integer('route_id'),
  level: integer('level'),
  stage: text('stage'),
}, (t) => [
  unique().on(t.alertId, t.transition, t.channel, t.target),
  index('notification_deliveries_alert').on(t.alertId),
  index('notification_deliveries_due').on(t.status, t.nextAttemptAt),
]);

export const notificationAttempts = pgTable('notification_attempts', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  deliveryId: bigint('delivery_id', { mode: 'number' }).notNull(),
  attempt: integer('attempt').notNull(),
  at: ts('at').notNull().defaultNow(),
  ok: boolean('ok').notNull(),
  error: text('error'),
  durationMs: integer('duration_ms').notNull(),
}, (t) => [
  index('notification_attempts_delivery').on(t.deliveryId, t.attempt),
]);

export const notifyContacts = pgTable('notify_contacts', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  role: text('role').notNull(),
  mobile: text('mobile'),
  channels: jsonb('channels').notNull().default([]),
  active: boolean('active').notNull().default(true),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  // the language of the notifier's own words to this person (migration 0020)
  locale: text('locale').notNull().default('en'),
});

export const notifyRoutes = pgTable('notify_routes', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  kind: text('kind'),
  zone: text('zone'),
  severity: text('severity'),
  role: text('role'),
  contactIds: integer('contact_ids').array().notNull().default([]),
  channels: text('channels').array(),
  escalateAfterMin: integer('escalate_after_min'),
  repeatEveryMin: integer('repeat_every_min'),
  enabled: boolean('enabled').notNull().default(true),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const notifyEscalations = pgTable('notify_escalations', {
  alertId: text('alert_id').notNull(),
  routeId: integer('route_id').notNull(),
  startedAt: ts('started_at').notNull(),
  chain: integer('chain').array().notNull(),
  level: integer('level').notNull().default(0),
  reminders: integer('reminders').notNull().default(0),
  closedAt: ts('closed_at'),
  closedReason: text('closed_reason', { enum: ['acked', 'cleared', 'route_removed', 'merged'] }),
  incidentId: bigint('incident_id', { mode: 'number' }),
}, (t) => [
  primaryKey({ columns: [t.alertId, t.routeId] }),
  uniqueIndex('notify_escalations_one_chain').on(t.incidentId, t.routeId).where(sql`closed_at IS NULL AND incident_id IS NOT NULL`),
  index('notify_escalations_open').on(t.alertId).where(sql`closed_at IS NULL`),
]);
