import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../db/engine.ts';
import { actorOf } from '../auth/guard.ts';
import { ErrorBody } from '../api/schemas.ts';
import { SpError } from '../../protocols/errors.ts';
import { addGateway, getGateway, GATEWAY_ID, listGateways, revokeGateway } from './registry.ts';

// /api/gateways (admin only: cloud/auth/permissions.ts lists no other role) and the audited way
// to change a zone's limits, which a gateway's manifest may no longer do (gateway-policy.ts).

const errors = { 200: z.unknown(), 201: z.unknown(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const Id = z.string().regex(GATEWAY_ID, 'letters, digits, ".", "_" or "-", up to 64, starting with a letter or digit');
const Name = z.string().trim().min(1).max(100).regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters');
const GatewayParam = z.object({ id: Id });

export const gatewayRoutes = (db: Db): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/gateways', { schema: { tags: ['gateways'], summary: 'registered gateways: site, credential generation and prefix (never the secret), what they own, when last seen' } }, async () => {
    const seen = new Map((await db.query<{ id: string; last_seen: string }>('SELECT id, last_seen FROM gateways')).map((r) => [r.id, new Date(r.last_seen).getTime()]));
    return (await listGateways(db)).map((g) => ({ ...g, lastSeen: seen.get(g.id) ?? null }));
  });
  app.post('/api/gateways', {
    schema: {
      tags: ['gateways'], summary: 'register a gateway (or re-issue a revoked one); its credential is in this response only', response: errors,
      body: z.object({ id: Id, site: Name.optional(), zones: z.array(Name).max(1000).optional(), sensors: z.array(Name).max(10000).optional(), note: Name.optional() }),
    },
  }, async (req, reply) => {
    const before = await getGateway(db, req.body.id);
    const { credential, info } = await addGateway(db, { ...req.body, createdBy: actorOf(req).name });
    req.audit = { entity: 'gateway', entityId: info.id, before: before ?? null, after: info };   // never the credential
    return reply.code(201).send({ ...info, credential });
  });
  app.post('/api/gateways/:id/revoke', { schema: { tags: ['gateways'], summary: 'revoke a gateway: its batches are refused from now on', params: GatewayParam, response: errors } }, async (req) => {
    const info = await revokeGateway(db, req.params.id);
    req.audit = { entity: 'gateway', entityId: info.id, after: info };
    return info;
  });

  app.patch('/api/zones/:id', {
    schema: {
      tags: ['zones'], summary: "change a zone's temperature limits (°C; null = no limit on that side); audited", response: errors,
      params: z.object({ id: Name }),
      body: z.object({ low: z.number().min(-273.15).max(1000).nullable().optional(), high: z.number().min(-273.15).max(1000).nullable().optional() })
        .refine((b) => b.low !== undefined || b.high !== undefined, 'give low and/or high'),
    },
  }, async (req) => {
    return db.tx(async (q) => {
      const [before] = await q.query<{ profile_low: number | null; profile_high: number | null }>('SELECT profile_low, profile_high FROM zones WHERE id = $1 FOR UPDATE', [req.params.id]);
      if (!before) throw new SpError('SP_ERR_NOT_FOUND', { field: 'params.id', reason: `no zone "${req.params.id}"` });
      const low = req.body.low === undefined ? before.profile_low : req.body.low;
      const high = req.body.high === undefined ? before.profile_high : req.body.high;
      if (low !== null && high !== null && low >= high) throw new SpError('SP_ERR_VALIDATION', { field: 'body.low', reason: `low (${low}) must be below high (${high})` });
      await q.query('UPDATE zones SET profile_low = $2, profile_high = $3, updated_at = now() WHERE id = $1', [req.params.id, low, high]);
      const after = { id: req.params.id, low, high };
      req.audit = { entity: 'zone', entityId: req.params.id, before: { id: req.params.id, low: before.profile_low, high: before.profile_high }, after };
      return after;
    });
  });
};
