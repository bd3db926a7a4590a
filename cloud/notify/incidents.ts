import type { Queryable } from '../db/engine.ts';

// Incidents: one zone event, many alerts (migration 0017). When a chiller fails every probe in the
// room raises its own alert; people act on the room, so the alerts of one event share one
// acknowledgement, one escalation chain and one notification thread.
//
// The rule, and why:
// - An alert's key says what it belongs to: `zone:<zone>` for what a gateway raises (a room, or
//   `gateway:<id>`, the zone the edge gives its own uplink troubles) and for a lot quarantined by a
//   zone's excursion; `zone:gateway:<id>` for the cloud refusing what a gateway said (the same
//   gateway's trouble as a stalled uplink); `alert:<id>` for an alert that stands alone: an info
//   record (a defrost period is a record, not an event to act on) and the inventory rules' alerts
//   (one low-stock item, one expiring lot: unrelated facts that merely share a pseudo-zone).
// - An alert joins the open incident of its key, or opens one. An incident stays open while any
//   of its alerts is active and closes when the last one clears: a probe that recovers while its
//   neighbour is still warm is the same event going on; a new excursion after the room was all
//   clear is a new event. No time window: a failing compressor can take hours to warm every probe.
// - Severity is the highest of its alerts.
// - Acknowledged: when someone acknowledges the incident (POST /api/incidents/:id/ack, which
//   acknowledges all its alerts), or when every active alert in it was acknowledged one by one.
//   An alert joining an acknowledged incident is acknowledged with it (the same people are on the
//   same event), unless it is more severe than the incident was: the event got worse, so the
//   incident's acknowledgement is withdrawn and escalation starts again.

export const SEVERITY_RANK: Record<string, number> = { info: 1, warning: 2, critical: 3 };
const rank = (s: string) => SEVERITY_RANK[s] ?? 0;

/** inventory facts: one item's count or stock, however many share a zone, is its own matter */
const STAND_ALONE_RULES = new Set(['low_stock', 'lot_expired', 'lot_near_expiry', 'count_drift']);

/**
 * SQL (text) for an alert's incident key, by the rule above, over an alerts row (`id`, `gateway`,
 * `zone`, `rule`, `severity`): $3 is the refused gateway (a gateway_refused alert's), $4 the
 * stand-alone rules. In SQL so that one statement reads the alert, joins or opens its incident
 * and queues its deliveries (deliveries.ts attachAndQueue).
 */
const INCIDENT_KEY_SQL = `CASE
  WHEN severity = 'info' THEN 'alert:' || id
  WHEN rule = 'gateway_refused' AND $3::text <> '' THEN 'zone:gateway:' || $3::text
  WHEN rule = ANY($4::text[]) THEN 'alert:' || id
  -- the cloud's own rules: only a lot quarantined for its zone's excursion is part of a zone event
  WHEN gateway = 'cloud' AND rule <> 'lot_quarantined' THEN 'alert:' || id
  ELSE 'zone:' || zone END`;

/** SQL rank of a severity (as SEVERITY_RANK; 0 for an unknown one), $5 being the severities in rank order */
const rankSql = (sev: string) => `coalesce(array_position($5::text[], ${sev}), 0)`;
const SEVERITIES_BY_RANK = Object.keys(SEVERITY_RANK).sort((x, y) => rank(x) - rank(y));

/**
 * SQL (a boolean) for "incident i is acknowledged": the one definition the escalation pass and
 * the dispatcher share. `i` is an incidents row alias.
 */
export const INCIDENT_ACKED_SQL = `(i.acked_at IS NOT NULL OR (
  EXISTS (SELECT 1 FROM alerts x WHERE x.incident_id = i.id AND x.state = 'active')
  AND NOT EXISTS (SELECT 1 FROM alerts x WHERE x.incident_id = i.id AND x.state = 'active' AND x.acked_at IS NULL)))`;

/**
 * The CTEs that choose an alert's incident (ATTACH_CTES, raiseCtes): `src` is the alert (a
 * CTE with its columns, `incident_id` and `key`); the rest as ATTACH_CTES says. `cur`: the open
 * incident of its key (locked), when it has none yet; `live`: that one if it still has an active
 * alert; `opened`: a new one when none is open; `worse`: the live one taken up to a more severe
 * alert, its acknowledgement withdrawn; `chosen`: the incident it joins, and whether it joins
 * acknowledged.
 */
