import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/engine.ts';
import { actorOf } from '../../auth/guard.ts';
import { ROLES } from '../../auth/permissions.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../../auth/tokens.ts';
import { listAudit } from '../../auth/audit.ts';
import { completeTask, listTasks } from '../../inventory/documents/tasks.ts';
import { ErrorBody } from '../schemas.ts';
import { Line, Name } from '../fields.ts';

// API tokens (admin), the audit log, and the task inbox of each role.

// 2xx bodies are documented by summary; coded errors by ErrorBody
const errors = { 200: z.unknown(), 201: z.unknown(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const IdParam = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

export const adminRoutes = (db: Db): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/tokens', { schema: { tags: ['auth'], summary: 'API tokens (never the secrets)' } }, async () => listApiTokens(db));
  app.post('/api/tokens', {
    schema: { tags: ['auth'], summary: 'create a token; the secret is in this response only', body: z.object({ role: z.enum(ROLES), name: Name(100) }), response: errors },
  }, async (req, reply) => {
    const { token, info } = await createApiToken(db, { ...req.body, createdBy: actorOf(req).name });
    req.audit = { entity: 'api_token', entityId: info.id, before: null, after: info };   // never the secret
    return reply.code(201).send({ ...info, token });
  });
  app.post('/api/tokens/:id/revoke', { schema: { tags: ['auth'], summary: 'revoke a token', params: IdParam, response: errors } }, async (req) => {
    const info = await revokeApiToken(db, req.params.id);
    req.audit = { entity: 'api_token', entityId: info.id, after: info };
    return info;
  });
  app.get('/api/audit', {
    schema: { tags: ['auth'], summary: 'the audit log of writes, newest first', querystring: z.object({ entity: Line(50).optional(), entityId: Line(200).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
  }, async (req) => listAudit(db, req.query));

  app.get('/api/tasks', {
    schema: {
      tags: ['workflow'], summary: "a role's task inbox (default: the caller's role; open tasks unless status is given)",
      querystring: z.object({ role: z.enum(ROLES).optional(), status: z.enum(['open', 'done', 'cancelled', 'all']).default('open'), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
    },
  }, async (req) => {
    const me = actorOf(req).role;
    const role = req.query.role ?? (me === 'admin' ? undefined : me);
    return listTasks(db, { role, status: req.query.status === 'all' ? undefined : req.query.status, limit: req.query.limit });
  });
  app.post('/api/tasks/:id/done', { schema: { tags: ['workflow'], summary: 'mark a task of your role done', params: IdParam, response: errors } },
    async (req) => completeTask(db, req.params.id, actorOf(req)));
};
