-- Master data is archived, never deleted (movements, lots and documents refer to it): an archived
-- item, supplier, customer or location is hidden from the lists pickers use and refused for new
-- documents and movements (SP_ERR_ARCHIVED), but every old row still resolves. NULL = in use.
-- Runs unchanged on PGlite, PostgreSQL and PostgreSQL + TimescaleDB.
ALTER TABLE items ADD COLUMN archived_at timestamptz;
ALTER TABLE suppliers ADD COLUMN archived_at timestamptz;
ALTER TABLE customers ADD COLUMN archived_at timestamptz;
ALTER TABLE locations ADD COLUMN archived_at timestamptz;
