-- API tokens (each carries one role) and the append-only audit log of every write.
-- Tokens are stored as SHA-256 hashes: the secret is shown once, at creation.

CREATE TABLE api_tokens (
  id           bigserial PRIMARY KEY,
  name         text NOT NULL,
  role         text NOT NULL CHECK (role IN ('admin', 'warehouse', 'purchasing', 'sales', 'finance', 'qa', 'viewer', 'device')),
  token_hash   text NOT NULL UNIQUE,
  prefix       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   text NOT NULL,
  revoked_at   timestamptz
);

CREATE TABLE audit_log (
  id         bigserial PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  actor      text NOT NULL,
  role       text NOT NULL,
  token_id   bigint,
  method     text NOT NULL,
  route      text NOT NULL,
  url        text NOT NULL,
  status     integer NOT NULL,
  entity     text,
  entity_id  text,
  request    jsonb,
  before     jsonb,
  after      jsonb
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
-- sp_refuse_change() comes from 0004_inventory.sql
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION sp_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION sp_refuse_change();
