import { pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { ts } from './columns.ts';

// The migration record itself, created by cloud/db/migrate.ts before any migration runs.

export const schemaMigrations = pgTable('schema_migrations', {
  id: text('id').primaryKey(),
  variant: text('variant').notNull(),
  appliedAt: ts('applied_at').notNull().defaultNow(),
});
