import type { Db, Queryable } from '../db/engine.ts';
import type { Contact, Route } from './contacts.ts';
import { listContacts, listRoutes } from './contacts.ts';
import { channelPayload } from './formats.ts';
import { threadSubject, type AlertFacts, type IncidentFacts, type NotifyMessage, type Stage } from './message.ts';
import { queueContactDelivery } from './deliveries.ts';
import { closeFinishedIncidents, INCIDENT_ACKED_SQL } from './incidents.ts';

// Routing, escalation and reminders, as one idempotent pass over the alerts with an injected
// clock. Everything it decides is a pure function of (alerts, routes, contacts, escalation rows,
// now), and every message it creates is keyed (alert, transition, channel, target) in the
// outbox, so running it twice — or on two cloud instances at once — sends nothing twice.
//
// Timeline of one routed alert (N = escalateAfterMin, M = repeatEveryMin, started = first routing):
//   started            → chain[0] gets the alert              (stage raised, level 0)
//   started + L·N      → chain[L] gets it, L = 1 … len−1      (stage escalated)
//   started + k·M      → reminder k to whoever is responsible then (the latest level), except when
//                         an escalation goes out at that same minute; a late pass sends only the
//                         newest reminder, never a burst of stale ones
//   acknowledged       → closed; pending escalations/reminders cancelled
//   cleared (not acked)→ closed; everyone notified gets one "cleared" message
//
// Per incident (incidents.ts): the chain belongs to the incident, not to each alert. The first
// routed alert of an incident on a route starts it (the lead row); "acknowledged" and "cleared"
// above are the incident's (acknowledged once, or every active alert acknowledged; cleared = no
// active alert left). A later alert of the same incident matching the same route starts no chain:
// it is recorded as merged, and whoever that chain has told so far gets one `update` message in
// the incident's thread — not a page to the next level. An alert stored without an incident
// (before migration 0017) is its own chain, as before.
//
// This pass has one scheduler: the notification dispatcher's loop (dispatcher.ts), every few
// seconds on every instance; it is idempotent per clock value, so instances never send twice.

export interface EscalationOptions {
  /** dashboard base URL for "Acknowledge: …" lines */
  publicUrl?: string;
}

export interface EscalationResult {
  [k: string]: number;
  routed: number;
  messages: number;
  escalations: number;
  reminders: number;
  cleared_notices: number;
  closed: number;
  cancelled: number;
  /** alerts that joined a running incident chain (told as an update, no new chain) */
  updates: number;
}

interface AlertRow {
  id: string; gateway: string; zone: string; sensor: string | null; rule: string; severity: string; state: string;
  since: Date; raised_at: Date; cleared_at: Date | null; value: number | null; threshold: number | null; message: string;
  acked_at: Date | null; incident_id: string | null;
}

interface OpenEscalation {
  alert_id: string; route_id: number; started_at: Date; chain: number[]; level: number; reminders: number; incident_id: string | null;
}

/** the incident's part of every message of its chain (the thread) */
async function incidentFacts(q: Queryable, incidentId: string | null, lead: AlertRow): Promise<IncidentFacts | undefined> {
  if (incidentId === null) return undefined;
  const [i] = await q.query<{ severity: string; alerts: number; lead_severity: string | null }>(
    `SELECT i.severity, (SELECT count(*)::int FROM alerts x WHERE x.incident_id = i.id) AS alerts,
            (SELECT x.severity FROM alerts x WHERE x.incident_id = i.id ORDER BY x.raised_at, x.id LIMIT 1) AS lead_severity
     FROM incidents i WHERE i.id = $1`, [incidentId]);
  if (!i) return undefined;
  const id = Number(incidentId);
  // the subject is the thread's first message's: the severity the incident started with
  const severity = i.lead_severity ?? lead.severity;
  return { id, alerts: Number(i.alerts), severity: i.severity, subject: threadSubject(lead, severity, id), lead: { rule: lead.rule, zone: lead.zone, severity } };
}

const MIN = 60_000;

