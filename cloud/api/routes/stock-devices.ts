import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/engine.ts';
import { actorOf } from '../../auth/guard.ts';
import { listExceptions, resolveException } from '../../inventory/stock-exceptions.ts';
import { ErrorBody } from '../schemas.ts';
import { Text } from '../fields.ts';

// What the stock-moving devices did, for people: the dock door's recent passes (booked against a
// document, or an exception), the exceptions to resolve, and each weighed bin next to its ledger
// balance (count drift).

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const Limit = z.coerce.number().int().min(1).max(500).default(50);

export const stockDeviceRoutes = (db: Db): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/stock-exceptions', {
    schema: { tags: ['stock devices'], summary: 'goods in with no expected receipt, out with no shipment, device movements the ledger refused',
      querystring: z.object({ state: z.enum(['open', 'resolved', 'all']).default('open'), limit: Limit }), response: { 200: z.unknown(), ...errors } },
  }, async (req) => listExceptions(db, req.query));

  app.post('/api/stock-exceptions/:id/resolve', {
    schema: { tags: ['stock devices'], summary: 'resolve an exception, saying what was done (resolving twice is a 409 naming who did it)',
      params: z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }), body: z.object({ note: Text(1000).refine((s) => s.trim().length > 0, 'say what was done') }),
      response: { 200: z.unknown(), ...errors } },
  }, async (req) => resolveException(db, req.params.id, actorOf(req).name, req.body.note));

  app.get('/api/dock-activity', {
    schema: { tags: ['stock devices'], summary: 'recent dock portal passes: direction, cases, the document they were booked against or the alert they raised',
      querystring: z.object({ limit: Limit }), response: { 200: z.unknown(), ...errors } },
  }, async (req) => {
    // movements of one pass share evidence.pass; a pass with no document raised an alert instead
    const booked = await db.query<Record<string, any>>(
      `SELECT evidence->>'pass' AS pass, min(device) AS portal, min(evidence->>'direction') AS direction, max(ts) AS at,
              sum(qty)::float8 AS cases, string_agg(DISTINCT document, ', ') AS document, bool_and(outcome = 'posted') AS posted,
              string_agg(DISTINCT reason, '; ') AS reason, string_agg(DISTINCT coalesce(item, gtin), ', ') AS items
       FROM device_movements WHERE source_kind = 'rfid' GROUP BY evidence->>'pass' ORDER BY max(ts) DESC LIMIT $1`, [req.query.limit]);
    const flagged = await db.query<Record<string, any>>(
      `SELECT a.id, a.sensor AS portal, a.rule, a.raised_at AS at, a.value AS cases, a.message, e.state
       FROM alerts a LEFT JOIN stock_exceptions e ON e.alert_id = a.id
       WHERE a.rule IN ('unauthorised_removal', 'unexpected_receipt') ORDER BY a.raised_at DESC LIMIT $1`, [req.query.limit]);
    const rows = [
      ...booked.map((r) => ({ at: new Date(r.at).getTime(), portal: r.portal, direction: r.direction ?? 'unknown', cases: Number(r.cases), items: r.items,
        document: r.document, outcome: r.posted ? 'booked' : 'refused', ...(r.reason ? { reason: r.reason } : {}), pass: r.pass })),
      ...flagged.map((r) => ({ at: new Date(r.at).getTime(), portal: r.portal, direction: r.rule === 'unauthorised_removal' ? 'out' : 'in', cases: Number(r.cases ?? 0),
        document: null, outcome: r.rule, alert: r.id, exception: r.state ?? null, message: r.message })),
    ];
    return rows.sort((a, b) => b.at - a.at).slice(0, req.query.limit);
  });

  app.get('/api/bin-weighings', {
    schema: { tags: ['stock devices'], summary: 'per weighed bin: what the scale weighed, what the ledger holds now, the tolerance and any drift alert',
      response: { 200: z.unknown(), ...errors } },
  }, async () => {
    const rows = await db.query<Record<string, any>>(
      `SELECT w.*, (SELECT coalesce(sum(on_hand), 0) FROM balances b WHERE b.item = w.item AND b.location = w.location)::float8 AS ledger_now,
              a.state AS alert_state, a.message AS alert_message
       FROM bin_weighings w LEFT JOIN alerts a ON a.id = w.drift_alert_id ORDER BY w.location, w.item`);
    return rows.map((r) => ({
      location: r.location, item: r.item, device: r.device, zone: r.zone, unit: r.unit, weighedAt: new Date(r.weighed_at).getTime(),
      weighed: Number(r.weighed_qty), ledgerAtWeighing: Number(r.ledger_qty), ledger: Number(r.ledger_now), tolerance: Number(r.tolerance_qty),
      drift: Math.round((Number(r.weighed_qty) - Number(r.ledger_qty)) * 1e6) / 1e6,
      alert: r.drift_alert_id ? { id: r.drift_alert_id, state: r.alert_state, message: r.alert_message } : null,
    }));
  });
};
