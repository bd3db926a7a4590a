// The drizzle declaration of every table and view the SQL migrations (cloud/db/migrations/)
// create, one file per domain under schema/. The migrations create the database; these give
// typed queries (db.orm) and row types ($inferSelect). tests/cloud/schema.test.ts migrates a
// fresh database on each engine and compares it with these declarations column by column, so a
// migration that changes a table fails the suite until its declaration changes too.

export * from './schema/uplink.ts';
export * from './schema/telemetry.ts';
export * from './schema/notify.ts';
export * from './schema/master-data.ts';
export * from './schema/ledger.ts';
export * from './schema/documents.ts';
export * from './schema/stock-devices.ts';
export * from './schema/jobs.ts';
export * from './schema/auth.ts';
export * from './schema/reports.ts';
export * from './schema/meta.ts';
