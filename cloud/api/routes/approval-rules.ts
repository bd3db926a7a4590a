import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/engine.ts';
import { actorOf } from '../../auth/guard.ts';
import { listAudit } from '../../auth/audit.ts';
import { APPROVER_ROLES, ApprovalRulesInput, readApprovalRules, saveApprovalRules } from '../../inventory/documents/approval-rules.ts';
import { DEFAULT_SETTINGS, type CloudSettings } from '../../config.ts';
import { ErrorBody } from '../schemas.ts';

// The purchase-order approval rules (admin): read with their change history from the audit log,
// replaced as a whole. The guard (cloud/auth/guard.ts) appends the audit row — who, when, the
// rules before and after — for the PUT.

const errors = { 200: z.unknown(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };
const ENTITY = 'approval_rules';

export const approvalRuleRoutes = (db: Db, settings: CloudSettings = DEFAULT_SETTINGS): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/approval-rules', {
    schema: { tags: ['workflow'], summary: 'purchase-order approval levels (source: config until an admin saves rules), the roles that may hold a level, and the change history', response: errors },
  }, async () => ({
    ...(await readApprovalRules(db, settings)),
    approverRoles: APPROVER_ROLES,
    history: (await listAudit(db, { entity: ENTITY, limit: 50 })).map((a) => ({ id: a.id, at: a.at, actor: a.actor, role: a.role, before: a.before, after: a.after })),
  }));
  app.put('/api/approval-rules', {
    schema: { tags: ['workflow'], summary: 'replace the purchase-order approval levels (thresholds ascending, the first level 0, one level per role)', body: ApprovalRulesInput, response: errors },
  }, async (req) => {
    const { before, after } = await saveApprovalRules(db, req.body, actorOf(req).name, settings);
    const plain = (r: typeof before) => ({ levels: r.levels, sequential: r.sequential, source: r.source });
    req.audit = { entity: ENTITY, entityId: 'purchase_order', before: plain(before), after: plain(after) };
    return after;
  });
};
