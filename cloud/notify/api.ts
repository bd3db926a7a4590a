import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../db/engine.ts';
import { ErrorBody } from '../api/schemas.ts';
import {
  CHANNEL_TYPES, ContactInput, RouteInput, createContact, createRoute, deleteContact, deleteRoute, getContact, getRoute,
  listContacts, listRoutes, publicContact, updateContact, updateRoute, type ChannelAddress, type Contact,
} from './contacts.ts';
import { escalationsOf } from './escalation.ts';
import { redactAddress } from './redact.ts';

// /api/notifications/deliveries (what was sent to whom, every attempt) and the contacts/routes
// configuration under /api/notify/*. Credentials never leave: addresses are masked in answers,
// and the request body kept by the audit log is replaced by its masked form.

const errors = { 200: z.unknown(), 201: z.unknown(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const IdParam = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

const DeliveriesQuery = z.object({
  alert: z.string().min(1).optional().describe('an alert id, or several separated by commas'),
  status: z.enum(['pending', 'sent', 'failed', 'cancelled']).optional(),
  channel: z.enum(['webhook', 'mqtt', ...CHANNEL_TYPES]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

interface DeliveryRow {
  id: string; alert_id: string; transition: string; stage: string | null; level: number | null; channel: string; target: string;
  contact_id: number | null; route_id: number | null; status: string; attempts: number; last_error: string | null;
  created_at: Date; next_attempt_at: Date; sent_at: Date | null; payload: unknown;
}

const ms = (d: Date | string | null) => (d === null ? null : new Date(d).getTime());

/** the masked address a delivery went to (contact-bound: the contact's current address of that channel) */
function shownTarget(d: DeliveryRow, contacts: Map<number, Contact>): string {
  if (d.contact_id == null) return d.channel === 'webhook' ? redactAddress('webhook', d.target) : d.target;
  const ch = contacts.get(Number(d.contact_id))?.channels.find((c: ChannelAddress) => c.type === d.channel);
  return ch ? redactAddress(ch.type, ch.address) : d.target;
}

/**
 * Every person may list deliveries, but an attached file (a scheduled report's CSV) is for its
 * recipients: the list shows its name and size, never its content (a cost report to finance
 * must not be readable by a viewer here).
 */
function withoutFileContent(payload: unknown): unknown {
  const p = payload as { attachments?: { filename: string; contentType: string; content: string }[] } | null;
  if (!p?.attachments) return payload;
  return { ...p, attachments: p.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, bytes: Buffer.from(a.content, 'base64').length })) };
}

export async function listDeliveries(db: Db, f: z.infer<typeof DeliveriesQuery>) {
  const alerts = f.alert ? f.alert.split(',').map((s) => s.trim()).filter(Boolean) : null;
  const rows = await db.query<DeliveryRow>(
    `SELECT id, alert_id, transition, stage, level, channel, target, contact_id, route_id, status, attempts, last_error,
            created_at, next_attempt_at, sent_at, payload
     FROM notification_deliveries
     WHERE ($1::text[] IS NULL OR alert_id = ANY($1::text[])) AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR channel = $3)
     ORDER BY id DESC LIMIT $4`,
    [alerts, f.status ?? null, f.channel ?? null, f.limit]);
  const ids = rows.map((r) => Number(r.id));
  const attempts = ids.length ? await db.query<{ delivery_id: string; attempt: number; at: Date; ok: boolean; error: string | null; duration_ms: number }>(
    'SELECT delivery_id, attempt, at, ok, error, duration_ms FROM notification_attempts WHERE delivery_id = ANY($1::bigint[]) ORDER BY delivery_id, attempt, id',
    [ids]) : [];
  const byDelivery = new Map<number, object[]>();
  for (const a of attempts) {
    const list = byDelivery.get(Number(a.delivery_id)) ?? [];
    list.push({ attempt: a.attempt, at: ms(a.at), ok: a.ok, error: a.error, durationMs: a.duration_ms });
    byDelivery.set(Number(a.delivery_id), list);
  }
  const contacts = new Map((await listContacts(db)).map((c) => [c.id, c]));
  return rows.map((d) => {
    const c = d.contact_id == null ? undefined : contacts.get(Number(d.contact_id));
    return {
      id: Number(d.id), alertId: d.alert_id, transition: d.transition, stage: d.stage ?? d.transition, level: d.level,
      channel: d.channel, target: shownTarget(d, contacts),
      contact: d.contact_id == null ? null : { id: Number(d.contact_id), name: c?.name ?? null, role: c?.role ?? null },
      routeId: d.route_id, status: d.status, attempts: d.attempts, lastError: d.last_error,
      createdAt: ms(d.created_at), nextAttemptAt: d.status === 'pending' ? ms(d.next_attempt_at) : null, sentAt: ms(d.sent_at),
      payload: withoutFileContent(d.payload), attemptLog: byDelivery.get(Number(d.id)) ?? [],
    };
  });
}

const maskedBody = (b: ContactInput) => publicContact({ id: 0, mobile: null, ...b } as Contact);

export const notifyRoutes = (db: Db): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/notifications/deliveries', {
    schema: { tags: ['notifications'], summary: 'notification deliveries, newest first, each with every attempt (status, error, duration)', querystring: DeliveriesQuery, response: errors },
  }, async (req) => {
    const deliveries = await listDeliveries(db, req.query);
    const alertIds = [...new Set(deliveries.map((d) => d.alertId))];
    const esc = await escalationsOf(db, alertIds);
    return {
      deliveries,
      escalations: esc.map((e) => ({ alertId: e.alert_id, routeId: e.route_id, startedAt: ms(e.started_at), level: e.level, reminders: e.reminders, closedAt: ms(e.closed_at), closedReason: e.closed_reason })),
    };
  });

  // contacts
  app.get('/api/notify/contacts', { schema: { tags: ['notifications'], summary: 'contacts (addresses masked, secrets never shown)', response: errors } },
    async () => (await listContacts(db)).map(publicContact));
  app.post('/api/notify/contacts', { schema: { tags: ['notifications'], summary: 'create a contact', body: ContactInput, response: errors } }, async (req, reply) => {
    const body = req.body;
    req.body = maskedBody(body) as never;   // the audit log keeps the request body: never the credentials
    const c = publicContact(await createContact(db, body));
    req.audit = { entity: 'notify_contact', entityId: c.id, before: null, after: c };
    return reply.code(201).send(c);
  });
  app.put('/api/notify/contacts/:id', {
    schema: { tags: ['notifications'], summary: 'replace a contact; masked addresses/secrets sent back unchanged keep the stored ones', params: IdParam, body: ContactInput, response: errors },
  }, async (req) => {
    const body = req.body;
    req.body = maskedBody(body) as never;
    const before = publicContact(await getContact(db, req.params.id));
    const c = publicContact(await updateContact(db, req.params.id, body));
    req.audit = { entity: 'notify_contact', entityId: c.id, before, after: c };
    return c;
  });
  app.delete('/api/notify/contacts/:id', { schema: { tags: ['notifications'], summary: 'delete a contact', params: IdParam, response: errors } }, async (req) => {
    const c = publicContact(await deleteContact(db, req.params.id));
    req.audit = { entity: 'notify_contact', entityId: c.id, before: c, after: null };
    return c;
  });

  // routes
  app.get('/api/notify/routes', { schema: { tags: ['notifications'], summary: 'routes: alert kind/zone/severity → role/contacts (escalation order), channels, escalation and reminder minutes', response: errors } },
    async () => listRoutes(db));
  app.post('/api/notify/routes', { schema: { tags: ['notifications'], summary: 'create a route', body: RouteInput, response: errors } }, async (req, reply) => {
    const r = await createRoute(db, req.body);
    req.audit = { entity: 'notify_route', entityId: r.id, before: null, after: r };
    return reply.code(201).send(r);
  });
  app.put('/api/notify/routes/:id', { schema: { tags: ['notifications'], summary: 'replace a route', params: IdParam, body: RouteInput, response: errors } }, async (req) => {
    const before = await getRoute(db, req.params.id);
    const r = await updateRoute(db, req.params.id, req.body);
    req.audit = { entity: 'notify_route', entityId: r.id, before, after: r };
    return r;
  });
  app.delete('/api/notify/routes/:id', { schema: { tags: ['notifications'], summary: 'delete a route (its open escalations close)', params: IdParam, response: errors } }, async (req) => {
    const r = await deleteRoute(db, req.params.id);
    req.audit = { entity: 'notify_route', entityId: r.id, before: r, after: null };
    return r;
  });
};
