import { sql } from 'drizzle-orm';
import { bigint, bigserial, doublePrecision, index, jsonb, pgTable, pgView, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { ts } from './columns.ts';

// What gateways watch and report: zones, sensors, devices, the readings series with its 1-minute
// and 1-hour aggregates, and alerts (0001, 0002, 0003, 0006, 0016).

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

export const devices = pgTable('devices', {
  gateway: text('gateway').notNull(),
  id: text('id').notNull(),
  zone: text('zone'),
  protocol: text('protocol').notNull().default('unknown'),
  name: text('name'),
  heartbeatSec: doublePrecision('heartbeat_sec'),
  sensors: jsonb('sensors').notNull().default([]),
  state: text('state', { enum: ['unknown', 'online', 'offline', 'failed'] }).notNull().default('unknown'),
  stateAt: ts('state_at'),
  lastSeen: ts('last_seen'),
  battery: doublePrecision('battery'),
  signal: doublePrecision('signal'),
  lastError: jsonb('last_error'),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [
  primaryKey({ columns: [t.gateway, t.id] }),
  index('devices_state').on(t.state),
]);

export const readings = pgTable('readings', {
  ts: ts('ts').notNull(),
  gateway: text('gateway').notNull(),
  sensor: text('sensor').notNull(),
  zone: text('zone').notNull(),
  kind: text('kind').notNull(),
  value: doublePrecision('value').notNull(),
  quality: text('quality').notNull().default('good'),
}, (t) => [
  uniqueIndex('readings_sensor_ts').on(t.sensor, t.ts.desc()),
]);

export const readings1m = pgView('readings_1m', {
  bucket: ts('bucket'),
  sensor: text('sensor'),
  zone: text('zone'),
  kind: text('kind'),
  avg: doublePrecision('avg'),
  min: doublePrecision('min'),
  max: doublePrecision('max'),
  n: bigint('n', { mode: 'number' }),
}).existing();

export const readings1h = pgView('readings_1h', {
  bucket: ts('bucket'),
  sensor: text('sensor'),
  zone: text('zone'),
  kind: text('kind'),
  avg: doublePrecision('avg'),
  min: doublePrecision('min'),
  max: doublePrecision('max'),
  n: bigint('n', { mode: 'number' }),
}).existing();

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
  incidentId: bigint('incident_id', { mode: 'number' }),
}, (t) => [
  index('alerts_incident').on(t.incidentId),
  index('alerts_defrost_zone_since').on(t.zone, t.since).where(sql`rule = 'defrost'`),
  index('alerts_state_raised').on(t.state, t.raisedAt.desc()),
  index('alerts_zone_raised').on(t.zone, t.raisedAt.desc()),
]);

export const incidents = pgTable('incidents', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  key: text('key').notNull(),
  zone: text('zone').notNull(),
  severity: text('severity').notNull(),
  state: text('state', { enum: ['open', 'closed'] }).notNull().default('open'),
  openedAt: ts('opened_at').notNull(),
  closedAt: ts('closed_at'),
  ackedAt: ts('acked_at'),
  ackedBy: text('acked_by'),
  ackNote: text('ack_note'),
}, (t) => [
  uniqueIndex('incidents_one_open').on(t.key).where(sql`state = 'open'`),
  index('incidents_opened').on(t.openedAt.desc()),
]);
