import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SpError } from '../../protocols/errors.ts';
import type { Db } from '../db/engine.ts';
import { decide } from './permissions.ts';
import { authenticate, type Principal } from './tokens.ts';
import { recordAudit } from './audit.ts';

// The gate in front of every /api route: bearer token → principal → permission matrix.
// 401 without a (valid) token, 403 when the role may not use the route. Runs at onRequest,
// before the body is parsed, so a stranger learns nothing from validation messages.
// Every successful write is then appended to the audit log (who, when, what, before/after).

export interface AuditNote { entity: string; entityId: string | number; before?: unknown; after?: unknown }

declare module 'fastify' {
  interface FastifyRequest {
    /** the caller, set for every authenticated /api request */
    auth?: Principal;
    /** what a write route changed, for the audit log (routes without it log the request and response) */
    audit?: AuditNote;
  }
}

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1];
}

/** the role of the caller (undefined for public routes and the CLI) */
export const roleOf = (req: FastifyRequest) => req.auth?.role;
/** who did it, for movements, documents and history rows */
export const actorOf = (req: FastifyRequest) => ({ name: req.auth?.name ?? 'anonymous', role: req.auth?.role ?? 'viewer' });

const ROUTES = new WeakMap<FastifyInstance, { method: string; url: string }[]>();
/** every /api route registered on this app after installAuth (the matrix test walks them) */
export const apiRoutesOf = (app: FastifyInstance) => ROUTES.get(app) ?? [];

export function installAuth(app: FastifyInstance, db: Db): void {
  app.decorateRequest('auth', undefined);
  app.decorateRequest('audit', undefined);
  const routes: { method: string; url: string }[] = [];
  ROUTES.set(app, routes);
  app.addHook('onRoute', (r) => {
    if (!r.url.startsWith('/api/')) return;
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push({ method: m, url: r.url });
  });

  app.addHook('onRequest', async (req) => {
    const route = req.routeOptions.url;
    if (!route || !route.startsWith('/api/')) return;   // dashboard files, /docs, /metrics, 404s
    if (decide(undefined, req.method, route) === 'public') return;
    const token = bearer(req);
    if (!token) throw new SpError('SP_ERR_UNAUTHENTICATED', { field: 'headers.authorization', reason: 'send "Authorization: Bearer <token>" (create one with: stockpulse token create --role ROLE --name NAME)' });
    const who = await authenticate(db, token);
    if (!who) throw new SpError('SP_ERR_UNAUTHENTICATED', { field: 'headers.authorization', reason: 'unknown or revoked token' });
    req.auth = who;
    if (decide(who.role, req.method, route) !== 'allow') {
      throw new SpError('SP_ERR_FORBIDDEN', { field: 'role', reason: `role "${who.role}" may not ${req.method} ${route}` });
    }
  });

  app.addHook('onSend', async (req, reply, payload) => {
    if (!WRITE.has(req.method) || !req.auth || reply.statusCode >= 400) return payload;
    let after: unknown = req.audit?.after;
    if (after === undefined && typeof payload === 'string') {
      try { after = JSON.parse(payload); } catch { after = payload; }
    }
    await recordAudit(db, {
      actor: req.auth.name, role: req.auth.role, tokenId: req.auth.tokenId, method: req.method,
      route: req.routeOptions.url ?? req.url, url: req.url, status: reply.statusCode,
      entity: req.audit?.entity, entityId: req.audit?.entityId, request: req.body, before: req.audit?.before, after,
    });
    return payload;
  });
}
