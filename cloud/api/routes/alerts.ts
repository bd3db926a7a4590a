import { z } from 'zod';
import { and, desc, eq, isNull, ne, type SQL } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { SpError } from '../../../protocols/errors.ts';
import type { Db } from '../../db/engine.ts';
import { alerts } from '../../db/schema.ts';
import { AckBody, Alert, AlertsQuery, ErrorBody } from '../schemas.ts';
import { AlertOfIncident, incidentRoutes } from './incidents.ts';

type AlertRow = typeof alerts.$inferSelect;

const toApi = (a: AlertRow): z.infer<typeof Alert> => ({
  id: a.id, rule: a.rule, zone: a.zone, sensor: a.sensor, severity: a.severity, state: a.state,
  raisedAt: a.raisedAt.getTime(), clearedAt: a.clearedAt?.getTime() ?? null, since: a.since.getTime(),
  value: a.value, threshold: a.threshold, message: a.message,
  ackedAt: a.ackedAt?.getTime() ?? null, ackedBy: a.ackedBy, ackNote: a.ackNote, gateway: a.gateway,
});

/** each alert with its incident (incidents.ts; null for an alert stored before migration 0017) */
async function withIncident(db: Db, list: z.infer<typeof Alert>[]): Promise<z.infer<typeof AlertOfIncident>[]> {
  if (!list.length) return [];
  const rows = await db.query<{ id: string; incident_id: string | null }>(
    'SELECT id, incident_id FROM alerts WHERE id = ANY($1::text[])', [list.map((a) => a.id)]);
  const inc = new Map(rows.map((r) => [r.id, r.incident_id === null ? null : Number(r.incident_id)]));
  return list.map((a) => ({ ...a, incidentId: inc.get(a.id) ?? null }));
}

export const alertRoutes = (db: Db, onAck?: (alert: z.infer<typeof Alert>) => void): FastifyPluginAsyncZod => async (app) => {
  await app.register(incidentRoutes(db));

  app.get('/api/alerts', {
    schema: { tags: ['alerts'], summary: 'alerts, newest first, each with its incident', querystring: AlertsQuery, response: { 200: z.array(AlertOfIncident), 400: ErrorBody } },
  }, async (req) => {
    const { state, zone, limit } = req.query;
    const where: SQL[] = [];
    if (state === 'active' || state === 'cleared') where.push(eq(alerts.state, state));
    if (state === 'unacked') where.push(isNull(alerts.ackedAt));
    // info alerts (a defrost in progress) are records, not problems: left out of what needs attention
    if (state === 'active' || state === 'unacked') where.push(ne(alerts.severity, 'info'));
    if (zone) where.push(eq(alerts.zone, zone));
    const rows = await db.orm.select().from(alerts).where(where.length ? and(...where) : undefined)
      .orderBy(desc(alerts.raisedAt)).limit(limit);
    return withIncident(db, rows.map(toApi));
  });

  app.post('/api/alerts/:id/ack', {
    schema: {
      tags: ['alerts'],
      summary: 'acknowledge one alert (who, optional note); acknowledging twice keeps the first. Its incident counts as acknowledged once every active alert in it is (or use POST /api/incidents/:id/ack)',
      params: z.object({ id: z.string().min(1) }),
      body: AckBody,
      response: { 200: AlertOfIncident, 400: ErrorBody, 404: ErrorBody },
    },
  }, async (req) => {
    const { id } = req.params;
    const updated = await db.orm.update(alerts)
      .set({ ackedAt: new Date(), ackedBy: req.body.by, ackNote: req.body.note ?? null })
      .where(and(eq(alerts.id, id), isNull(alerts.ackedAt))).returning();
    const row = updated[0] ?? (await db.orm.select().from(alerts).where(eq(alerts.id, id)))[0];
    if (!row) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no alert with id "${id}"` });
    const alert = toApi(row);
    if (updated[0]) onAck?.(alert);
    return (await withIncident(db, [alert]))[0]!;
  });
};
