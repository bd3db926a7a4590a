import { sql } from 'drizzle-orm';
import { type AnyPgColumn, bigint, bigserial, date, index, integer, numeric, pgTable, primaryKey, text, unique } from 'drizzle-orm/pg-core';
import { ts } from './columns.ts';
import { items, locations } from './master-data.ts';

// The inventory truth: lots and their status history, the append-only movements ledger, the
// balances and item positions kept with it, channel pools and reservations (0004, 0008, 0014).

export const lots = pgTable('lots', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  item: text('item').notNull().references(() => items.sku),
  code: text('code').notNull(),
  producedOn: date('produced_on', { mode: 'string' }),
  expiresOn: date('expires_on', { mode: 'string' }),
  status: text('status', { enum: ['available', 'near_expiry', 'expired', 'quarantined', 'rejected'] }).notNull().default('available'),
  createdAt: ts('created_at').notNull().defaultNow(),
}, (t) => [
  unique().on(t.item, t.code),
  index('lots_expiry_watch').on(t.expiresOn).where(sql`status = ANY (ARRAY['available', 'near_expiry'])`),
]);

export const lotStatusHistory = pgTable('lot_status_history', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  lotId: bigint('lot_id', { mode: 'number' }).notNull().references(() => lots.id),
  fromStatus: text('from_status'),
  toStatus: text('to_status').notNull(),
  actor: text('actor').notNull(),
  reason: text('reason').notNull(),
  at: ts('at').notNull().defaultNow(),
}, (t) => [
  index('lot_status_history_lot').on(t.lotId, t.at),
]);

export const movements = pgTable('movements', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  kind: text('kind', { enum: ['receipt', 'shipment', 'transfer', 'consumption', 'adjustment', 'count_correction', 'scrap', 'return'] }).notNull(),
  item: text('item').notNull().references(() => items.sku),
  lotId: bigint('lot_id', { mode: 'number' }).references(() => lots.id),
  fromLocation: text('from_location').references(() => locations.id),
  toLocation: text('to_location').references(() => locations.id),
  qty: numeric('qty', { precision: 20, scale: 6 }).notNull(),
  sourceType: text('source_type', { enum: ['device', 'user', 'document'] }).notNull(),
  sourceRef: text('source_ref'),
  actor: text('actor').notNull(),
  at: ts('at').notNull().defaultNow(),
  idempotencyKey: text('idempotency_key').unique(),
  reverses: bigint('reverses', { mode: 'number' }).references((): AnyPgColumn => movements.id),
  note: text('note'),
  reservationId: bigint('reservation_id', { mode: 'number' }).references(() => reservations.id),
}, (t) => [
  index('movements_item_at').on(t.item, t.at),
  index('movements_lot_at').on(t.lotId, t.at).where(sql`lot_id IS NOT NULL`),
  index('movements_reservation').on(t.reservationId).where(sql`reservation_id IS NOT NULL`),
]);

export const balances = pgTable('balances', {
  item: text('item').notNull().references(() => items.sku),
  location: text('location').notNull().references(() => locations.id),
  lotId: bigint('lot_id', { mode: 'number' }).notNull().default(0),
  onHand: numeric('on_hand', { precision: 20, scale: 6 }).notNull().default('0'),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [
  primaryKey({ columns: [t.item, t.location, t.lotId] }),
]);

export const itemPositions = pgTable('item_positions', {
  item: text('item').primaryKey().references(() => items.sku),
  reserved: numeric('reserved', { precision: 20, scale: 6 }).notNull().default('0'),
});

export const channelPools = pgTable('channel_pools', {
  item: text('item').notNull().references(() => items.sku),
  channel: text('channel').notNull(),
  qty: numeric('qty', { precision: 20, scale: 6 }).notNull(),
  used: numeric('used', { precision: 20, scale: 6 }).notNull().default('0'),
}, (t) => [
  primaryKey({ columns: [t.item, t.channel] }),
]);

export const reservations = pgTable('reservations', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  item: text('item').notNull().references(() => items.sku),
  channel: text('channel').notNull(),
  qty: numeric('qty', { precision: 20, scale: 6 }).notNull(),
  fromPool: numeric('from_pool', { precision: 20, scale: 6 }).notNull().default('0'),
  status: text('status', { enum: ['active', 'committed', 'released', 'expired', 'fulfilled'] }).notNull(),
  ttlSec: integer('ttl_sec').notNull(),
  expiresAt: ts('expires_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
  committedAt: ts('committed_at'),
  closedAt: ts('closed_at'),
  idempotencyKey: text('idempotency_key').unique(),
  actor: text('actor').notNull(),
  ref: text('ref'),
  consumed: numeric('consumed', { precision: 20, scale: 6 }).notNull().default('0'),
}, (t) => [
  index('reservations_expiring').on(t.item, t.expiresAt).where(sql`status = 'active'`),
]);
