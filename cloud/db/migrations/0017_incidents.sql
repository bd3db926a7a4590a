-- Incidents: one zone event, many alerts. A chiller that fails is seen by every probe in the room;
-- each probe raises its own alert, but people act on the room: one acknowledgement, one escalation
-- chain, one notification thread. The rule (cloud/notify/incidents.ts): an alert joins the open
-- incident of its key (its zone, for what a gateway raises) and opens one when there is none; an
-- incident is open while any of its alerts is active and closes when the last one clears.
-- Severity is the highest of its alerts. Runs unchanged on PGlite, PostgreSQL and TimescaleDB.
CREATE TABLE incidents (
  id         bigserial PRIMARY KEY,
  -- what groups alerts: zone:<zone> (a room, or gateway:<id> for a gateway's own troubles), or
  -- alert:<id> for an alert that stands alone (an info record, a low-stock item, an expiring lot)
  key        text NOT NULL,
  zone       text NOT NULL,
  severity   text NOT NULL,
  state      text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
  opened_at  timestamptz NOT NULL,
  closed_at  timestamptz,
  acked_at   timestamptz,
  acked_by   text,
  ack_note   text
);
-- at most one open incident per key: what lets two ingest transactions of one zone agree
CREATE UNIQUE INDEX incidents_one_open ON incidents (key) WHERE state = 'open';
CREATE INDEX incidents_opened ON incidents (opened_at DESC);

ALTER TABLE alerts ADD COLUMN incident_id bigint;
CREATE INDEX alerts_incident ON alerts (incident_id);

-- Escalation runs per incident: the first routed alert of an incident on a route carries the
-- chain (the lead row); a later alert of the same incident on that route gets a row closed at
-- once as 'merged' (it was told as an update in the lead's thread, and is never routed again).
ALTER TABLE notify_escalations ADD COLUMN incident_id bigint;
ALTER TABLE notify_escalations DROP CONSTRAINT notify_escalations_closed_reason_check;
ALTER TABLE notify_escalations ADD CONSTRAINT notify_escalations_closed_reason_check
  CHECK (closed_reason IS NULL OR closed_reason IN ('acked', 'cleared', 'route_removed', 'merged'));
-- one running chain per (incident, route)
CREATE UNIQUE INDEX notify_escalations_one_chain ON notify_escalations (incident_id, route_id)
  WHERE closed_at IS NULL AND incident_id IS NOT NULL;
