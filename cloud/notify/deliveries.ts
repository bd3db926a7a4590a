import type { Queryable } from '../db/engine.ts';
import { topics } from '../../protocols/uplink/contract.ts';
import { ATTACH_COLUMNS, ATTACH_CTES, attachParams, attachStepwise, closeFinishedIncidents, type AttachRow } from './incidents.ts';

// The one place notification deliveries are written (tests/architecture/writers.test.ts holds
// it). Three kinds, all rows of the notification_deliveries outbox (sent by dispatcher.ts), all
// keyed (alert or digest, transition, channel, target) so writing twice sends nothing twice:
//   - config targets (STOCKPULSE_WEBHOOKS, MQTT alert topics): every transition of every alert,
//     queued in the transaction that stored the alert (ingest, the cloud's own rules);
//   - routed contacts: what the escalation pass (escalation.ts) decides, person by person;
//   - digests (the expiry sweep's daily digest per role): not an alert, keyed by the digest's
//     own id with transition 'digest', to every config target.
// The alert ones are built from the alert AS STORED (with its incident), not from what a gateway sent, so
// a receiver sees the same facts the API shows.
//
// Thread: every payload carries the alert's incident: {id, thread: "incident:<id>", update}. The
// first alert of an incident starts the thread (update false); a later probe's alert of the same
// incident, and a clear while the incident goes on, are updates in that thread (update true): a
// receiving system groups by `thread`, a person reads "update" (escalation.ts sends those to
// whoever was told, never as a new page up the chain).

export interface IncidentRef { id: number; thread: string; update: boolean; severity: string; state: string; alerts: number }

/** how long a delivery taken for sending is held before any pass may take it again (dispatcher.ts) */
export const DELIVERY_LEASE_SEC = 30;

/** a delivery row as the dispatcher sends it (its claim query, or queueTargetDeliveries leasing it) */
export interface DueDelivery {
  id: number;
  alert_id: string;
  channel: 'webhook' | 'mqtt' | 'wecom' | 'dingtalk' | 'slack' | 'email';
  target: string;
  payload: { topic?: string } & Record<string, unknown>;
  attempts: number;
  /** set for person-bound deliveries (routes/escalation): the address is looked up at send time */
  contact_id: number | null;
  stage: string | null;
}

export const DUE_DELIVERY_COLUMNS = 'id, alert_id, channel, target, payload, attempts, contact_id, stage';