const incidentChoice = (src: string) => `
  cur AS (
    SELECT i.id, i.severity, i.acked_at, i.acked_by FROM incidents i
    WHERE i.key = (SELECT key FROM ${src} WHERE incident_id IS NULL) AND i.state = 'open' FOR UPDATE),
  live AS (
    SELECT cur.* FROM cur WHERE EXISTS (SELECT 1 FROM alerts x WHERE x.incident_id = cur.id AND x.state = 'active')),
  opened AS (
    INSERT INTO incidents (key, zone, severity, state, opened_at, closed_at)
    SELECT a.key, a.zone, a.severity, CASE WHEN a.state = 'active' THEN 'open' ELSE 'closed' END, a.raised_at,
           CASE WHEN a.state = 'active' THEN NULL ELSE $2::timestamptz END
    FROM ${src} a WHERE a.incident_id IS NULL AND NOT EXISTS (SELECT 1 FROM cur)
    ON CONFLICT (key) WHERE state = 'open' DO NOTHING RETURNING id),
  worse AS (
    UPDATE incidents i SET severity = a.severity, acked_at = NULL, acked_by = NULL,
      ack_note = CASE WHEN i.acked_at IS NULL THEN i.ack_note ELSE concat('acknowledgement by ', i.acked_by, ' withdrawn: ', a.id, ' raised ', a.severity) END
    FROM live, ${src} a WHERE i.id = live.id AND ${rankSql('a.severity')} > ${rankSql('live.severity')}
    RETURNING i.id),
  chosen AS (
    SELECT live.id, (live.acked_at IS NOT NULL AND a.state = 'active' AND ${rankSql('a.severity')} <= ${rankSql('live.severity')}) AS with_ack, live.acked_by
    FROM live, ${src} a
    UNION ALL SELECT id, false, NULL FROM opened)`;

/**
 * The common cases of attaching an alert to its incident, as CTEs of one statement (deliveries.ts
 * attachAndQueue puts them in front of the insert of the alert's deliveries): the alert already
 * has its incident; it joins the open incident of its key that still has an active alert (taking
 * its severity up and withdrawing the acknowledgement when it is worse, or else acknowledged with
 * it); no incident is open for its key and it opens one. `att` stays empty for the rest, which the
 * stepwise path below decides: an open incident with no active alert left (to close first), or an
 * incident another transaction opened for the key after this statement's snapshot (the INSERT met
 * it). One statement sees one snapshot: each CTE reads the rows as they were before it, and only
 * `att` writes the alert row (a row may be changed once per statement).
 * Parameters: $1 the alert id, $2 now, $3 the refused gateway (a gateway_refused alert's, else
 * ''), $4 the stand-alone rules, $5 the severities in rank order (attachParams).
 * `a` is the alert as stored (with the columns a notification payload needs) and its key.
 */
export const ATTACH_CTES = `
  a AS (
    SELECT id, gateway, zone, sensor, rule, severity, state, since, raised_at, cleared_at, value, threshold, message, incident_id,
           ${INCIDENT_KEY_SQL} AS key FROM alerts WHERE id = $1),
  ${incidentChoice('a')},
  att AS (
    UPDATE alerts x SET incident_id = c.id,
      acked_at = CASE WHEN c.with_ack AND x.acked_at IS NULL THEN $2::timestamptz ELSE x.acked_at END,
      acked_by = CASE WHEN c.with_ack AND x.acked_at IS NULL THEN c.acked_by ELSE x.acked_by END,
      ack_note = CASE WHEN c.with_ack AND x.acked_at IS NULL THEN 'acknowledged with incident ' || c.id ELSE x.ack_note END
    FROM chosen c WHERE x.id = $1
    RETURNING x.incident_id),
  -- the incident as this statement leaves it (the CTEs above read the rows as they were before
  -- it): the one the alert had, the live one it joined (its severity raised by worse), or the
  -- one it opened
  inc AS (
    SELECT i.id, i.severity, i.state FROM incidents i WHERE i.id = (SELECT incident_id FROM a)
    UNION ALL SELECT live.id, CASE WHEN EXISTS (SELECT 1 FROM worse) THEN (SELECT severity FROM a) ELSE live.severity END, 'open' FROM live
    UNION ALL SELECT opened.id, (SELECT severity FROM a), (SELECT CASE WHEN state = 'active' THEN 'open' ELSE 'closed' END FROM a) FROM opened)`;

