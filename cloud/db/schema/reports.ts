import { boolean, integer, jsonb, pgTable, serial, text } from 'drizzle-orm/pg-core';
import { ts } from './columns.ts';

// Issue #14 (0022): weekly report e-mails (cloud/reports/) and the approval rules an admin edits
// (cloud/inventory/documents/approval-rules.ts).

export const reportSchedules = pgTable('report_schedules', {
  id: serial('id').primaryKey(),
  report: text('report').notNull(),
  params: jsonb('params').notNull().default({}),
  weekday: integer('weekday').notNull(),
  hour: integer('hour').notNull(),
  timezone: text('timezone').notNull().default('UTC'),
  role: text('role').notNull(),
  locale: text('locale', { enum: ['en', 'zh-CN'] }).notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  lastOccurrence: ts('last_occurrence'),
});

export const approvalRuleSets = pgTable('approval_rule_sets', {
  documentType: text('document_type').primaryKey(),
  levels: jsonb('levels').notNull(),
  sequential: boolean('sequential').notNull().default(false),
  updatedBy: text('updated_by').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});
