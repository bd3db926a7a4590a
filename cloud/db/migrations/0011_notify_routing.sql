-- Notifications that reach people: contacts (who, with which channel addresses), routes
-- (alert kind / zone / role → an ordered escalation chain of contacts), the escalation state of
-- each routed alert, and one row per delivery attempt. Deliveries stay in the existing
-- notification_deliveries outbox; person-bound ones carry contact/route/level/stage.

CREATE TABLE notify_contacts (
  id          serial PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  role        text NOT NULL,
  -- mobile for DingTalk/WeCom @mentions; ids for WeCom <@userid> and Slack <@U…> mentions
  mobile      text,
  -- [{type: email|wecom|dingtalk|slack|webhook, address, secret?, userId?}] — secrets live only here
  channels    jsonb NOT NULL DEFAULT '[]'::jsonb,
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notify_routes (
  id                 serial PRIMARY KEY,
  name               text NOT NULL UNIQUE,
  -- match: NULL = any
  kind               text,
  zone               text,
  severity           text,
  -- recipients: the explicit contacts in order, then every active contact with this role
  role               text,
  contact_ids        integer[] NOT NULL DEFAULT '{}',
  -- which of a contact's channels to use; NULL = all of them
  channels           text[],
  escalate_after_min integer CHECK (escalate_after_min IS NULL OR escalate_after_min > 0),
  repeat_every_min   integer CHECK (repeat_every_min IS NULL OR repeat_every_min > 0),
  enabled            boolean NOT NULL DEFAULT true,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- One row per (alert, route) once the alert was routed: the clock escalation runs on.
CREATE TABLE notify_escalations (
  alert_id      text NOT NULL,
  route_id      integer NOT NULL,
  started_at    timestamptz NOT NULL,
  -- the frozen chain (contact ids) so a later route edit does not reshuffle a running escalation
  chain         integer[] NOT NULL,
  level         integer NOT NULL DEFAULT 0,
  reminders     integer NOT NULL DEFAULT 0,
  closed_at     timestamptz,
  closed_reason text CHECK (closed_reason IS NULL OR closed_reason IN ('acked', 'cleared', 'route_removed')),
  PRIMARY KEY (alert_id, route_id)
);
CREATE INDEX notify_escalations_open ON notify_escalations (alert_id) WHERE closed_at IS NULL;

ALTER TABLE notification_deliveries ADD COLUMN contact_id integer;
ALTER TABLE notification_deliveries ADD COLUMN route_id integer;
ALTER TABLE notification_deliveries ADD COLUMN level integer;
-- raised | escalated | reminder | cleared (person-bound deliveries); NULL for config targets
ALTER TABLE notification_deliveries ADD COLUMN stage text;
-- an acknowledged alert's pending reminders/escalations are not sent any more
ALTER TABLE notification_deliveries DROP CONSTRAINT notification_deliveries_status_check;
ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_status_check
  CHECK (status IN ('pending', 'sent', 'failed', 'cancelled'));
CREATE INDEX notification_deliveries_alert ON notification_deliveries (alert_id);

-- Every attempt, successful or not: what the deliveries API shows per delivery.
CREATE TABLE notification_attempts (
  id           bigserial PRIMARY KEY,
  delivery_id  bigint NOT NULL,
  attempt      integer NOT NULL,
  at           timestamptz NOT NULL DEFAULT now(),
  ok           boolean NOT NULL,
  error        text,
  duration_ms  integer NOT NULL
);
CREATE INDEX notification_attempts_delivery ON notification_attempts (delivery_id, attempt);