/** a route without a severity takes every alert but info records (defrost periods); naming severity info takes those too */
export const routeMatches = (r: Route, a: Pick<AlertRow, 'rule' | 'zone' | 'severity'>) =>
  r.enabled && (r.kind == null || r.kind === a.rule) && (r.zone == null || r.zone === a.zone)
  && (r.severity == null ? a.severity !== 'info' : r.severity === a.severity);

/** the escalation chain: the route's contacts in the order given, then every active contact with its role (by id) */
export function chainOf(r: Route, contacts: readonly Contact[]): number[] {
  const active = new Map(contacts.filter((c) => c.active).map((c) => [c.id, c]));
  const chain = r.contactIds.filter((id) => active.has(id));
  if (r.role) for (const c of active.values()) if (c.role === r.role && !chain.includes(c.id)) chain.push(c.id);
  return chain;
}

const facts = (a: AlertRow): AlertFacts => ({
  id: a.id, gateway: a.gateway, zone: a.zone, sensor: a.sensor, rule: a.rule, severity: a.severity, state: a.state,
  since: new Date(a.since), raisedAt: new Date(a.raised_at), clearedAt: a.cleared_at ? new Date(a.cleared_at) : null,
  value: a.value === null ? null : Number(a.value), threshold: a.threshold === null ? null : Number(a.threshold), message: a.message,
});

