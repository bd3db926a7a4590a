import { bigint, bigserial, index, integer, jsonb, pgTable, primaryKey, text, unique } from 'drizzle-orm/pg-core';
import { ts } from './columns.ts';

// API tokens (stored as hashes), the append-only audit log of every write (0005), and each
// person's own settings (0018).

export const apiTokens = pgTable('api_tokens', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  name: text('name').notNull(),
  role: text('role', { enum: ['admin', 'warehouse', 'purchasing', 'sales', 'finance', 'qa', 'viewer', 'device'] }).notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  prefix: text('prefix').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  createdBy: text('created_by').notNull(),
  revokedAt: ts('revoked_at'),
});

export const auditLog = pgTable('audit_log', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  at: ts('at').notNull().defaultNow(),
  actor: text('actor').notNull(),
  role: text('role').notNull(),
  tokenId: bigint('token_id', { mode: 'number' }),
  method: text('method').notNull(),
  route: text('route').notNull(),
  url: text('url').notNull(),
  status: integer('status').notNull(),
  entity: text('entity'),
  entityId: text('entity_id'),
  request: jsonb('request'),
  before: jsonb('before'),
  after: jsonb('after'),
}, (t) => [
  index('audit_log_at').on(t.at.desc()),
  index('audit_log_entity').on(t.entity, t.entityId),
]);

/** a person's own settings by the name on their tokens (0018): the UI language */
export const userPreferences = pgTable('user_preferences', {
  name: text('name').primaryKey(),
  locale: text('locale', { enum: ['en', 'zh-CN'] }).notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});
