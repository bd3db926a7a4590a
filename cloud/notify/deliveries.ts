import type { Queryable } from '../db/engine.ts';
import { topics } from '../../protocols/uplink/contract.ts';

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

interface StoredAlertRow {
  id: string; gateway: string; zone: string; sensor: string | null; rule: string; severity: string; state: string;
  since: Date; raised_at: Date; cleared_at: Date | null; value: number | null; threshold: number | null; message: string;
  incident_id: string | null; incident_severity: string | null; incident_state: string | null;
  earlier: number; others_active: number; incident_alerts: number;
}

export interface IncidentRef { id: number; thread: string; update: boolean; severity: string; state: string; alerts: number }

/** the stored alert with what its incident needs for a thread (null when there is no such alert) */
async function storedAlert(q: Queryable, alertId: string): Promise<StoredAlertRow | undefined> {
  const [a] = await q.query<StoredAlertRow>(
    `SELECT a.id, a.gateway, a.zone, a.sensor, a.rule, a.severity, a.state, a.since, a.raised_at, a.cleared_at, a.value, a.threshold, a.message,
            a.incident_id, i.severity AS incident_severity, i.state AS incident_state,
            (SELECT count(*)::int FROM alerts x WHERE x.incident_id = a.incident_id AND x.id <> a.id
               AND (x.raised_at, x.id) < (a.raised_at, a.id)) AS earlier,
            (SELECT count(*)::int FROM alerts x WHERE x.incident_id = a.incident_id AND x.id <> a.id AND x.state = 'active') AS others_active,
            (SELECT count(*)::int FROM alerts x WHERE x.incident_id = a.incident_id) AS incident_alerts
     FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id WHERE a.id = $1`, [alertId]);
  return a;
}

function incidentRef(a: StoredAlertRow, transition: string): IncidentRef | null {
  if (a.incident_id === null) return null;
  const update = transition === 'cleared' ? Number(a.others_active) > 0 : Number(a.earlier) > 0;
  return { id: Number(a.incident_id), thread: `incident:${a.incident_id}`, update, severity: a.incident_severity ?? a.severity,
    state: a.incident_state ?? 'open', alerts: Number(a.incident_alerts) };
}

/** The generic JSON body of a config target: stable field names a receiving system can map without our code. */
function targetPayload(a: StoredAlertRow, transition: string, t: { channel: string }, extra?: Record<string, unknown>) {
  const at = transition === 'cleared' ? a.cleared_at ?? a.raised_at : a.raised_at;
  const incident = incidentRef(a, transition);
  return {
    type: 'stockpulse.alert',
    transition,
    alert: {
      id: a.id, rule: a.rule, severity: a.severity, zone: a.zone, sensor: a.sensor, gateway: a.gateway, message: a.message,
      value: a.value === null ? null : Number(a.value), threshold: a.threshold === null ? null : Number(a.threshold),
      since: new Date(a.since).toISOString(), at: new Date(at).toISOString(), ...extra,
    },
    ...(incident ? { incident, thread: incident.thread } : {}),
    ...(t.channel === 'mqtt' ? { topic: topics.alert(a.zone) } : {}),
  };
}

/**
 * Queues one alert transition for every config target. Only for an alert as stored by this
 * gateway (a `cleared` naming another gateway's alert changed nothing, so tells nobody).
 * Returns the rows created.
 */
export async function queueTargetDeliveries(q: Queryable, alertId: string, transition: 'raised' | 'cleared', targets: readonly { channel: string; target: string }[],
  o: { gateway?: string; extra?: Record<string, unknown> } = {}): Promise<number> {
  if (!targets.length) return 0;
  const a = await storedAlert(q, alertId);
  if (!a || (o.gateway !== undefined && a.gateway !== o.gateway)) return 0;
  let created = 0;
  for (const t of targets) {
    const rows = await q.query(
      `INSERT INTO notification_deliveries (alert_id, transition, channel, target, payload)
       VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT DO NOTHING RETURNING id`,
      [a.id, transition, t.channel, t.target, JSON.stringify(targetPayload(a, transition, t, o.extra))]);
    created += rows.length;
  }
  return created;
}

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
