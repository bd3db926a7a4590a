-- A person's own settings, kept by the name their API tokens carry (a token is replaced, the
-- person stays: the demo's admin token is new at every start). Today: the UI language.
CREATE TABLE user_preferences (
  name        text PRIMARY KEY,
  locale      text NOT NULL CHECK (locale IN ('en', 'zh-CN')),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
