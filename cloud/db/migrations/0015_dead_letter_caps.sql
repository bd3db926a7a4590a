-- Dead letters are kept with caps (cloud/ingest/dead-letters.ts): a payload beyond 64 KiB is
-- stored truncated, with its original size and SHA-256 so the whole frame can still be matched
-- against the sender's copy; rows are capped per source and pruned after a retention period
-- (the dead-letter-retention job). The indexes make both prunes cheap.
ALTER TABLE dead_letters ADD COLUMN payload_bytes bigint;
ALTER TABLE dead_letters ADD COLUMN payload_sha256 text;
ALTER TABLE dead_letters ADD COLUMN truncated boolean NOT NULL DEFAULT false;
CREATE INDEX dead_letters_source_id ON dead_letters (source, id);
CREATE INDEX dead_letters_received_at ON dead_letters (received_at);