/**
 * A gateway's new raise, its incident chosen before its row exists (alerts.ts storeAlert: the
 * row, its incident and its deliveries in one statement, issue #12). `v` is the alert as sent,
 * with its key; it is empty when the id is stored already (a replay). The incident is chosen
 * from it by the same CTEs as ATTACH_CTES (`chosen`: empty in the cases attachStepwise decides),
 * and `inc` is that incident as the statement leaves it. Parameters: as ATTACH_CTES ($1..$5),
 * then the alert as sent from $k (raiseParams).
 */
export const raiseCtes = (k: number) => {
  const p = (i: number) => `$${k + i}`;
  return `
  v AS (
    SELECT s.*, ${INCIDENT_KEY_SQL} AS key FROM (
      SELECT $1::text AS id, ${p(0)}::text AS gateway, ${p(1)}::text AS zone, ${p(2)}::text AS sensor, ${p(3)}::text AS rule, ${p(4)}::text AS severity,
             'active'::text AS state, to_timestamp(${p(5)}::float8 / 1000.0) AS since, to_timestamp(${p(6)}::float8 / 1000.0) AS raised_at,
             ${p(7)}::float8 AS value, ${p(8)}::float8 AS threshold, ${p(9)}::text AS message, NULL::bigint AS incident_id) s
    WHERE NOT EXISTS (SELECT 1 FROM alerts WHERE id = $1)),
  ${incidentChoice('v')},
  inc AS (
    SELECT live.id, CASE WHEN EXISTS (SELECT 1 FROM worse) THEN (SELECT severity FROM v) ELSE live.severity END AS severity, 'open' AS state FROM live
    UNION ALL SELECT opened.id, (SELECT severity FROM v), 'open' FROM opened)`;
};

/** the parameters of raiseCtes from its $k: the alert as a gateway sent it */
export const raiseParams = (a: { zone: string; sensor?: string | null; rule: string; severity: string; since: number; ts: number; value?: number | null; threshold?: number | null; message: string }, gateway: string): unknown[] =>
  [gateway, a.zone, a.sensor ?? null, a.rule, a.severity, a.since, a.ts, a.value ?? null, a.threshold ?? null, a.message];

/** the parameters $1..$5 of ATTACH_CTES */
export const attachParams = (alertId: string, now: Date, refusedGateway?: string | null): unknown[] =>
  [alertId, now, refusedGateway ?? '', [...STAND_ALONE_RULES], SEVERITIES_BY_RANK];

/** what ATTACH_CTES decided: `had` the incident the alert had, `attached` the one it has now (both null: attachStepwise decides) */
export interface AttachRow { had: string | null; attached: string | null; key: string; zone: string; severity: string; state: string; raised_at: Date }
export const ATTACH_COLUMNS = 'a.incident_id AS had, (SELECT incident_id FROM att) AS attached, a.key, a.zone, a.severity, a.state, a.raised_at';