const iso = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The generic JSON body of a config target, built from the alert AS STORED in the statement that
 * inserts the rows (one round trip for the read and every target: the alarm path, issue #12).
 * Stable field names a receiving system can map without our code:
 *   {type: 'stockpulse.alert', transition, alert: {id, rule, severity, zone, sensor, gateway,
 *    message, value, threshold, since, at, ...extra}, incident: {id, thread, update, severity,
 *    state, alerts}, thread, topic (mqtt only)}
 * `at` is when the transition happened (cleared_at for a clear); times as JS toISOString() gives
 * them (UTC, milliseconds, truncated as a JS Date is). incident.update: a clear while other
 * alerts of the incident are active, or a raise after an earlier alert of it.
 */
const deliveryInsert = (p: (n: number) => string) => `
  body AS (
    SELECT a.id, a.zone, jsonb_build_object(
      'type', 'stockpulse.alert', 'transition', ${p(2)}::text,
      'alert', jsonb_build_object('id', a.id, 'rule', a.rule, 'severity', a.severity, 'zone', a.zone, 'sensor', a.sensor,
        'gateway', a.gateway, 'message', a.message, 'value', a.value, 'threshold', a.threshold, 'since', ${iso('a.since')},
        'at', ${iso(`CASE WHEN ${p(2)} = 'cleared' THEN coalesce(a.cleared_at, a.raised_at) ELSE a.raised_at END`)}) || ${p(4)}::jsonb)
      || CASE WHEN a.incident_id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object(
        'incident', jsonb_build_object('id', a.incident_id, 'thread', 'incident:' || a.incident_id,
          'update', CASE WHEN ${p(2)} = 'cleared' THEN a.others_active > 0 ELSE a.earlier > 0 END,
          'severity', coalesce(a.incident_severity, a.severity), 'state', coalesce(a.incident_state, 'open'), 'alerts', a.incident_alerts),
        'thread', 'incident:' || a.incident_id) END AS payload
    FROM da a),
  ins AS (
    INSERT INTO notification_deliveries (alert_id, transition, channel, target, payload, next_attempt_at)
    SELECT b.id, ${p(2)}, t.channel, t.target,
           b.payload || CASE WHEN t.channel = 'mqtt' THEN jsonb_build_object('topic', ${p(5)}::text || b.zone) ELSE '{}'::jsonb END,
           now() + ${p(6)}::int * interval '1 second'
    FROM body b, unnest(${p(7)}::text[], ${p(8)}::text[]) WITH ORDINALITY AS t(channel, target, n)
    ORDER BY t.n
    ON CONFLICT DO NOTHING
    RETURNING ${DUE_DELIVERY_COLUMNS})`;

/**
 * The alert and its incident as a payload shows them (`da`, for deliveryInsert): the counts
 * say whether this transition is an update in the incident's thread. `a` is the alert, `inc`
 * its incident (id, severity, state); p numbers the parameters as deliveryInsert does.
 */
const deliveryAlert = (incident: string, p: (n: number) => string) => `
  da AS (
    SELECT a.id, a.gateway, a.zone, a.sensor, a.rule, a.severity, a.since, a.raised_at, a.cleared_at, a.value, a.threshold, a.message,
           inc.id AS incident_id, inc.severity AS incident_severity, inc.state AS incident_state,
           (SELECT count(*)::int FROM alerts x WHERE x.incident_id = inc.id AND x.id <> a.id
              AND (x.raised_at, x.id) < (a.raised_at, a.id)) AS earlier,
           (SELECT count(*)::int FROM alerts x WHERE x.incident_id = inc.id AND x.id <> a.id AND x.state = 'active') AS others_active,
           -- this alert and the others: it may not be in the incident yet in this statement's snapshot
           (SELECT count(*)::int FROM alerts x WHERE x.incident_id = inc.id AND x.id <> a.id) + 1 AS incident_alerts
    FROM a ${incident}
    WHERE (${p(3)}::text IS NULL OR a.gateway = ${p(3)}))`;

/** parameters of deliveryInsert, from its $2 on (its $1 is the alert id) */
export const deliveryParams = (transition: string, targets: readonly { channel: string; target: string }[], o: { gateway?: string; extra?: Record<string, unknown>; leaseTo?: unknown }) =>
  [transition, o.gateway ?? null, JSON.stringify(o.extra ?? {}), topics.alert(''), o.leaseTo ? DELIVERY_LEASE_SEC : 0,
    targets.map((t) => t.channel), targets.map((t) => t.target)];

/**
 * The deliveries of an alert to every config target as CTEs ending in `ins` (RETURNING the rows
 * created), for a statement that has the alert as `a` and its incident as `inc` (alerts.ts, the
 * raise in one statement); their parameters, deliveryParams, from $k.
 */
export const queueCtes = (k: number) => `
  ${deliveryAlert(', inc', (n) => `$${n + k - 2}`)},
  ${deliveryInsert((n) => `$${n + k - 2}`)}`;

const TARGET_DELIVERY_SQL = `
  WITH a AS (SELECT * FROM alerts WHERE id = $1),
  ${deliveryAlert('LEFT JOIN incidents inc ON inc.id = a.incident_id', (n) => `$${n}`)},
  ${deliveryInsert((n) => `$${n}`)}
  SELECT * FROM ins`;

/**
 * The alarm path in one statement (issue #12): the alert as stored gets its incident
 * (incidents.ts ATTACH_CTES: $1..$5) and its deliveries to every config target ($6..$12: the
 * transition, gateway, extra, MQTT topic prefix, lease, channels, targets). One row per delivery
 * created (or one with no delivery columns), each carrying what the attach decided.
 */
const ATTACH_AND_QUEUE_SQL = `
  WITH ${ATTACH_CTES},
  ${queueCtes(6)}
  SELECT ${ATTACH_COLUMNS}, ins.* FROM a LEFT JOIN ins ON true`;

/**
 * Queues one alert transition for every config target, in one statement. Only for an alert as
 * stored by this gateway (a `cleared` naming another gateway's alert changed nothing, so tells
 * nobody). Returns the rows created.
 *
 * leaseTo: the rows are inserted already leased (as the dispatcher's claim would lease them) and
 * pushed there, for the caller to hand to this instance's dispatcher after its COMMIT
 * (dispatcher.ts send): no other pass takes them before the lease runs out.
 */
export async function queueTargetDeliveries(q: Queryable, alertId: string, transition: 'raised' | 'cleared', targets: readonly { channel: string; target: string }[],
  o: { gateway?: string; extra?: Record<string, unknown>; leaseTo?: DueDelivery[] } = {}): Promise<number> {
  if (!targets.length) return 0;
  const rows = await q.query<DueDelivery>(TARGET_DELIVERY_SQL, [alertId, ...deliveryParams(transition, targets, o)]);
  o.leaseTo?.push(...rows);
  return rows.length;
}

/**
 * Gives a stored alert its incident (once: a replayed or cleared transition keeps the one it has)
 * and queues the transition for every config target (as queueTargetDeliveries), in one statement
 * in the common cases; the rare ones (incidents.ts attachStepwise) take a few more. Called in the
 * transaction that stored the alert. Returns the deliveries created.
 */
export async function attachAndQueue(q: Queryable, alertId: string, transition: 'raised' | 'cleared', targets: readonly { channel: string; target: string }[],
  o: { now: Date; refusedGateway?: string | null; gateway?: string; extra?: Record<string, unknown>; leaseTo?: DueDelivery[] }): Promise<number> {
  const rows = await q.query<AttachRow & Partial<DueDelivery>>(ATTACH_AND_QUEUE_SQL,
    [...attachParams(alertId, o.now, o.refusedGateway), ...deliveryParams(transition, targets, o)]);
  const [a] = rows;
  if (!a) return 0;
  if (a.had === null && a.attached === null) {
    // nothing was queued (the statement queues only for an alert with its incident)
    await attachStepwise(q, alertId, a, o.now);
    if (transition === 'cleared') await closeFinishedIncidents(q, o.now, [alertId]);
    return queueTargetDeliveries(q, alertId, transition, targets, o);
  }
  const created = rows.filter((r) => r.id != null).map(asDue);
  o.leaseTo?.push(...created);
  return created.length;
}

/** a delivery row as a statement returned it beside other columns */
export const asDue = (r: Partial<DueDelivery>): DueDelivery => ({
  id: r.id!, alert_id: r.alert_id!, channel: r.channel!, target: r.target!, payload: r.payload!, attempts: r.attempts!, contact_id: r.contact_id ?? null, stage: r.stage ?? null,
});

export interface ContactDelivery {
  alertId: string;
  /** the transition key: raised | escalated:L | reminder:rR:K | cleared | update */
  key: string;
  channel: string;
  contactId: number;
  /** the escalation route and level that chose the person; none for a digest or a report */
  routeId?: number;
  level?: number;
  stage: string;
  payload: Record<string, unknown>;
  now: Date;
}

/** Queues one person-bound message (escalation.ts decides who and when). Returns 1 if created, 0 if it was there. */
export async function queueContactDelivery(q: Queryable, d: ContactDelivery): Promise<number> {
  const rows = await q.query(
    `INSERT INTO notification_deliveries (alert_id, transition, channel, target, payload, contact_id, route_id, level, stage, created_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING id`,
    [d.alertId, d.key, d.channel, `contact:${d.contactId}`, JSON.stringify(d.payload), d.contactId, d.routeId ?? null, d.level ?? null, d.stage, d.now]);
  return rows.length;
}

/**
 * Queues one digest (a summary, not an alert transition) for every config target: its body as
 * given, with the MQTT topic for the mqtt target. Keyed (digest id, 'digest', channel, target):
 * written twice it is sent once. Returns the rows created.
 */
export async function queueDigestDeliveries(q: Queryable, digestId: string, targets: readonly { channel: string; target: string }[],
  body: object, mqttTopic: string): Promise<number> {
  let created = 0;
  for (const t of targets) {
    const rows = await q.query(
      `INSERT INTO notification_deliveries (alert_id, transition, channel, target, payload) VALUES ($1, 'digest', $2, $3, $4::jsonb)
       ON CONFLICT DO NOTHING RETURNING id`,
      [digestId, t.channel, t.target, JSON.stringify({ ...body, ...(t.channel === 'mqtt' ? { topic: mqttTopic } : {}) })]);
    created += rows.length;
  }
  return created;
}

/** Queues one digest for one person on one of their channels (digest-delivery.ts renders it in their language). Returns 1 if created, 0 if it was there. */
export function queueContactDigest(q: Queryable, d: { digestId: string; channel: string; contactId: number; payload: Record<string, unknown>; now: Date }): Promise<number> {
  return queueContactDelivery(q, { alertId: d.digestId, key: 'digest', channel: d.channel, contactId: d.contactId, stage: 'digest', payload: d.payload, now: d.now });
}

export interface ReportDelivery {
  /** what makes the e-mail unique: report-schedule:<schedule id>:<slot ISO> */
  key: string;
  contactId: number;
  /** e-mail payload (senders.ts): to, subject, text, html, attachments */
  payload: Record<string, unknown>;
  now: Date;
}

/**
 * Queues one scheduled report e-mail to a contact (cloud/reports/job.ts decides which and when).
 * The key stands in the alert id column — the outbox's uniqueness (key, 'report', channel,
 * contact) is what keeps a slot from being mailed twice — and stage 'report' tells it apart from
 * alerts (the dispatcher finds no alert to be acknowledged and sends it). Returns 1 if created, 0 if it was there.
 */
export function queueReportDelivery(q: Queryable, d: ReportDelivery): Promise<number> {
  return queueContactDelivery(q, { alertId: d.key, key: 'report', channel: 'email', contactId: d.contactId, stage: 'report', payload: d.payload, now: d.now });
}
