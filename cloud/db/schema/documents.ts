import { sql } from 'drizzle-orm';
import { type AnyPgColumn, bigint, bigserial, index, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { ts } from './columns.ts';
import { locations } from './master-data.ts';

// Documents with their workflow: every state change, and the tasks pushed to the next role (0004).

export const documents = pgTable('documents', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  type: text('type', { enum: ['purchase_order', 'goods_receipt', 'sales_order', 'shipment', 'customer_return', 'count_session'] }).notNull(),
  status: text('status').notNull(),
  partner: text('partner'),
  location: text('location').references(() => locations.id),
  amountMinor: bigint('amount_minor', { mode: 'number' }),
  currency: text('currency'),
  lines: jsonb('lines').notNull().default([]),
  data: jsonb('data').notNull().default({}),
  parentId: bigint('parent_id', { mode: 'number' }).references((): AnyPgColumn => documents.id),
  createdBy: text('created_by').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [
  index('documents_type_status').on(t.type, t.status),
]);

export const documentEvents = pgTable('document_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  documentId: bigint('document_id', { mode: 'number' }).notNull().references(() => documents.id),
  action: text('action').notNull(),
  fromStatus: text('from_status'),
  toStatus: text('to_status').notNull(),
  actor: text('actor').notNull(),
  role: text('role').notNull(),
  note: text('note'),
  at: ts('at').notNull().defaultNow(),
});

export const tasks = pgTable('tasks', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  documentId: bigint('document_id', { mode: 'number' }).notNull().references(() => documents.id),
  role: text('role').notNull(),
  action: text('action').notNull(),
  title: text('title').notNull(),
  status: text('status', { enum: ['open', 'done', 'cancelled'] }).notNull().default('open'),
  createdAt: ts('created_at').notNull().defaultNow(),
  closedAt: ts('closed_at'),
  closedBy: text('closed_by'),
}, (t) => [
  index('tasks_open_role').on(t.role, t.createdAt).where(sql`status = 'open'`),
]);