export async function escalationPass(db: Db, now: Date, o: EscalationOptions = {}): Promise<EscalationResult> {
  const res: EscalationResult = { routed: 0, messages: 0, escalations: 0, reminders: 0, cleared_notices: 0, closed: 0, cancelled: 0, updates: 0 };
  // incidents whose last alert cleared by a path that does not close them (a device back online)
  await closeFinishedIncidents(db, now);
  const [routes, contacts] = await Promise.all([listRoutes(db), listContacts(db)]);
  const contactById = new Map(contacts.map((c) => [c.id, c]));
  const routeById = new Map(routes.map((r) => [r.id, r]));

  const send = async (q: Queryable, a: AlertRow, route: Route, contactId: number, level: number, stage: Stage, key: string,
    extra: Pick<NotifyMessage, 'reminder' | 'minutesUnacked' | 'incident'> = {}): Promise<number> => {
    const c = contactById.get(contactId);
    if (!c?.active) return 0;   // deleted or deactivated since the chain was frozen (on leave): skipped
    const msg: NotifyMessage = {
      stage, level, ...extra, alert: facts(a), contact: { name: c.name, role: c.role, mobile: c.mobile }, locale: c.locale,
      ...(o.publicUrl ? { ackUrl: `${o.publicUrl.replace(/\/$/, '')}/?alert=${encodeURIComponent(a.id)}` } : {}),
    };
    let n = 0;
    for (const ch of c.channels) {
      if (route.channels && !route.channels.includes(ch.type)) continue;
      n += await queueContactDelivery(q, { alertId: a.id, key, channel: ch.type, contactId: c.id, routeId: route.id, level, stage,
        payload: channelPayload(ch.type, msg, ch), now });
    }
    res.messages += n;
    return n;
  };
  /** who a chain has told so far (each at the lowest level they were told at), over all the incident's alerts */
  const toldOn = (q: Queryable, alertId: string, incidentId: string | null, routeId: number) =>
    q.query<{ contact_id: number; level: number }>(
      `SELECT contact_id, min(level) AS level FROM notification_deliveries
       WHERE route_id = $2 AND (alert_id = $1 OR alert_id IN (SELECT id FROM alerts WHERE incident_id = $3))
         AND contact_id IS NOT NULL AND status <> 'cancelled' AND stage <> 'cleared'
       GROUP BY contact_id ORDER BY min(level), contact_id`, [alertId, routeId, incidentId]);

  // 1. Route active, unacknowledged alerts that a (new) route matches and that have no escalation for it yet.
  const active = routes.some((r) => r.enabled) ? await db.query<AlertRow>(
    `SELECT * FROM alerts WHERE state = 'active' AND acked_at IS NULL ORDER BY raised_at DESC LIMIT 1000`) : [];
  if (active.length) {
    const have = new Set((await db.query<{ alert_id: string; route_id: number }>(
      'SELECT alert_id, route_id FROM notify_escalations WHERE alert_id = ANY($1::text[])', [active.map((a) => a.id)]))
      .map((e) => `${e.alert_id}\u0000${e.route_id}`));
    for (const a of active) {
      for (const r of routes) {
        if (!routeMatches(r, a) || have.has(`${a.id}\u0000${r.id}`)) continue;
        await db.tx(async (q) => {
          if (a.incident_id !== null) {
            // the incident already has a running chain on this route: this alert is news in its thread
            const [lead] = await q.query<{ alert_id: string; chain: number[]; level: number }>(
              `SELECT alert_id, chain, level FROM notify_escalations WHERE incident_id = $1 AND route_id = $2 AND closed_at IS NULL`, [a.incident_id, r.id]);
            if (lead) {
              const merged = await q.query(
                `INSERT INTO notify_escalations (alert_id, route_id, started_at, chain, level, incident_id, closed_at, closed_reason)
                 VALUES ($1, $2, $3, $4::int[], $5, $6, $3, 'merged') ON CONFLICT DO NOTHING RETURNING alert_id`,
                [a.id, r.id, now, lead.chain, lead.level, a.incident_id]);
              if (!merged.length) return;   // another instance did it
              res.updates++;
              const [leadAlert] = await q.query<AlertRow>('SELECT * FROM alerts WHERE id = $1', [lead.alert_id]);
              const incident = await incidentFacts(q, a.incident_id, leadAlert ?? a);
              for (const t of await toldOn(q, lead.alert_id, a.incident_id, r.id)) {
                await send(q, a, r, Number(t.contact_id), Number(t.level), 'update', 'update', { incident });
              }
              return;
            }
          }
          const chain = chainOf(r, contacts);
          if (!chain.length) return;   // nobody to tell yet: routed once a contact exists
          // ON CONFLICT: another instance routed this alert, or started this incident's chain, meanwhile
          const ins = await q.query(
            `INSERT INTO notify_escalations (alert_id, route_id, started_at, chain, incident_id) VALUES ($1, $2, $3, $4::int[], $5)
             ON CONFLICT DO NOTHING RETURNING alert_id`, [a.id, r.id, now, chain, a.incident_id]);
          if (!ins.length) return;
          res.routed++;
          await send(q, a, r, chain[0]!, 0, 'raised', 'raised', { incident: await incidentFacts(q, a.incident_id, a) });
        });
      }
    }
  }

  // 2. Move every open escalation along: close, escalate, remind.
  // acknowledged / cleared: the incident's when the chain has one (INCIDENT_ACKED_SQL), else the alert's
  const open = await db.query<OpenEscalation & { a: AlertRow; acked: boolean; cleared: boolean }>(
    `SELECT e.alert_id, e.route_id, e.started_at, e.chain, e.level, e.reminders, e.incident_id, to_jsonb(a.*) AS a,
       CASE WHEN e.incident_id IS NULL THEN a.acked_at IS NOT NULL ELSE ${INCIDENT_ACKED_SQL} END AS acked,
       CASE WHEN e.incident_id IS NULL THEN a.state = 'cleared'
            ELSE NOT EXISTS (SELECT 1 FROM alerts x WHERE x.incident_id = e.incident_id AND x.state = 'active') END AS cleared
     FROM notify_escalations e JOIN alerts a ON a.id = e.alert_id LEFT JOIN incidents i ON i.id = e.incident_id
     WHERE e.closed_at IS NULL ORDER BY e.started_at, e.alert_id, e.route_id`);
  for (const e of open) {
    const a = { ...e.a, since: new Date(e.a.since), raised_at: new Date(e.a.raised_at), cleared_at: e.a.cleared_at ? new Date(e.a.cleared_at) : null } as AlertRow;
    const incidentId = e.incident_id === null ? null : String(e.incident_id);
    const route = routeById.get(e.route_id);
    const chain = e.chain.map(Number);
    const elapsed = now.getTime() - new Date(e.started_at).getTime();
    const N = route?.escalateAfterMin ? route.escalateAfterMin * MIN : undefined;
    const M = route?.repeatEveryMin ? route.repeatEveryMin * MIN : undefined;
    const levelAt = (t: number) => (N ? Math.min(Math.floor(t / N), chain.length - 1) : 0);
    const due = levelAt(elapsed);
    const k = M ? Math.floor(elapsed / M) : 0;
    // most passes find nothing to do for most escalations: no transaction for those
    const settled = !e.acked && !e.cleared && route?.enabled && due <= e.level && k <= e.reminders;
    if (settled) continue;
    await db.tx(async (q) => {
      const close = async (reason: 'acked' | 'cleared' | 'route_removed') => {
        const upd = await q.query(
          `UPDATE notify_escalations SET closed_at = $3, closed_reason = $4 WHERE alert_id = $1 AND route_id = $2 AND closed_at IS NULL RETURNING alert_id`,
          [e.alert_id, e.route_id, now, reason]);
        if (!upd.length) return false;
        res.closed++;
        if (reason !== 'route_removed') {
          const stages = reason === 'acked' ? ['raised', 'escalated', 'reminder', 'update'] : ['escalated', 'reminder'];
          const c = await q.query(
            `UPDATE notification_deliveries SET status = 'cancelled', last_error = $3
             WHERE (alert_id = $1 OR alert_id IN (SELECT id FROM alerts WHERE incident_id = $5)) AND route_id = $2
               AND status = 'pending' AND stage = ANY($4::text[]) RETURNING id`,
            [e.alert_id, e.route_id, reason === 'acked' ? 'alert acknowledged before sending' : 'alert cleared before sending', stages, incidentId]);
          res.cancelled += c.length;
        }
        return true;
      };
      if (e.acked) return void await close('acked');
      if (e.cleared) {
        if (!(await close('cleared')) || !route) return;
        const told = await toldOn(q, e.alert_id, incidentId, e.route_id);
        // the all-clear of an incident names its last alert to clear (when it cleared)
        const [last] = incidentId === null ? [a] : await q.query<AlertRow>(
          'SELECT * FROM alerts WHERE incident_id = $1 ORDER BY cleared_at DESC NULLS LAST, id DESC LIMIT 1', [incidentId]);
        const incident = await incidentFacts(q, incidentId, a);
        for (const t of told) {
          res.cleared_notices += (await send(q, { ...a, state: 'cleared', cleared_at: last?.cleared_at ?? a.cleared_at }, route,
            Number(t.contact_id), Number(t.level), 'cleared', 'cleared', { incident })) > 0 ? 1 : 0;
        }
        return;
      }
      if (!route || !route.enabled) return void await close('route_removed');
      const incident = await incidentFacts(q, incidentId, a);

      let level = e.level;
      for (let L = e.level + 1; L <= due; L++) {
        await send(q, a, route, chain[L]!, L, 'escalated', `escalated:${L}`, { minutesUnacked: (L * N!) / MIN, incident });
        res.escalations++;
        level = L;
      }
      let reminders = e.reminders;
      if (M && k > e.reminders) {
        const at = k * M;
        // an escalation goes out at this very minute: that message is the reminder
        const escalatesNow = N !== undefined && at % N === 0 && at / N <= chain.length - 1;
        if (!escalatesNow) {
          const L = levelAt(at);
          await send(q, a, route, chain[L]!, L, 'reminder', `reminder:r${route.id}:${k}`, { reminder: k, minutesUnacked: at / MIN, incident });
          res.reminders++;
        }
        reminders = k;
      }
      if (level !== e.level || reminders !== e.reminders) {
        // GREATEST: an instance with a slightly older clock never moves an escalation backwards
        await q.query('UPDATE notify_escalations SET level = GREATEST(level, $3), reminders = GREATEST(reminders, $4) WHERE alert_id = $1 AND route_id = $2 AND closed_at IS NULL',
          [e.alert_id, e.route_id, level, reminders]);
      }
    });
  }
  return res;
}

/** an alert's escalations, for the API and the dashboard */
export async function escalationsOf(q: Queryable, alertIds: string[]) {
  if (!alertIds.length) return [];
  return q.query<{ alert_id: string; route_id: number; started_at: Date; level: number; reminders: number; closed_at: Date | null; closed_reason: string | null }>(
    'SELECT alert_id, route_id, started_at, level, reminders, closed_at, closed_reason FROM notify_escalations WHERE alert_id = ANY($1::text[]) ORDER BY started_at',
    [alertIds]);
}
