import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { SpError } from '../../../protocols/errors.ts';
import type { Db, Queryable } from '../../db/engine.ts';
import { ackIncident } from '../../notify/incidents.ts';
import { AckBody, Alert, ErrorBody } from '../schemas.ts';

// Incidents (cloud/notify/incidents.ts): one zone event with its alerts inside, acknowledged once.

export const AlertOfIncident = Alert.extend({ incidentId: z.number().nullable() });

export const Incident = z.object({
  id: z.number(),
  key: z.string(),
  zone: z.string(),
  severity: z.string(),
  state: z.enum(['open', 'closed']),
  openedAt: z.number(),
  closedAt: z.number().nullable(),
  ackedAt: z.number().nullable(),
  ackedBy: z.string().nullable(),
  ackNote: z.string().nullable(),
  /** how many of its alerts are active, and how many of those nobody acknowledged */
  activeAlerts: z.number(),
  unackedAlerts: z.number(),
  /** distinct probes (sensors) among its alerts */
  probes: z.number(),
  alerts: z.array(AlertOfIncident),
});

export const IncidentsQuery = z.object({
  state: z.enum(['open', 'closed', 'all']).default('open'),
  zone: z.string().trim().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

interface IncidentRow {
  id: string; key: string; zone: string; severity: string; state: 'open' | 'closed'; opened_at: Date; closed_at: Date | null;
  acked_at: Date | null; acked_by: string | null; ack_note: string | null;
}
interface AlertRow {
  id: string; gateway: string; zone: string; sensor: string | null; rule: string; severity: string; state: 'active' | 'cleared';
  since: Date; raised_at: Date; cleared_at: Date | null; value: number | null; threshold: number | null; message: string;
  acked_at: Date | null; acked_by: string | null; ack_note: string | null; incident_id: string | null;
}

const ms = (d: Date | null) => (d ? new Date(d).getTime() : null);

export const alertToApi = (a: AlertRow): z.infer<typeof AlertOfIncident> => ({
  id: a.id, rule: a.rule, zone: a.zone, sensor: a.sensor, severity: a.severity, state: a.state,
  raisedAt: ms(a.raised_at)!, clearedAt: ms(a.cleared_at), since: ms(a.since)!,
  value: a.value === null ? null : Number(a.value), threshold: a.threshold === null ? null : Number(a.threshold), message: a.message,
  ackedAt: ms(a.acked_at), ackedBy: a.acked_by, ackNote: a.ack_note, gateway: a.gateway,
  incidentId: a.incident_id === null ? null : Number(a.incident_id),
});

/** incidents with their alerts (newest alert first inside each), in the order given */
async function withAlerts(q: Queryable, rows: IncidentRow[]): Promise<z.infer<typeof Incident>[]> {
  if (!rows.length) return [];
  const alerts = await q.query<AlertRow>(
    'SELECT * FROM alerts WHERE incident_id = ANY($1::bigint[]) ORDER BY raised_at DESC, id', [rows.map((r) => r.id)]);
  const by = new Map<string, AlertRow[]>();
  for (const a of alerts) by.set(String(a.incident_id), [...(by.get(String(a.incident_id)) ?? []), a]);
  return rows.map((r) => {
    const list = by.get(String(r.id)) ?? [];
    const active = list.filter((a) => a.state === 'active');
    return {
      id: Number(r.id), key: r.key, zone: r.zone, severity: r.severity, state: r.state,
      openedAt: ms(r.opened_at)!, closedAt: ms(r.closed_at), ackedAt: ms(r.acked_at), ackedBy: r.acked_by, ackNote: r.ack_note,
      activeAlerts: active.length, unackedAlerts: active.filter((a) => !a.acked_at).length,
      probes: new Set(list.map((a) => a.sensor ?? a.id)).size,
      alerts: list.map(alertToApi),
    };
  });
}

const notFound = (id: string, field = 'params.id') =>
  new SpError('SP_ERR_NOT_FOUND', { field, reason: `no incident with id "${id}"` });

/** the incident id in a path: a positive integer, anything else is a 400 naming the field */
const IncidentId = z.object({ id: z.string().regex(/^[1-9][0-9]{0,17}$/, 'an incident id is a positive integer') });

export const incidentRoutes = (db: Db): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/incidents', {
    schema: {
      tags: ['alerts'], summary: 'incidents (one zone event each) with their alerts; open ones first by severity, then newest',
      querystring: IncidentsQuery, response: { 200: z.array(Incident), 400: ErrorBody },
    },
  }, async (req) => {
    const { state, zone, limit } = req.query;
    const rows = await db.query<IncidentRow>(
      `SELECT * FROM incidents WHERE ($1::text = 'all' OR state = $1) AND ($2::text IS NULL OR zone = $2)
       ORDER BY state = 'open' DESC, CASE severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 WHEN 'info' THEN 1 ELSE 0 END DESC,
                opened_at DESC, id DESC LIMIT $3`, [state, zone ?? null, limit]);
    return withAlerts(db, rows);
  });

  app.get('/api/incidents/:id', {
    schema: {
      tags: ['alerts'], summary: 'one incident with its alerts; ?alert=ID links resolve through GET /api/alerts/:id/incident',
      params: IncidentId, response: { 200: Incident, 400: ErrorBody, 404: ErrorBody },
    },
  }, async (req) => {
    const rows = await db.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1', [req.params.id]);
    if (!rows.length) throw notFound(req.params.id);
    return (await withAlerts(db, rows))[0]!;
  });

  app.get('/api/alerts/:id/incident', {
    schema: {
      tags: ['alerts'], summary: 'the incident an alert belongs to (what a /?alert=ID link opens)',
      params: z.object({ id: z.string().min(1).max(300) }), response: { 200: Incident, 404: ErrorBody },
    },
  }, async (req) => {
    const rows = await db.query<IncidentRow>(
      'SELECT i.* FROM incidents i JOIN alerts a ON a.incident_id = i.id WHERE a.id = $1', [req.params.id]);
    if (!rows.length) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no incident holds an alert with id "${req.params.id}"` });
    return (await withAlerts(db, rows))[0]!;
  });

  app.post('/api/incidents/:id/ack', {
    schema: {
      tags: ['alerts'],
      summary: 'acknowledge an incident: every alert in it, and any that joins it later unless more severe; acknowledging twice keeps the first',
      params: IncidentId, body: AckBody, response: { 200: Incident, 400: ErrorBody, 404: ErrorBody },
    },
  }, async (req) => {
    const { id } = req.params;
    const out = await db.tx(async (q) => {
      const before = (await withAlerts(q, await q.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1', [id])))[0];
      if (!before) return null;
      const acked = await ackIncident(q, Number(id), { by: req.body.by, note: req.body.note ?? null }, new Date());
      const after = (await withAlerts(q, await q.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1', [id])))[0]!;
      return { before, after, acked: acked ?? [] };
    });
    if (!out) throw notFound(id);
    req.audit = {
      entity: 'incident', entityId: out.after.id,
      before: { ackedAt: out.before.ackedAt, ackedBy: out.before.ackedBy, unackedAlerts: out.before.unackedAlerts },
      after: { ackedAt: out.after.ackedAt, ackedBy: out.after.ackedBy, ackNote: out.after.ackNote, alertsAcknowledged: out.acked },
    };
    return out.after;
  });
};
