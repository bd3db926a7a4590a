import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/engine.ts';
import { actorOf } from '../../auth/guard.ts';
import { ErrorBody } from '../../api/schemas.ts';
import { Text } from '../../api/fields.ts';
import { lotPassport } from './passport.ts';
import { rejectLot, releaseLot } from './qa.ts';

// The lot's temperature passport and QA's release / reject of a quarantined lot.
// Who may call them: cloud/auth/permissions.ts.

const IdParam = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
const Decision = z.object({ reason: Text(500).refine((s) => s.trim().length > 0, 'say why (kept in the lot history and the audit log)') });
const errors = { 200: z.unknown(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

export const exposureRoutes = (db: Db, clock: () => number = Date.now): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/lots/:id/exposure', {
    schema: {
      tags: ['lots'], summary: "the lot's temperature passport: its zones' readings while it was there (bucketed), time in / above / below range, max, min, MKT, excursions and quarantine evidence",
      params: IdParam, querystring: z.object({ maxPoints: z.coerce.number().int().min(10).max(5000).default(1000) }), response: errors,
    },
  }, async (req) => lotPassport(db, req.params.id, { now: clock(), maxPoints: req.query.maxPoints }));

  for (const action of ['release', 'reject'] as const) {
    app.post(`/api/lots/:id/${action}`, {
      schema: {
        tags: ['lots'], params: IdParam, body: Decision, response: errors,
        summary: action === 'release' ? 'QA: release a quarantined lot back to available, with a reason'
          : 'QA: reject a quarantined lot: its stock is scrapped (scrap movements in the ledger), with a reason',
      },
    }, async (req) => {
      const r = await (action === 'release' ? releaseLot : rejectLot)(db, req.params.id, req.body.reason, actorOf(req));
      req.audit = { entity: 'lot', entityId: r.after.id, before: r.before, after: { ...r.after, scrapped: r.scrapped.map((m) => m.id) } };
      return { lot: r.after, scrapped: r.scrapped };
    });
  }
};
