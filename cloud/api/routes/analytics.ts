import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/engine.ts';
import { roleOf } from '../../auth/guard.ts';
import { canSeeCost } from '../../auth/permissions.ts';
import { Id } from '../../inventory/model.ts';
import { RangeQuery, dayRange } from '../../planning/analytics/range.ts';
import { supplierOnTime } from '../../planning/analytics/supplier-on-time.ts';
import { priceTrend } from '../../planning/analytics/price-trend.ts';
import { turnover } from '../../planning/analytics/turnover.ts';
import { salesTrend } from '../../planning/analytics/sales-trend.ts';
import { countAccuracy } from '../../planning/analytics/count-accuracy.ts';
import { ErrorBody } from '../schemas.ts';

// Analytics over the ledger and the documents, each for a period of whole UTC days (from, to).
// Who may read which is in cloud/auth/permissions.ts: the purchase price trend is cost data.

const errors = { 200: z.unknown(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

export const analyticsRoutes = (db: Db): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/analytics/supplier-on-time', {
    schema: { tags: ['analytics'], summary: 'per supplier: orders delivered by the expected day (approval + lead time) / orders due', querystring: RangeQuery, response: errors },
  }, async (req) => supplierOnTime(db, dayRange(req.query)));
  app.get('/api/analytics/price-trend', {
    schema: {
      tags: ['analytics'], summary: 'per item and month: quantity-weighted purchase price of approved purchase orders (minor units)',
      querystring: RangeQuery.extend({ item: Id.optional() }), response: errors,
    },
  }, async (req) => priceTrend(db, dayRange(req.query), req.query.item));
  app.get('/api/analytics/turnover', {
    schema: { tags: ['analytics'], summary: 'per item: average on hand, outflow, turnover and turnover days (cost-weighted total for cost roles)', querystring: RangeQuery, response: errors },
  }, async (req) => turnover(db, dayRange(req.query), { withCost: canSeeCost(roleOf(req)) }));
  app.get('/api/analytics/sales-trend', {
    schema: {
      tags: ['analytics'], summary: "one item's weekly shipped quantity and a Holt linear forecast",
      querystring: RangeQuery.extend({ item: Id, horizon: z.coerce.number().int().min(1).max(26).default(4).describe('weeks to forecast') }), response: errors,
    },
  }, async (req) => salesTrend(db, dayRange(req.query), req.query.item, req.query.horizon));
  app.get('/api/analytics/count-accuracy', {
    schema: { tags: ['analytics'], summary: 'approved count sessions: share of lines that matched the books, and quantity accuracy', querystring: RangeQuery, response: errors },
  }, async (req) => countAccuracy(db, dayRange(req.query)));
};