/** the rare cases ATTACH_CTES leave, one statement at a time (each sees what the one before did) */
export async function attachStepwise(q: Queryable, alertId: string, a: AttachRow, now: Date): Promise<number | null> {
  const key = a.key;
  // an open incident whose alerts have all cleared is over (its last clear came by a path that
  // does not close incidents, e.g. a device back online): close it so this alert opens a new one
  await q.query(closeFinishedSql('i.key = $1', '$2'), [key, now]);
  let [inc] = await q.query<{ id: string; severity: string; acked_at: Date | null; acked_by: string | null }>(
    `SELECT id, severity, acked_at, acked_by FROM incidents WHERE key = $1 AND state = 'open' FOR UPDATE`, [key]);
  if (!inc) {
    // an alert stored already cleared (raised and cleared in one batch) opens a closed incident
    const open = a.state === 'active';
    [inc] = await q.query(
      `INSERT INTO incidents (key, zone, severity, state, opened_at, closed_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (key) WHERE state = 'open' DO NOTHING RETURNING id, severity, acked_at, acked_by`,
      [key, a.zone, a.severity, open ? 'open' : 'closed', new Date(a.raised_at), open ? null : now]);
    // another transaction opened it in the meantime: join that one
    inc ??= (await q.query<{ id: string; severity: string; acked_at: Date | null; acked_by: string | null }>(
      `SELECT id, severity, acked_at, acked_by FROM incidents WHERE key = $1 AND state = 'open' FOR UPDATE`, [key]))[0];
  } else if (rank(a.severity) > rank(inc.severity)) {
    // worse than it was: the incident takes the new severity, and an acknowledgement given for
    // the milder event no longer holds
    await q.query(
      `UPDATE incidents SET severity = $2, acked_at = NULL, acked_by = NULL,
         ack_note = CASE WHEN acked_at IS NULL THEN ack_note ELSE concat('acknowledgement by ', acked_by, ' withdrawn: ', $3::text, ' raised ', $2::text) END
       WHERE id = $1`, [inc.id, a.severity, alertId]);
  } else if (inc.acked_at && a.state === 'active') {
    await q.query(
      `UPDATE alerts SET acked_at = $2, acked_by = $3, ack_note = $4 WHERE id = $1 AND acked_at IS NULL`,
      [alertId, now, inc.acked_by, `acknowledged with incident ${inc.id}`]);
  }
  if (!inc) return null;
  await q.query('UPDATE alerts SET incident_id = $2 WHERE id = $1', [alertId, inc.id]);
  return Number(inc.id);
}

/**
 * SQL (an UPDATE) closing, at `now`, the open incidents `which` picks (a condition on `i`) that
 * have no active alert left. `except`: an alert the statement's snapshot still shows active that
 * the same statement clears (alerts.ts storeAlert); `from`: what `which` and `except` read.
 */
export const closeFinishedSql = (which: string, now: string, o: { from?: string; except?: string } = {}) =>
  `UPDATE incidents i SET state = 'closed', closed_at = ${now}${o.from ? ` FROM ${o.from}` : ''} WHERE i.state = 'open' AND ${which}
     AND NOT EXISTS (SELECT 1 FROM alerts x WHERE x.incident_id = i.id AND x.state = 'active'${o.except ? ` AND x.id <> ${o.except}` : ''})`;

/** closes the incidents (of these alerts, or all) that have no active alert left */
export async function closeFinishedIncidents(q: Queryable, now: Date, alertIds?: readonly string[]): Promise<number> {
  const rows = await q.query(
    `${closeFinishedSql(alertIds ? 'i.id IN (SELECT incident_id FROM alerts WHERE id = ANY($2::text[]))' : 'true', '$1')} RETURNING i.id`,
    alertIds ? [now, alertIds] : [now]);
  return rows.length;
}

export interface IncidentAck { by: string; note?: string | null }

/**
 * Acknowledges an incident and every alert in it not acknowledged yet, in one transaction the
 * caller owns. Returns the alert ids acknowledged now (empty when it was acknowledged before),
 * or null when there is no such incident.
 */
export async function ackIncident(q: Queryable, id: number, ack: IncidentAck, now: Date): Promise<string[] | null> {
  const [inc] = await q.query<{ id: string }>('SELECT id FROM incidents WHERE id = $1 FOR UPDATE', [id]);
  if (!inc) return null;
  await q.query('UPDATE incidents SET acked_at = $2, acked_by = $3, ack_note = $4 WHERE id = $1 AND acked_at IS NULL',
    [id, now, ack.by, ack.note ?? null]);
  const rows = await q.query<{ id: string }>(
    'UPDATE alerts SET acked_at = $2, acked_by = $3, ack_note = $4 WHERE incident_id = $1 AND acked_at IS NULL RETURNING id',
    [id, now, ack.by, ack.note ?? `acknowledged with incident ${id}`]);
  return rows.map((r) => r.id);
}
