import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/engine.ts';
import { roleOf } from '../../auth/guard.ts';
import { canSeeCost } from '../../auth/permissions.ts';
import { Id } from '../../inventory/model.ts';
import { ItemPlanningInput, PlanQuery, listPlans, setItemPlanning, type PlanView } from '../../planning/plans.ts';
import { ErrorBody } from '../schemas.ts';
import { replenishmentOptions, runReplenishment } from '../../planning/replenishment.ts';
import { DEFAULT_SETTINGS, type CloudSettings } from '../../config.ts';

// Replenishment: the latest plan per item with every input and formula value behind it (the
// `replenishment` job computes it), and the planning settings kept on the item.

const errors = { 200: z.unknown(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

/** the supplier's price is purchase cost: only COST_ROLES see it */
function shape(p: PlanView, role: string | undefined): PlanView {
  const supplier = p.explanation?.inputs?.supplier;
  if (canSeeCost(role) || !supplier) return p;
  const { priceMinor: _p, priceSource: _s, ...rest } = supplier;
  return { ...p, explanation: { ...p.explanation, inputs: { ...p.explanation.inputs, supplier: rest } } };
}

export const planningRoutes = (db: Db, settings: CloudSettings = DEFAULT_SETTINGS): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/replenishment', {
    schema: {
      tags: ['planning'], querystring: PlanQuery, response: errors,
      summary: 'per item: demand summary, d̄, σ, lead time, z, seasonal index, available, on order → safety stock, reorder point, suggested qty, draft purchase order',
    },
  }, async (req) => {
    const plans = await listPlans(db, req.query);
    return { plans: plans.map((p) => shape(p, roleOf(req))) };
  });
  app.put('/api/replenishment/items/:sku', {
    schema: {
      tags: ['planning'], params: z.object({ sku: Id }), body: ItemPlanningInput, response: errors,
      summary: "an item's preferred supplier, service level, lead time and safety stock; answers with the item's plan recomputed from them",
    },
  }, async (req) => {
    const after = await setItemPlanning(db, req.params.sku, req.body);
    req.audit = { entity: 'item_planning', entityId: after.item, before: null, after };
    // the buyer who changes a lead time sees what it does at once, not after tomorrow's 02:15 run
    await runReplenishment(db, { now: new Date(), item: after.item, options: replenishmentOptions(settings) });
    const [plan] = await listPlans(db, { item: after.item });
    return { ...after, plan: plan ? shape(plan, roleOf(req)) : null };
  });
};
